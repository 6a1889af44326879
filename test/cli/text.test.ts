import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTokenizerFile } from "../../src/data/text/tokenizer/tokenizer-file.js";
import { expectOneLineError, runInProcess } from "./run-cli.js";

// Small models and a few seconds of training: the path through the CLI, not the quality.
const SMALL = ["--d-model", "32", "--layers", "1", "--heads", "2", "--seed", "1"];

const records = (dir: string, type: string): Record<string, unknown>[] =>
  readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.type === type);

describe("pretext with text", () => {
  const root = mkdtempSync(join(tmpdir(), "pretext-text-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const book = join(root, "book.txt");
  writeFileSync(book, "Call me Ishmael. Some years ago, never mind how long precisely, I went to sea.\n".repeat(60));

  it("clm on a .txt file: tokenizer.json and token files in the run, perplexity, generation from a seed", async () => {
    const run = join(root, "clm");
    const r = await runInProcess(["pretrain", "--method", "clm", "--data", book, "--tokenizer", "char", "--context", "16", "--batch-size", "8", "--epochs", "1", "--out", run, "--quiet", ...SMALL]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ["tokenizer.json", "tokens/train.u16", "encoder.safetensors", "heads.safetensors", "encoder.onnx", "config.json"]) expect(existsSync(join(run, f)), f).toBe(true);
    expect((await readTokenizerFile(join(run, "tokenizer.json"))).kind).toBe("char");
    expect(JSON.parse(readFileSync(join(run, "config.json"), "utf8")).pretrain).toMatchObject({ encoder: "gpt", tokenizer: "char", context: 16, batchSize: 8 });
    // a text file given on its own is scored whole
    const e = await runInProcess(["eval", run, "--json"]);
    expect(e.code, e.stderr).toBe(0);
    const line = JSON.parse(e.stdout.trim()) as Record<string, number>;
    expect(line).toMatchObject({ type: "eval", encoder: "clm", probe: "perplexity" });
    expect(line.nats_per_token).toBeGreaterThan(0);
    expect(line.perplexity).toBeCloseTo(Math.exp(line.nats_per_token as number), 6);
    // A hot temperature: the model memorized the one sentence, so only flattened odds let seeds differ.
    const g = (seed: string) => runInProcess(["generate", run, "--prompt", "Call", "--max-tokens", "30", "--temperature", "3", "--seed", seed]);
    const [a, b, c] = [await g("4"), await g("4"), await g("5")];
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.startsWith("Call")).toBe(true);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
  }, 120_000);

  it("a text run resumes with its own tokenizer and token files, and continues the same steps", async () => {
    const run = join(root, "resume");
    const args = ["--method", "clm", "--data", book, "--tokenizer", "char", "--context", "16", "--batch-size", "8", "--checkpoint-every", "5", "--quiet", ...SMALL];
    const first = await runInProcess(["pretrain", ...args, "--epochs", "1", "--out", run]);
    expect(first.code, first.stderr).toBe(0);
    const tokens = statSync(join(run, "tokens", "train.u16")).mtimeMs;
    const tokenizer = readFileSync(join(run, "tokenizer.json"), "utf8");
    const steps = records(run, "step").length;
    const again = await runInProcess(["pretrain", "--resume", run, "--epochs", "2", "--quiet"]);
    expect(again.code, again.stderr).toBe(0);
    expect(statSync(join(run, "tokens", "train.u16")).mtimeMs).toBe(tokens);
    expect(readFileSync(join(run, "tokenizer.json"), "utf8")).toBe(tokenizer);
    const after = records(run, "step").map((r) => r.step as number);
    expect(after).toEqual(Array.from({ length: 2 * steps }, (_, i) => i));
  }, 120_000);

  it("mlm on labeled JSONL documents; eval with the TF-IDF and random baselines; the text examples for the report", async () => {
    const docs = join(root, "docs.jsonl");
    const topics = { sea: "the whale swam in the deep sea under the ship", land: "the farmer ploughed the dry field by the barn" };
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) for (const [label, text] of Object.entries(topics)) lines.push(JSON.stringify({ text: `${text} ${i}`, label }));
    writeFileSync(docs, `${lines.join("\n")}\n`);
    const run = join(root, "mlm");
    const r = await runInProcess(["pretrain", "--method", "mlm", "--data", docs, "--vocab-size", "300", "--context", "16", "--batch-size", "16", "--epochs", "1", "--out", run, "--quiet", ...SMALL]);
    expect(r.code, r.stderr).toBe(0);
    // JSONL has no fixed split: other documents of the same two topics are the test data.
    const held = join(root, "held.jsonl");
    writeFileSync(held, `${Object.entries(topics).map(([label, text]) => JSON.stringify({ text: `${text} again`, label })).join("\n")}\n`);
    const e = await runInProcess(["eval", run, "--test-data", held, "--labels-per-class", "2", "--probes", "linear,knn", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    const results = e.stdout.trim().split("\n").map((l) => JSON.parse(l) as { encoder: string; probe: string; accuracy: number });
    expect(results.map((l) => `${l.encoder} ${l.probe}`)).toEqual(["mlm linear", "mlm knn", "random linear", "random knn", "tfidf linear"]);
    for (const l of results) expect(l.accuracy).toBeGreaterThanOrEqual(0);
    const examples = JSON.parse(readFileSync(join(run, "text-examples.json"), "utf8")) as { masked: unknown[]; neighbours: { query: { label: string } }[] };
    expect(examples.masked.length).toBeGreaterThan(0);
    expect(examples.neighbours[0]?.query.label).toMatch(/sea|land/);
    expect(JSON.parse(readFileSync(join(run, "texts.json"), "utf8"))).toHaveLength(2);
    const unseen = join(root, "unseen.jsonl");
    writeFileSync(unseen, `${JSON.stringify({ text: "a rocket to the moon", label: "space" })}\n`);
    expectOneLineError(await runInProcess(["eval", run, "--test-data", unseen]), "eval", /class "space" is not among the training data's \(land, sea\)/);
  }, 120_000);

  it("bad text input is one line naming the file and place", async () => {
    const run = join(root, "bad");
    const binary = join(root, "binary.txt");
    writeFileSync(binary, Buffer.from([0x43, 0x61, 0, 0x6c]));
    // Data errors exit 1, one line, no stack trace.
    const dataError = async (argv: string[], pattern: RegExp) => {
      const r = await runInProcess(argv);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    };
    await dataError(["pretrain", "--method", "clm", "--data", binary, "--out", run], /binary\.txt: a binary file \(a NUL byte at offset 2\)/);
    const jsonl = join(root, "bad.jsonl");
    writeFileSync(jsonl, '{"text": "fine"}\n{"body": "no text key"}\n');
    await dataError(["pretrain", "--method", "mlm", "--data", jsonl, "--out", run], /bad\.jsonl:2: no string "text" \(keys: body\)/);
    const tiny = join(root, "tiny.txt");
    writeFileSync(tiny, "too short\n");
    await dataError(["pretrain", "--method", "clm", "--data", tiny, "--tokenizer", "char", "--context", "64", "--out", run], /fewer than one window of 65; use a shorter --context or more text/);
    expectOneLineError(await runInProcess(["pretrain", "--method", "simclr", "--data", book, "--out", run]), "pretrain", /--method simclr learns from image data, but .*book\.txt is text; methods for text: mlm, clm, simcse/);
    expectOneLineError(await runInProcess(["pretrain", "--method", "mlm", "--data", book, "--tokenizer", "char", "--vocab-size", "300", "--out", run]), "pretrain", /--vocab-size sets a BPE vocabulary/);
  }, 60_000);
});

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABLE_CACHE_DIR, hasBenchmark } from "../../src/data/table/benchmarks.js";
import { readCsvTable } from "../../src/data/table/csv.js";
import { parseTableEncoding, tableDataset } from "../../src/data/table/table-encoding.js";
import { loadRunEncoder } from "../../src/cli/run-encoder.js";
import { makeEncoder } from "../../src/cli/encoder.js";
import { TABLE_FINETUNE } from "../../src/cli/table-eval.js";
import { finetune, trainFromScratch } from "../../src/eval/finetune.js";
import { readSafetensors } from "../../src/train/safetensors.js";
import { embedDataset, rawFeatures } from "../../src/eval/embed.js";
import { accuracy } from "../../src/eval/accuracy.js";
import { predictGradientBoosting, trainGradientBoosting } from "../../src/eval/gradient-boosting.js";
import { Rng } from "../../src/random/rng.js";
import { expectOneLineError, runInProcess } from "./run-cli.js";

const COLORS = ["red", "green", "blue"];

/**
 * Rows of a small three-class table: two informative numbers on a large scale (so standardizing
 * matters), a noise column with missing values, a categorical column that carries the class half
 * the time, and the label `kind`.
 */
function tableRows(n: number, rng: Rng, shift: number): string[] {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    const a = 1000 + 300 * Math.cos((2 * Math.PI * y) / 3) + 60 * rng.normal() + shift;
    const b = 50 + 15 * Math.sin((2 * Math.PI * y) / 3) + 3 * rng.normal();
    const noise = rng.uniform() < 0.1 ? "" : (rng.normal() * 5).toFixed(3);
    const color = rng.uniform() < 0.5 ? COLORS[y] : COLORS[Math.floor(rng.uniform() * 3)];
    rows.push(`${a.toFixed(2)},${b.toFixed(3)},${noise},${color},k${y}`);
  }
  return rows;
}

interface Line {
  encoder: string;
  probe: string;
  label_fraction?: number;
  labels?: number;
  accuracy: number;
  sd: number | null;
  accuracies: number[];
}

describe("pretext with tables", () => {
  const root = mkdtempSync(join(tmpdir(), "pretext-table-"));
  const [train, test, unlabeled] = ["train.csv", "test.csv", "rows.csv"].map((f) => join(root, f)) as [string, string, string];
  const run = join(root, "scarf");
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeAll(() => {
    const rng = new Rng(0);
    const header = "a,b,noise,color,kind";
    const trainRows = tableRows(300, rng, 0);
    writeFileSync(train, `${header}\n${trainRows.join("\n")}\n`);
    // A test file on its own scale: encoded with the training statistics, its rows stay where the classes are.
    writeFileSync(test, `${header}\n${tableRows(90, rng, 40).join("\n")}\n`);
    // Training rows without their label column, to embed.
    writeFileSync(unlabeled, `a,b,noise,color\n${trainRows.slice(0, 5).map((r) => r.split(",").slice(0, 4).join(",")).join("\n")}\n`);
  });

  it("pretrains scarf on a CSV with a label column and keeps the training encoding in table.json", async () => {
    const r = await runInProcess(["pretrain", "--method", "scarf", "--data", train, "--label-column", "kind", "--batch-size", "64", "--epochs", "3", "--out", run]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ["table.json", "encoder.safetensors", "encoder.onnx"]) expect(existsSync(join(run, f)), f).toBe(true);
    const encoding = parseTableEncoding(JSON.parse(readFileSync(join(run, "table.json"), "utf8")), "table.json");
    // the label is not a feature; the missing noise values have an indicator; colors are one-hot
    expect(encoding.features).toEqual(["a", "b", "noise", "noise (missing)", "color=blue", "color=green", "color=red"]);
    expect(encoding).toMatchObject({ labelColumn: "kind", classNames: ["k0", "k1", "k2"] });
    expect(encoding.numeric[0]?.mean).toBeGreaterThan(900);
  }, 60_000);

  it("evaluates at label fractions beside logreg, knn_raw, gbdt, scratch and the untrained encoder", async () => {
    const e = await runInProcess(["eval", run, "--data", train, "--test-data", test, "--label-column", "kind", "--label-fractions", "0.1,1", "--draws", "2", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    const lines = e.stdout.trim().split("\n").map((l) => JSON.parse(l) as Line);
    const kinds = lines.map((l) => `${l.encoder}/${l.probe}/${l.label_fraction}`);
    for (const f of [0.1, 1]) {
      for (const k of ["scarf/linear", "scarf/knn", "scarf/finetune", "random/linear", "random/knn", "logreg/linear", "knn_raw/knn", "gbdt/boosting", "scratch/finetune"]) expect(kinds).toContain(`${k}/${f}`);
    }
    // 10% of every class of 100 rows; every row at 1, with a single draw
    for (const l of lines) expect(l.labels).toBe(l.label_fraction === 1 ? 300 : 30);
    for (const l of lines.filter((x) => x.label_fraction === 1)) expect(l.sd).toBeNull();
    for (const l of lines.filter((x) => x.label_fraction === 0.1)) expect(l.sd).not.toBeNull();
    for (const l of lines) expect(l.accuracies).toHaveLength(l.label_fraction === 1 ? 1 : 2);
    // The classes are separable in (a, b): a test file standardized with its own shifted statistics would still be, but
    // its rows would move; with the training statistics logistic regression on all rows is near perfect.
    expect(lines.find((l) => l.encoder === "logreg" && l.label_fraction === 1)?.accuracy).toBeGreaterThan(0.9);
    expect(lines.find((l) => l.encoder === "scratch" && l.label_fraction === 1)?.accuracy).toBeGreaterThan(0.8);
    const table = await runInProcess(["eval", run, "--data", train, "--test-data", test, "--label-fractions", "1", "--baselines", "logreg"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/logreg\s+linear\s+100% \(300 rows\)\s+\d+\.\d%/);
  }, 120_000);

  it("embeds rows without a label column with the training statistics, and exports a model that takes encoded rows", async () => {
    const out = join(root, "rows.safetensors");
    const r = await runInProcess(["embed", run, "--data", unlabeled, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const saved = await readSafetensors(out);
    expect(saved.tensors.has("labels")).toBe(false);
    const embedded = saved.tensors.get("embeddings")?.data as Float32Array;
    // the same rows inside the training file embed to the same vectors
    const { encoder } = await loadRunEncoder(run);
    const encoding = parseTableEncoding(JSON.parse(readFileSync(join(run, "table.json"), "utf8")), "table.json");
    const rows = tableDataset(readCsvTable(train), { encoding });
    const all = await embedDataset(encoder, rows);
    for (let i = 0; i < 5 * all.dim; i++) expect(embedded[i]).toBeCloseTo(all.data[i] as number, 4);

    const model = join(root, "model.onnx");
    const x = await runInProcess(["export", run, "--out", model, "--batch-size", "5"]);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stderr).toMatch(/model\.table\.json/);
    expect(readFileSync(join(root, "model.table.json"), "utf8")).toBe(readFileSync(join(run, "table.json"), "utf8"));
    const session = await ort.InferenceSession.create(model);
    const d = encoding.features.length;
    const input = new Float32Array(5 * d);
    for (let i = 0; i < 5; i++) input.set(rows.get(i).fields.row as Float32Array, i * d);
    const got = (await session.run({ input: new ort.Tensor("float32", input, [5, d]) })).embedding?.data as Float32Array;
    await session.release();
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(embedded[i] as number, 4);
  }, 60_000);

  it("pretrains with the FT-Transformer encoder and refuses it for images", async () => {
    const ft = join(root, "ft");
    const r = await runInProcess(["pretrain", "--method", "vime", "--data", train, "--label-column", "kind", "--encoder", "ft-transformer", "--batch-size", "64", "--epochs", "1", "--out", ft]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(ft, "config.json"), "utf8")).pretrain).toMatchObject({ encoder: "ft-transformer" });
    const e = await runInProcess(["eval", ft, "--test-data", test, "--label-fractions", "1", "--probes", "linear", "--baselines", "none", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout.trim())).toMatchObject({ encoder: "vime", probe: "linear", label_fraction: 1, labels: 300 });
    expectOneLineError(await runInProcess(["pretrain", "--method", "simclr", "--data", "mnist", "--encoder", "ft-transformer", "--epochs", "1", "--out", join(root, "ft-mnist")]), "pretrain", /ft-transformer reads table rows; the data is image/);
  }, 60_000);

  const letter = hasBenchmark("letter");
  if (!letter) console.warn(`table-cli test: ${TABLE_CACHE_DIR}/letter-recognition.data is missing, so the letter test is skipped; .ci/run fetches it (apt-get download opencv-doc)`);
  it.skipIf(!letter)("pretrains and evaluates on letter by name, on its fixed split", async () => {
    const out = join(root, "letter");
    const r = await runInProcess(["pretrain", "--method", "scarf", "--data", "letter", "--limit", "2048", "--epochs", "1", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "table.json"), "utf8"))).toMatchObject({ labelColumn: "lettr" });
    const e = await runInProcess(["eval", out, "--label-fractions", "0.05", "--draws", "1", "--probes", "linear", "--baselines", "logreg", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    const lines = e.stdout.trim().split("\n").map((l) => JSON.parse(l) as Line);
    // 5% of each class of the 16,000 training rows; logistic regression on letter is far above chance (1/26)
    expect(lines.map((l) => `${l.encoder}/${l.probe}/${l.labels}`)).toEqual(["scarf/linear/800", "logreg/linear/800"]);
    expect(lines[1]?.accuracy).toBeGreaterThan(0.5);
  }, 120_000);

  it("fine-tunes the pretrained encoder and trains scratch with the same table recipe (TABLE_FINETUNE: 1,000 steps, L2 1e-4)", async () => {
    const e = await runInProcess(["eval", run, "--data", train, "--test-data", test, "--label-fractions", "1", "--probes", "finetune", "--baselines", "scratch", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    const lines = e.stdout.trim().split("\n").map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => `${l.encoder}/${l.probe}`)).toEqual(["scarf/finetune", "scratch/finetune"]);
    expect(TABLE_FINETUNE).toEqual({ steps: 1000, learningRate: 1e-3, weightDecay: 1e-4 });
    const loaded = await loadRunEncoder(run);
    const encoding = parseTableEncoding(JSON.parse(readFileSync(join(run, "table.json"), "utf8")), "table.json");
    const rows = tableDataset(readCsvTable(train), { encoding });
    const testRows = tableDataset(readCsvTable(test), { encoding });
    // A fraction of 1 is one draw of every row, seed 0: the library's calls with the recipe give the same figures.
    const pre = await finetune(loaded.encoder, rows, testRows, { ...TABLE_FINETUNE, seed: 0 });
    const scratch = await trainFromScratch((rng) => makeEncoder(loaded.pretrain.encoder, rows.spec, rng), rows, testRows, { ...TABLE_FINETUNE, seed: 0 });
    expect(pre.steps).toBe(1000);
    expect(lines[0]?.accuracy).toBe(pre.accuracy);
    expect(lines[1]?.accuracy).toBe(scratch.accuracy);
  }, 120_000);

  it("runs gradient-boosted trees on the encoded rows of the same draws (--baselines gbdt)", async () => {
    const e = await runInProcess(["eval", run, "--data", train, "--test-data", test, "--label-fractions", "0.5,1", "--draws", "2", "--probes", "linear", "--baselines", "gbdt", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    const lines = e.stdout.trim().split("\n").map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => `${l.encoder}/${l.probe}/${l.label_fraction}/${l.labels}`)).toEqual(["scarf/linear/0.5/150", "scarf/linear/1/300", "gbdt/boosting/0.5/150", "gbdt/boosting/1/300"]);
    const [half, all] = [lines[2], lines[3]] as [Line, Line];
    expect(half.accuracies).toHaveLength(2);
    expect(half.sd).not.toBeNull();
    expect(all.sd).toBeNull();
    // The line is the library's model on the run's encoding of the same rows: every row at a fraction of 1.
    const encoding = parseTableEncoding(JSON.parse(readFileSync(join(run, "table.json"), "utf8")), "table.json");
    const rows = tableDataset(readCsvTable(train), { encoding });
    const testRows = tableDataset(readCsvTable(test), { encoding });
    const [x, xt] = [rawFeatures(rows), rawFeatures(testRows)];
    const model = trainGradientBoosting(x.data, x.dim, rows.labels as Int32Array, 3);
    expect(all.accuracy).toBe(accuracy(predictGradientBoosting(model, xt.data), testRows.labels as Int32Array));
    // separable in (a, b): trees on the encoded features find it from the training statistics alone
    expect(all.accuracy).toBeGreaterThan(0.9);
  }, 60_000);

  it("refuses an impossible fraction and a missing label column in one line", async () => {
    const bad = await runInProcess(["eval", run, "--label-fractions", "0,1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/shares in \(0, 1\]/);
    const missing = await runInProcess(["pretrain", "--method", "scarf", "--data", train, "--label-column", "nope", "--epochs", "1", "--out", join(root, "x")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/train\.csv.*"nope"/);
  }, 60_000);
});

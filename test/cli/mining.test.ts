import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { mnistSplit } from "../../src/data/image/mnist.js";
import { expectOneLineError, runInProcess } from "./run-cli.js";

const TINY = ["--method", "rotation", "--data", "mnist", "--limit", "128", "--batch-size", "32", "--epochs", "1", "--quiet"];

/** One JSON object per stdout line. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A data error: one line naming the command, exit code 1. */
function expectDataError(r: { code: number | null; stderr: string }, command: string, pattern: RegExp): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^pretext ${command}: error: `));
  expect(lines[0]).toMatch(pattern);
}

describe("pretext index and search", () => {
  const root = mkdtempSync(join(tmpdir(), "pretext-mining-"));
  const run = join(root, "run");
  const other = join(root, "other-run");
  const folder = join(root, "digits");
  const db = join(root, "db");

  beforeAll(async () => {
    expect((await runInProcess(["pretrain", ...TINY, "--out", run])).code).toBe(0);
    expect((await runInProcess(["pretrain", ...TINY, "--seed", "9", "--out", other])).code).toBe(0);
    // 30 test digits of classes 0-2 as PNG files in class folders, plus an exact copy of one.
    const { test } = mnistSplit();
    const labels = test.labels as Int32Array;
    const count = [0, 0, 0];
    for (let i = 0; i < test.length && count.some((c) => c < 10); i++) {
      const y = labels[i] as number;
      if (y > 2 || (count[y] as number) >= 10) continue;
      const pixels = Buffer.from(Array.from(test.get(i).fields.image as Float32Array, (v) => Math.round(v * 255)));
      mkdirSync(join(folder, String(y)), { recursive: true });
      await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(folder, String(y), `${count[y]}.png`));
      count[y] = (count[y] as number) + 1;
    }
    copyFileSync(join(folder, "1", "3.png"), join(folder, "1", "3-copy.png"));
  }, 120_000);

  it("indexes a folder with paths and labels, and finds an item's file first by that file", async () => {
    const r = await runInProcess(["index", run, "--data", folder, "--db", db, "--json"]);
    expect(r.code).toBe(0);
    const [summary] = jsonLines(r.stdout);
    expect(summary).toMatchObject({ db, rows: 31, written: 31, resumed_at: 0, ann_index: false });

    const byFile = await runInProcess(["search", db, "--like", join(folder, "2", "4.png"), "-k", "3", "--json"]);
    expect(byFile.code).toBe(0);
    const hits = jsonLines(byFile.stdout);
    expect(hits).toHaveLength(3);
    expect(hits[0]).toMatchObject({ rank: 1, label: "2", path: join(folder, "2", "4.png") });
    expect(hits[0]?.similarity).toBeCloseTo(1, 4);

    // An item id: the item itself is left out; its exact copy comes first.
    const all = jsonLines((await runInProcess(["search", db, "--like", String(0), "-k", "40", "--json"])).stdout);
    expect(all).toHaveLength(30);
    const three = [...all].find((h) => h.path === join(folder, "1", "3.png"));
    expect(three).toBeDefined();
    const neighbours = jsonLines((await runInProcess(["search", db, "--like", String(three?.id), "-k", "1", "--json"])).stdout);
    expect(neighbours[0]).toMatchObject({ path: join(folder, "1", "3-copy.png") });
    expect(neighbours[0]?.similarity).toBeCloseTo(1, 5);

    const ones = jsonLines((await runInProcess(["search", db, "--like", "0", "-k", "5", "--label", "1", "--json"])).stdout);
    expect(ones.map((h) => h.label)).toEqual(["1", "1", "1", "1", "1"]);
    const human = await runInProcess(["search", db, "--like", "0", "-k", "2"]);
    expect(human.stdout).toMatch(/^2 most similar to item 0 in .*:\n {3}1 {2}id \d+ +similarity [01]\.\d{4} {2}label \d {2}\/.*\.png\n/);
  });

  it("a second index into the same db resumes as complete; another encoder's vectors are refused", async () => {
    const again = jsonLines((await runInProcess(["index", run, "--data", folder, "--db", db, "--json"])).stdout);
    expect(again[0]).toMatchObject({ rows: 31, written: 0, resumed_at: 31 });
    expectOneLineError(await runInProcess(["index", other, "--data", folder, "--db", db]), "index", /holds vectors of another encoder .*never mixed: give another --db/);
  });

  it("duplicates, outliers, clusters and select over the index, as JSON lines naming each item", async () => {
    const duplicates = await runInProcess(["duplicates", db, "--json"]);
    expect(duplicates.code).toBe(0);
    const members = jsonLines(duplicates.stdout);
    // The copied file is the one exact group; no near group repeats it.
    const exact = members.filter((m) => m.kind === "exact");
    expect(exact.map((m) => m.path).sort()).toEqual([join(folder, "1", "3-copy.png"), join(folder, "1", "3.png")]);
    expect(exact.every((m) => m.group === 0 && m.size === 2 && m.similarity === 1 && m.label === "1")).toBe(true);
    // A threshold every pair of items passes joins them all into one near group beside the exact one.
    const everything = jsonLines((await runInProcess(["duplicates", db, "--threshold", "0", "--json"])).stdout);
    expect(everything.filter((m) => m.kind === "near")).toHaveLength(31);

    const outliers = jsonLines((await runInProcess(["outliers", db, "--top", "5", "-k", "3", "--json"])).stdout);
    expect(outliers.map((o) => o.rank)).toEqual([1, 2, 3, 4, 5]);
    const scores = outliers.map((o) => o.score as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores[0]).toBeGreaterThan(0);
    const lof = jsonLines((await runInProcess(["outliers", db, "--by", "lof", "--top", "31", "--json"])).stdout);
    expect(new Set(lof.map((o) => o.id)).size).toBe(31);
    expectOneLineError(await runInProcess(["outliers", db, "-k", "31"]), "outliers", /-k 31: the items number 31; give k < 31/);
    expectDataError(await runInProcess(["outliers", db, "--where", "id < 0"]), "outliers", /: no items pass the filter \(id < 0\)/);

    const clusters = jsonLines((await runInProcess(["clusters", db, "-k", "3", "--central", "2", "--json"])).stdout);
    expect(clusters).toHaveLength(3);
    expect(clusters.reduce((s, c) => s + (c.size as number), 0)).toBe(31);
    for (const c of clusters) {
      expect(c.purity as number).toBeGreaterThan(0.3);
      expect((c.central as { path: string }[]).every((m) => m.path.startsWith(folder))).toBe(true);
    }
    const assignments = jsonLines((await runInProcess(["clusters", db, "-k", "3", "--assignments", "--json"])).stdout);
    expect(assignments).toHaveLength(31);
    expect(assignments.every((a) => [0, 1, 2].includes(a.cluster as number))).toBe(true);
    const ofTwos = jsonLines((await runInProcess(["clusters", db, "-k", "2", "--label", "2", "--json"])).stdout);
    expect(ofTwos.reduce((s, c) => s + (c.size as number), 0)).toBe(10);

    const picks = jsonLines((await runInProcess(["select", db, "--n", "6", "--json"])).stdout);
    expect(new Set(picks.map((p) => p.id)).size).toBe(6);
    expect(picks[0]?.distance).toBeNull(); // the first pick is at infinite distance from an empty selection
    const distances = picks.slice(1).map((p) => p.distance as number);
    expect([...distances].sort((a, b) => b - a)).toEqual(distances);
    const after = jsonLines((await runInProcess(["select", db, "--n", "3", "--labelled", "0,1", "--json"])).stdout);
    expect(after.map((p) => p.id)).not.toContain(0);
    expect(after[0]?.distance as number).toBeGreaterThan(0);
    const balanced = jsonLines((await runInProcess(["select", db, "--n", "4", "--balanced", "--json"])).stdout);
    expect(balanced).toHaveLength(4);
    expect(balanced.every((p) => typeof p.cluster === "number")).toBe(true);
    expectOneLineError(await runInProcess(["select", db, "--n", "3", "--labelled", "999"]), "select", /--labelled: id 999 is not among the 31 items/);

    const human = await runInProcess(["outliers", db, "--top", "2"]);
    expect(human.stdout).toMatch(/^2 most outlying of 31 items by cosine distance to the 10th nearest item:\n {3}1 {2}id \d+ +score \d\.\d{4} {2}label \d {2}\/.*\.png\n/);
  });

  it("the run's report gains a mining section once the run is indexed into <run>/index", async () => {
    expect((await runInProcess(["index", run, "--data", folder, "--quiet"])).code).toBe(0);
    const r = await runInProcess(["report", run]);
    expect(r.code).toBe(0);
    const html = readFileSync(join(run, "report.html"), "utf8");
    const mining = html.slice(html.indexOf("<h2>Duplicates</h2>"));
    expect(mining).toMatch(/1 group of exact copies/);
    expect(mining).toContain("3-copy.png");
    expect(mining).toContain("<h2>What to label first</h2>");
    expect(mining.match(/<img src="data:image\/png;base64,/g)?.length).toBeGreaterThan(20);
  });

  it("clear errors: not an index, an unknown item, a class that does not exist, a file of another kind", async () => {
    expectDataError(await runInProcess(["search", folder, "--like", "0"]), "search", /not a pretext index \(no pretext-index\.json\)/);
    expectOneLineError(await runInProcess(["search", db, "--like", "999"]), "search", /no item 999 in .* \(ids 0\.\.30\)/);
    expectOneLineError(await runInProcess(["search", db, "--like", "0", "--label", "7"]), "search", /--label 7: not a class of the index \(0, 1, 2\)/);
    expectOneLineError(await runInProcess(["search", db, "--like", "a cat"]), "search", /not an item id of .* nor a file; give an id or an image file/);
    const notImage = join(root, "notes.txt");
    writeFileSync(notImage, "hello");
    expectDataError(await runInProcess(["search", db, "--like", notImage]), "search", /notes\.txt: not an image file/);
    expectOneLineError(await runInProcess(["index", run, "--data", folder, "--db", folder]), "index", /not empty and not a pretext index/);
  });
});

describe("pretext index and search over text", () => {
  it("indexes documents with their texts and finds a document by its own text given as a query string", async () => {
    const root = mkdtempSync(join(tmpdir(), "pretext-mining-text-"));
    const docs = join(root, "docs.jsonl");
    const topics = { sea: "the whale swam in the deep sea under the ship", land: "the farmer ploughed the dry field by the barn" };
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) for (const [label, text] of Object.entries(topics)) lines.push(JSON.stringify({ text: `${text} ${i}`, label }));
    writeFileSync(docs, `${lines.join("\n")}\n`);
    const run = join(root, "mlm");
    const small = ["--d-model", "32", "--layers", "1", "--heads", "2", "--seed", "1", "--vocab-size", "300", "--context", "16", "--batch-size", "16", "--epochs", "1"];
    expect((await runInProcess(["pretrain", "--method", "mlm", "--data", docs, "--out", run, "--quiet", ...small])).code).toBe(0);
    const indexed = await runInProcess(["index", run, "--json"]);
    expect(indexed.code, indexed.stderr).toBe(0);
    expect(jsonLines(indexed.stdout)[0]).toMatchObject({ rows: 60, written: 60 });

    // The query string is embedded as the indexed texts were: its own document is at similarity 1
    // (one epoch of a tiny model ties many documents of a topic there, so it need not rank first).
    const query = `${topics.land} 7`;
    const hits = jsonLines((await runInProcess(["search", join(run, "index"), "--like", query, "-k", "60", "--json"])).stdout);
    expect(hits).toHaveLength(60);
    expect(hits.slice(0, 5).map((h) => h.label)).toEqual(["land", "land", "land", "land", "land"]);
    const own = hits.find((h) => h.text === query);
    expect(own?.similarity).toBeCloseTo(1, 4);
    expect(own?.similarity).toBeGreaterThanOrEqual((hits[0]?.similarity as number) - 1e-5);
    const sea = jsonLines((await runInProcess(["search", join(run, "index"), "--like", "whale", "-k", "2", "--label", "sea", "--json"])).stdout);
    expect(sea.map((h) => h.label)).toEqual(["sea", "sea"]);
    const duplicates = await runInProcess(["duplicates", join(run, "index"), "--json"]);
    expect(duplicates.code).toBe(0);
  }, 120_000);
});

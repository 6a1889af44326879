import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type CsrMatrix, checkCsr, csrTakeRows, csrToDense } from "../../src/eval/csr.js";
import { labelSubsets } from "../../src/eval/label-subsets.js";
import { numpyArgsort } from "../../src/eval/numpy-argsort.js";
import { SparseLogisticRegression } from "../../src/eval/sparse-logistic-regression.js";
import { tfidfBaseline } from "../../src/eval/tfidf-baseline.js";
import { type TfidfOptions, TfidfVectorizer, analyze, compareCodePoints } from "../../src/eval/tfidf.js";

interface Row {
  readonly indices: number[];
  readonly values: number[];
}
interface VectorizerCase {
  readonly options: Record<string, unknown>;
  readonly vocabularySize: number;
  readonly vocabularySha256: string;
  readonly samples: { index: number; term: string; idf: number }[];
  readonly trainRows: Record<string, Row>;
  readonly testRows: Record<string, Row>;
  readonly trainRowNnz: number[];
  readonly trainRowSums: number[];
  readonly testRowNnz: number[];
  readonly testRowSums: number[];
  readonly vocabulary?: string[];
  readonly maxFeaturesTie?: { count: number; candidates: number; kept: number };
}
interface LogisticCase {
  readonly objective: number;
  readonly iterations: number;
  readonly correct: number;
  readonly accuracy: number;
}

/** Written by scripts/sklearn-tfidf.py (scikit-learn 1.2.1, numpy 1.24.2) on State of the Union paragraphs. */
const fixture = JSON.parse(readFileSync(new URL("../fixtures/sklearn/tfidf-sotu.json", import.meta.url), "utf8")) as {
  train: { texts: string[]; labels: number[] };
  test: { texts: string[]; labels: number[] };
  vectorizers: Record<string, VectorizerCase>;
  unicode: { texts: string[]; analyzers: { options: { ngram_range?: [number, number] }; tokens: string[][] }[] };
  numpyArgsort: { values: number[]; order: number[]; heapsort: number[] }[];
  logisticRegression: {
    all: LogisticCase & { probaHead: number[][]; optimumObjective: number };
    budgets: { perClass: number; draws: (LogisticCase & { indices: number[] })[] }[];
    drawSeed: number;
    draws: number;
  };
};

/** Our options for each of the script's vectorizer settings (sklearn's keyword arguments alongside). */
const SETTINGS: Record<string, { sklearn: Record<string, unknown>; ours: TfidfOptions }> = {
  default: { sklearn: {}, ours: {} },
  bigrams: {
    sklearn: { ngram_range: [1, 2], min_df: 2, max_df: 0.5, max_features: 1000, sublinear_tf: true },
    ours: { ngramRange: [1, 2], minDf: 2, maxDf: { fraction: 0.5 }, maxFeatures: 1000, sublinearTf: true },
  },
  fractions: { sklearn: { min_df: 0.01, max_df: 100, smooth_idf: false }, ours: { minDf: { fraction: 0.01 }, maxDf: 100, smoothIdf: false } },
};

const train = { texts: fixture.train.texts, labels: Int32Array.from(fixture.train.labels) };
const test = { texts: fixture.test.texts, labels: Int32Array.from(fixture.test.labels) };

function rowOf(x: CsrMatrix, r: number): Row {
  const begin = x.indptr[r] as number;
  const end = x.indptr[r + 1] as number;
  return { indices: Array.from(x.indices.subarray(begin, end)), values: Array.from(x.values.subarray(begin, end)) };
}

function rowSums(x: CsrMatrix): number[] {
  return Array.from({ length: x.rows }, (_, r) => rowOf(x, r).values.reduce((a, b) => a + b, 0));
}

function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  const worst = actual.reduce((m, v, i) => Math.max(m, Math.abs(v - (expected[i] as number))), 0);
  expect(worst).toBeLessThan(tolerance);
}

describe("TfidfVectorizer against scikit-learn's TfidfVectorizer", () => {
  for (const [name, setting] of Object.entries(SETTINGS)) {
    it(`matches vocabulary, idf and rows with ${name} settings`, () => {
      const ref = fixture.vectorizers[name] as VectorizerCase;
      expect(ref.options).toEqual(setting.sklearn);
      const vectorizer = new TfidfVectorizer(setting.ours);
      const x = vectorizer.fitTransform(train.texts);
      const xTest = vectorizer.transform(test.texts);
      checkCsr(x, "train");
      checkCsr(xTest, "test");
      expect(vectorizer.vocabulary.length).toBe(ref.vocabularySize);
      if (ref.vocabulary !== undefined) expect(vectorizer.vocabulary).toEqual(ref.vocabulary);
      expect(createHash("sha256").update(vectorizer.vocabulary.join("\n"), "utf8").digest("hex")).toBe(ref.vocabularySha256);
      for (const s of ref.samples) {
        expect(vectorizer.vocabulary[s.index]).toBe(s.term);
        expect(Math.abs((vectorizer.idf[s.index] as number) - s.idf)).toBeLessThan(1e-12);
      }
      for (const [r, row] of Object.entries(ref.trainRows)) {
        expect(rowOf(x, Number(r)).indices).toEqual(row.indices);
        expectClose(rowOf(x, Number(r)).values, row.values, 1e-12);
      }
      for (const [r, row] of Object.entries(ref.testRows)) {
        expect(rowOf(xTest, Number(r)).indices).toEqual(row.indices);
        expectClose(rowOf(xTest, Number(r)).values, row.values, 1e-12);
      }
      expect(Array.from(x.indptr.subarray(1), (v, r) => v - (x.indptr[r] as number))).toEqual(ref.trainRowNnz);
      expect(Array.from(xTest.indptr.subarray(1), (v, r) => v - (xTest.indptr[r] as number))).toEqual(ref.testRowNnz);
      expectClose(rowSums(x), ref.trainRowSums, 1e-10);
      expectClose(rowSums(xTest), ref.testRowSums, 1e-10);
    });
  }

  it("breaks max_features ties as sklearn does (the cutoff falls inside a tie)", () => {
    const tie = fixture.vectorizers.bigrams?.maxFeaturesTie;
    // Of the terms counted `count` times, sklearn keeps `kept`; the vocabulary test above checks which.
    expect(tie?.kept).toBeGreaterThan(0);
    expect(tie?.candidates).toBeGreaterThan(tie?.kept ?? 0);
  });

  it("tokenizes non-ASCII text as Python's Unicode \\w does", () => {
    for (const { options, tokens } of fixture.unicode.analyzers) {
      const ngramRange = options.ngram_range ?? [1, 1];
      expect(fixture.unicode.texts.map((t) => analyze(t, { ngramRange }))).toEqual(tokens);
    }
    // Combining marks are not \w: "e\u0301cole" gives "cole", "İ" lowercases to "i\u0307".
    expect(analyze("e\u0301cole İstanbul")).toEqual(["cole", "stanbul"]);
    // An astral letter is one character: "𝐀x" has two, "𝐀" one (no token).
    expect(analyze("𝐀x 𝐀")).toEqual(["𝐀x"]);
  });

  it("ports numpy's argsort with its order of ties, and its heapsort fallback", () => {
    for (const { values, order, heapsort } of fixture.numpyArgsort) {
      expect(Array.from(numpyArgsort(values))).toEqual(order);
      expect(Array.from(numpyArgsort(values, "heapsort"))).toEqual(heapsort);
    }
  });

  it("sorts terms by code point, as Python's sorted", () => {
    const terms = ["\uff41b", "𝐀", "z", "éa", "\ue000", "a", "ab", "𝐀a", "\ud7ff"];
    const byCodePoints = [...terms].sort((a, b) => {
      const [x, y] = [Array.from(a, (c) => c.codePointAt(0) as number), Array.from(b, (c) => c.codePointAt(0) as number)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
      return x.length - y.length;
    });
    expect([...terms].sort(compareCodePoints)).toEqual(byCodePoints);
    expect([...terms].sort()).not.toEqual(byCodePoints);
  });

  it("gives fit then transform what fitTransform gives, zero rows for unknown words, float32 on request", () => {
    const texts = ["the cat sat", "the dog", "a b c", "cat cat dog"];
    const once = new TfidfVectorizer().fitTransform(texts);
    const twice = new TfidfVectorizer().fit(texts).transform(texts);
    expect(Array.from(csrToDense(once))).toEqual(Array.from(csrToDense(twice)));
    expect(once.indptr[3]).toBe(once.indptr[2]);
    const f32 = new TfidfVectorizer({ dtype: "float32" }).fitTransform(texts);
    expect(f32.values).toBeInstanceOf(Float32Array);
    expectClose(Array.from(f32.values), Array.from(once.values), 1e-7);
    expect(Array.from(csrTakeRows(once, [3, 0]).indices)).toEqual([...rowOf(once, 3).indices, ...rowOf(once, 0).indices]);
  });

  it("rejects ambiguous or impossible bounds", () => {
    expect(() => new TfidfVectorizer({ maxDf: 0.5 })).toThrow(/count .* or \{ fraction \}/);
    expect(() => new TfidfVectorizer({ minDf: { fraction: 1.5 } })).toThrow(/outside \[0, 1\]/);
    expect(() => new TfidfVectorizer({ minDf: 3, maxDf: 2 }).fit(["aa bb", "aa cc", "aa"])).toThrow(/fewer documents than minDf/);
    expect(() => new TfidfVectorizer({ minDf: 2 }).fit(["aa bb", "cc dd"])).toThrow(/no terms remain/);
  });
});

describe("SparseLogisticRegression against scikit-learn's LogisticRegression", () => {
  const vectorizer = new TfidfVectorizer();
  const x = vectorizer.fitTransform(train.texts);
  const xTest = vectorizer.transform(test.texts);
  const ref = fixture.logisticRegression;

  it("reaches sklearn's objective with all train labels and predicts the same test labels", () => {
    const model = SparseLogisticRegression.fit(x, train.labels, 3);
    expect(model.fit.stop === "gradient" || model.fit.stop === "function").toBe(true);
    expect(Math.abs(model.fit.objective - ref.all.objective) / ref.all.objective).toBeLessThan(1e-4);
    const predicted = model.predict(xTest);
    const correct = predicted.reduce((n, p, i) => n + (p === test.labels[i] ? 1 : 0), 0);
    expect(Math.abs(correct - ref.all.correct)).toBeLessThanOrEqual(1);
    expectClose(Array.from(model.predictProba(csrTakeRows(xTest, [0, 1, 2]))), ref.all.probaHead.flat(), 1e-3);
  });

  it("trains on the protocol's label subsets with sklearn's objective and accuracy (tfidfBaseline)", () => {
    const perClass = ref.budgets.map((b) => b.perClass);
    for (const budget of ref.budgets) {
      const ours = labelSubsets(train.labels, budget.perClass, ref.draws, ref.drawSeed, 3).map((d) => Array.from(d));
      expect(ours).toEqual(budget.draws.map((d) => d.indices));
    }
    const result = tfidfBaseline(train, test, 3, { perClass, draws: ref.draws, seed: ref.drawSeed });
    expect(result.vocabularySize).toBe(fixture.vectorizers.default?.vocabularySize);
    expect(Math.abs((result.all?.accuracy ?? 0) - ref.all.accuracy) * test.labels.length).toBeLessThanOrEqual(1 + 1e-9);
    result.perClass.forEach((setting, b) => {
      const draws = ref.budgets[b]?.draws ?? [];
      setting.accuracy.values.forEach((acc, d) => {
        const sk = draws[d] as LogisticCase;
        expect(Math.abs(acc * test.labels.length - sk.correct)).toBeLessThanOrEqual(1 + 1e-9);
        expect(Math.abs((setting.fits[d]?.objective ?? 0) - sk.objective) / sk.objective).toBeLessThan(1e-4);
      });
    });
  });
});

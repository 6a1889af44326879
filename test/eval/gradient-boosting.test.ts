import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { accuracy, predictGradientBoosting, predictProbabilities, trainGradientBoosting } from "../../src/eval/index.js";
import { binOf, binThresholds } from "../../src/eval/gradient-boosting-binning.js";
import { Rng } from "../../src/random/rng.js";
import { blobs } from "./blobs.js";

/** Written by scripts/sklearn-gbdt.py (scikit-learn 1.2.1, numpy 1.24.2): HistGradientBoostingClassifier, defaults, early stopping off. */
interface SklearnCase {
  dim: number;
  numClasses: number;
  train: { x: number[]; y: number[] };
  test: { x: number[]; y: number[] };
  accuracy: number;
  predicted: number[];
  probabilities: number[][];
  thresholds0: number[];
  firstIteration: { leaves: number; values: number[] }[];
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/sklearn/gbdt.json", import.meta.url), "utf8")) as { cases: Record<string, SklearnCase> };

/** XOR of two signs: no linear boundary separates it; two splits deep, trees do. */
function xor(n: number, seed: number): { features: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const features = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.uniform() * 2 - 1;
    const b = rng.uniform() * 2 - 1;
    features.set([a, b], i * 2);
    labels[i] = a > 0 !== b > 0 ? 1 : 0;
  }
  return { features, labels };
}

describe("gradient boosting", () => {
  it("classifies separated blobs perfectly, in one class per iteration's tree", () => {
    const all = blobs(100, 3, 4, 8, 0);
    const [train, test] = [0, 1].map((half) => ({
      features: all.features.subarray(half * 150 * 4, (half + 1) * 150 * 4),
      labels: all.labels.subarray(half * 150, (half + 1) * 150),
    })) as [typeof all, typeof all];
    const model = trainGradientBoosting(train.features, 4, train.labels, 3, { maxIterations: 20 });
    expect(model.treesPerIteration).toBe(3);
    expect(model.treeStart).toHaveLength(60);
    expect(accuracy(predictGradientBoosting(model, test.features), test.labels)).toBe(1);
  });

  it("learns XOR, which a linear model cannot (one tree per iteration for two classes)", () => {
    const train = xor(400, 1);
    const test = xor(200, 2);
    const model = trainGradientBoosting(train.features, 2, train.labels, 2);
    expect(model.treesPerIteration).toBe(1);
    expect(accuracy(predictGradientBoosting(model, test.features), test.labels)).toBeGreaterThan(0.95);
    // Stumps add a function of a to one of b, as a linear model does: XOR is beyond them.
    const stumps = trainGradientBoosting(train.features, 2, train.labels, 2, { maxLeafNodes: 2 });
    expect(accuracy(predictGradientBoosting(stumps, test.features), test.labels)).toBeLessThan(0.7);
    const probabilities = predictProbabilities(model, test.features);
    for (let r = 0; r < 200; r++) expect((probabilities[2 * r] as number) + (probabilities[2 * r + 1] as number)).toBeCloseTo(1, 6);
  });

  it("is deterministic: the same rows give the same trees", () => {
    const { features, labels } = blobs(40, 4, 3, 2, 5);
    const a = trainGradientBoosting(features, 3, labels, 4, { maxIterations: 10 });
    const b = trainGradientBoosting(features, 3, labels, 4, { maxIterations: 10 });
    expect(b.nodes.value).toEqual(a.nodes.value);
    expect(b.nodes.threshold).toEqual(a.nodes.threshold);
    expect(b.treeStart).toEqual(a.treeStart);
  });

  it("keeps a class of one row, a class absent from training, and a single class", () => {
    const { features, labels } = blobs(60, 2, 3, 6, 7);
    const withSingle = Int32Array.from(labels);
    withSingle[5] = 2; // one row of class 2 (no leaf can hold it alone: 20 rows at least)
    // 4 classes declared, class 3 never seen
    const model = trainGradientBoosting(features, 3, withSingle, 4, { maxIterations: 10 });
    expect(Array.from(model.classes)).toEqual([0, 1, 2]);
    const p = predictProbabilities(model, features);
    for (let r = 0; r < 120; r++) {
      expect(p[4 * r + 3]).toBe(0);
      expect(p[4 * r + 2]).toBeGreaterThan(0);
      expect(p[4 * r + 2]).toBeLessThan(0.5);
    }
    expect(accuracy(predictGradientBoosting(model, features), labels)).toBeGreaterThan(0.95);
    const one = trainGradientBoosting(features, 3, new Int32Array(120).fill(1), 3);
    expect(Array.from(predictGradientBoosting(one, features.subarray(0, 9)))).toEqual([1, 1, 1]);
  });

  it("predicts the prior when no leaf can be made (fewer than 2 × 20 rows)", () => {
    const { features, labels } = blobs(5, 3, 2, 6, 1);
    const skewed = Int32Array.from(labels, (y, i) => (i < 3 ? 0 : y === 0 ? 1 : y));
    const model = trainGradientBoosting(features, 2, skewed, 3);
    expect(Array.from(new Set(model.nodes.value))).toEqual([0]);
    const majority = [0, 1, 2].reduce((best, c) => (skewed.filter((y) => y === c).length > skewed.filter((y) => y === best).length ? c : best), 0);
    expect(new Set(predictGradientBoosting(model, features))).toEqual(new Set([majority]));
  });

  it("refuses non-finite features, labels out of range and bad options in one line", () => {
    const { features, labels } = blobs(30, 2, 2, 4, 0);
    const withNaN = Float32Array.from(features);
    withNaN[7] = Number.NaN;
    expect(() => trainGradientBoosting(withNaN, 2, labels, 2)).toThrow(/row 3, feature 1 is NaN; impute/);
    expect(() => trainGradientBoosting(features, 2, labels, 1)).toThrow(/label 1 is outside \[0, 1\)/);
    expect(() => trainGradientBoosting(features, 3, labels, 2)).toThrow(/120 feature values for 60 labels/);
    expect(() => trainGradientBoosting(features, 2, labels, 2, { maxBins: 256 })).toThrow(/maxBins/);
    expect(() => trainGradientBoosting(features, 2, labels, 2, { maxLeafNodes: 1 })).toThrow(/maxLeafNodes/);
  });

  it("bins by midpoints of distinct values, or by numpy's midpoint percentiles above maxBins", () => {
    const t = binThresholds(Float32Array.of(3, 1, 1, 2, 3), 1, 255)[0] as Float64Array;
    expect(Array.from(t)).toEqual([1.5, 2.5]);
    expect([0, 1, 1.5, 1.6, 2.5, 9].map((v) => binOf(v, t))).toEqual([0, 0, 0, 1, 1, 2]);
    // 10 distinct values into 4 bins: np.percentile(0..9, [25, 50, 75], method="midpoint") = 2.5, 4.5, 6.5
    const q = binThresholds(Float32Array.from({ length: 10 }, (_, i) => i), 1, 4)[0] as Float64Array;
    expect(Array.from(q)).toEqual([2.5, 4.5, 6.5]);
  });
});

describe("gradient boosting against scikit-learn's HistGradientBoostingClassifier", () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(`${name}: the same thresholds, first trees, test accuracy and predictions`, () => {
      const train = { features: Float32Array.from(c.train.x), labels: Int32Array.from(c.train.y) };
      const test = { features: Float32Array.from(c.test.x), labels: Int32Array.from(c.test.y) };
      expect(Array.from(binThresholds(train.features, c.dim, 255)[0] as Float64Array)).toEqual(c.thresholds0);
      const model = trainGradientBoosting(train.features, c.dim, train.labels, c.numClasses);
      const slots = model.treesPerIteration;
      c.firstIteration.forEach((tree, k) => {
        const start = model.treeStart[k] as number;
        const end = k + 1 < model.treeStart.length ? (model.treeStart[k + 1] as number) : model.nodes.feature.length;
        const values: number[] = [];
        for (let i = start; i < end; i++) if ((model.nodes.feature[i] as number) < 0) values.push(model.nodes.value[i] as number);
        expect(values.length, `tree ${k}`).toBe(tree.leaves);
        values.sort((a, b) => a - b).forEach((v, i) => expect(v).toBeCloseTo(tree.values[i] as number, 9));
      });
      expect(slots).toBe(c.firstIteration.length);
      const predicted = predictGradientBoosting(model, test.features);
      expect(Math.abs(accuracy(predicted, test.labels) - c.accuracy)).toBeLessThanOrEqual(0.01);
      // most predictions equal (in fact all, with scikit-learn's sums in the same order)
      expect(accuracy(predicted, Int32Array.from(c.predicted))).toBeGreaterThanOrEqual(0.98);
      const probabilities = predictProbabilities(model, test.features.subarray(0, 10 * c.dim));
      c.probabilities.forEach((row, r) => row.forEach((p, k) => expect(probabilities[r * c.numClasses + k]).toBeCloseTo(p, 5)));
    });
  }
});

import { describe, expect, it } from "vitest";
import { type Neighbours, defaultDuplicateThreshold, duplicateGroups, exactDuplicateGroups, exactNeighbours } from "../../src/mining/index.js";
import { Rng } from "../../src/random/rng.js";

describe("duplicateGroups", () => {
  it("joins chains of close pairs into sorted groups, larger groups first", () => {
    // item 0–3 chain (0~1, 1~2, 2~3), 5~6, 4 alone: each row lists its neighbours most similar first
    const neighbours: Neighbours = {
      k: 2,
      indices: Int32Array.of(1, 4, 0, 2, 1, 3, 2, 0, 0, 1, 6, 0, 5, 0),
      similarities: Float32Array.of(0.99, 0.2, 0.99, 0.97, 0.97, 0.96, 0.96, 0.1, 0.3, 0.2, 0.98, 0.1, 0.98, 0.1),
    };
    expect(duplicateGroups(neighbours, 0.95).map((g) => Array.from(g))).toEqual([[0, 1, 2, 3], [5, 6]]);
    expect(duplicateGroups(neighbours, 0.975).map((g) => Array.from(g))).toEqual([[0, 1], [5, 6]]);
    expect(duplicateGroups(neighbours, 1)).toEqual([]);
    expect(() => duplicateGroups(neighbours, 1.5)).toThrow("threshold must be a cosine similarity");
  });

  it("finds planted near copies at the default threshold and nothing else", async () => {
    const rng = new Rng(1);
    const dim = 32;
    const n = 400;
    const x = rng.normalArray(n * dim);
    // items 0..19 get a copy at 380 + i: 10 exact, 10 with 2% noise
    for (let i = 0; i < 20; i++) {
      for (let d = 0; d < dim; d++) x[(380 + i) * dim + d] = (x[i * dim + d] as number) + (i < 10 ? 0 : 0.02 * rng.normal());
    }
    const neighbours = await exactNeighbours(x, dim, { k: 5 });
    const nearest = Float32Array.from({ length: n }, (_, i) => neighbours.similarities[i * 5] as number);
    const threshold = defaultDuplicateThreshold(nearest);
    expect(threshold).toBeLessThan(0.999);
    expect(threshold).toBeGreaterThan(0.5);
    const groups = duplicateGroups(neighbours, threshold).map((g) => Array.from(g));
    expect(groups).toEqual(Array.from({ length: 20 }, (_, i) => [i, 380 + i]));
  });
});

describe("defaultDuplicateThreshold", () => {
  it("is the log-distance fence: median − 6·1.4826·MAD of log(1 − s) by default", () => {
    // distances 0.1, 0.2, 0.4, 0.8, 1.6: log2 steps, so the median is log 0.4 and MAD = log 2
    const s = Float32Array.from([0.1, 0.2, 0.4, 0.8, 1.6], (d) => 1 - d);
    const expected = 1 - Math.exp(Math.log(0.4) - 6 * 1.4826 * Math.log(2));
    expect(defaultDuplicateThreshold(s)).toBeCloseTo(expected, 6);
    expect(defaultDuplicateThreshold(s, { fence: 0 })).toBeCloseTo(0.6, 6);
    expect(() => defaultDuplicateThreshold(new Float32Array(0))).toThrow("no similarities");
    expect(() => defaultDuplicateThreshold(Float32Array.of(3))).toThrow("[0] = 3 is not a cosine similarity");
  });
});

describe("exactDuplicateGroups", () => {
  it("groups equal hashes", () => {
    const groups = exactDuplicateGroups(["a", "b", "a", "c", "b", "a", "d"]).map((g) => Array.from(g));
    expect(groups).toEqual([[0, 2, 5], [1, 4]]);
    expect(exactDuplicateGroups(["x", "y"])).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { type Neighbours, exactNeighbours, exactSearch, largestClassMatchCount, meanAveragePrecisionAtR, precisionAtK } from "../../src/mining/index.js";
import { golden } from "./golden.js";

describe("retrieval metrics", () => {
  it("match numpy's precision@k and MAP@R on the golden rankings", async () => {
    const labels = Int32Array.from(golden.labels);
    const k = largestClassMatchCount({ queryLabels: labels });
    expect(k).toBe(39);
    const neighbours = await exactNeighbours(Float32Array.from(golden.x), golden.dim, { k });
    for (const [at, value] of Object.entries(golden.precision_at)) expect(precisionAtK(neighbours, { queryLabels: labels }, Number(at))).toBeCloseTo(value, 10);
    expect(meanAveragePrecisionAtR(neighbours, { queryLabels: labels })).toBeCloseTo(golden.map_at_r, 10);
  });

  it("MAP@R rewards ranking the matches first, where precision@R does not", () => {
    // query 0 of class 0 with R = 2 matches (items 1, 2), found at ranks 1, 3 vs 2, 3
    const labels = { queryLabels: [0], referenceLabels: [0, 0, 0, 1] };
    const early: Neighbours = { k: 3, indices: Int32Array.of(1, 3, 2), similarities: Float32Array.of(0.9, 0.8, 0.7) };
    const late: Neighbours = { k: 3, indices: Int32Array.of(3, 1, 2), similarities: Float32Array.of(0.9, 0.8, 0.7) };
    // reference here holds the query too (item 0), so R counts the other 2 of class 0 plus itself: 3
    expect(meanAveragePrecisionAtR(early, labels)).toBeCloseTo((1 + 2 / 3) / 3, 12);
    expect(meanAveragePrecisionAtR(late, labels)).toBeCloseTo((1 / 2 + 2 / 3) / 3, 12);
    expect(precisionAtK(early, labels, 3)).toBe(precisionAtK(late, labels, 3));
  });

  it("uses the reference labels for external queries and refuses too few neighbours", async () => {
    const reference = Float32Array.of(1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9);
    const neighbours = await exactSearch(reference, 2, Float32Array.of(1, 0.05, 0.05, 1), { k: 2 });
    const labels = { queryLabels: [0, 1], referenceLabels: [0, 0, 1, 1] };
    expect(precisionAtK(neighbours, labels)).toBe(1);
    expect(meanAveragePrecisionAtR(neighbours, labels)).toBe(1);
    const one = await exactSearch(reference, 2, Float32Array.of(1, 0.05, 0.05, 1), { k: 1 });
    expect(() => meanAveragePrecisionAtR(one, labels)).toThrow("query 0 has R = 2 items of its class but only 1 neighbours");
    expect(() => precisionAtK(one, { queryLabels: [0] })).toThrow("1 query labels for 2 queries");
  });
});

import { describe, expect, it } from "vitest";
import { diverseSubset } from "../../src/mining/index.js";
import { blobs } from "../eval/blobs.js";
import { golden } from "./golden.js";

describe("diverseSubset", () => {
  it("matches a numpy greedy k-center from already selected items", () => {
    const result = diverseSubset(Float32Array.from(golden.x), golden.dim, 12, { selected: Int32Array.from(golden.k_center_selected) });
    expect(Array.from(result.indices)).toEqual(golden.k_center_picks);
    // the covering radius never grows
    for (let i = 1; i < result.distances.length; i++) expect(result.distances[i]).toBeLessThanOrEqual(result.distances[i - 1] as number);
  });

  it("covers every blob within its first picks, seeded, and balances over clusters", () => {
    const { features, labels } = blobs(50, 6, 10, 8, 1);
    const a = diverseSubset(features, 10, 6, { seed: 4 });
    expect(a.distances[0]).toBe(Infinity);
    expect(new Set(Array.from(a.indices, (i) => labels[i])).size).toBe(6);
    expect(diverseSubset(features, 10, 6, { seed: 4 }).indices).toEqual(a.indices);
    expect(diverseSubset(features, 10, 6, { seed: 5 }).indices).not.toEqual(a.indices);
    // balanced: picks cycle through the clusters in id order, however far apart they are
    const balanced = diverseSubset(features, 10, 18, { clusters: labels, seed: 0 });
    expect(Array.from(balanced.indices, (i) => labels[i])).toEqual(Array.from({ length: 18 }, (_, i) => i % 6));
  });

  it("stops when nothing is left and refuses bad ids", () => {
    const x = Float32Array.of(1, 0, 0, 1, -1, 0);
    expect(diverseSubset(x, 2, 10, { selected: Int32Array.of(1) }).indices.length).toBe(2);
    expect(diverseSubset(x, 2, 10, { clusters: Int32Array.of(0, 0, 1) }).indices.length).toBe(3);
    expect(() => diverseSubset(x, 2, 1, { selected: Int32Array.of(3) })).toThrow("selected[0] = 3 is not one of the 3 items");
  });
});

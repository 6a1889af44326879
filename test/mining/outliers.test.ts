import { describe, expect, it } from "vitest";
import { exactNeighbours, exactSearch, kthNeighbourDistance, localOutlierFactor, topScores } from "../../src/mining/index.js";
import { golden } from "./golden.js";

describe("outlier scores", () => {
  it("LOF matches scikit-learn's LocalOutlierFactor(metric='cosine') to 1e-4", async () => {
    const neighbours = await exactNeighbours(Float32Array.from(golden.x), golden.dim, { k: golden.k });
    const lof = localOutlierFactor(neighbours);
    expect(lof.length).toBe(golden.lof.length);
    let worst = 0;
    lof.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (golden.lof[i] as number)) / (golden.lof[i] as number))));
    expect(worst).toBeLessThan(1e-4);
    // the eight planted far points (the last rows) are the top LOF scores
    expect(Array.from(topScores(lof, 8)).sort((a, b) => a - b)).toEqual([160, 161, 162, 163, 164, 165, 166, 167]);
  });

  it("k-th neighbour distance is 1 − the k-th similarity, and LOF with fewer neighbours differs", async () => {
    const neighbours = await exactNeighbours(Float32Array.from(golden.x), golden.dim, { k: golden.k });
    const tenth = kthNeighbourDistance(neighbours);
    tenth.forEach((d, i) => expect(d).toBeCloseTo(golden.neighbour_distances[i * golden.k + golden.k - 1] as number, 5));
    const first = kthNeighbourDistance(neighbours, 1);
    first.forEach((d, i) => expect(d).toBeLessThanOrEqual((tenth[i] as number) + 1e-7));
    expect(localOutlierFactor(neighbours, 3)).not.toEqual(localOutlierFactor(neighbours));
    expect(() => kthNeighbourDistance(neighbours, 11)).toThrow("k must be an integer in [1, 10]");
  });

  it("scores queries against a reference set", async () => {
    // reference: unit vectors near (1, 0); queries: one on it, one orthogonal
    const reference = Float32Array.of(1, 0, 0.99, 0.1, 0.98, -0.12);
    const scores = kthNeighbourDistance(await exactSearch(reference, 2, Float32Array.of(2, 0.05, 0, 1), { k: 2 }));
    expect(scores[0]).toBeLessThan(0.01);
    expect(scores[1]).toBeGreaterThan(0.85);
  });

  it("topScores orders by score, ties to the lower index", () => {
    expect(Array.from(topScores(Float32Array.of(0.1, 0.5, 0.5, 0.9, 0.2), 3))).toEqual([3, 1, 2]);
    expect(Array.from(topScores(Float32Array.of(1, 2), 5))).toEqual([1, 0]);
  });
});

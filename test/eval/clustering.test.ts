import { describe, expect, it } from "vitest";
import { adjustedRandIndex, clusteringScores, kMeans, normalizedMutualInfo } from "../../src/eval/index.js";
import { Rng } from "../../src/random/rng.js";
import { blobs } from "./blobs.js";

describe("NMI and ARI", () => {
  it("are 1 for identical labelings, whatever the ids", () => {
    const a = [0, 0, 1, 1, 2, 2, 2];
    const renamed = [5, 5, 9, 9, 1, 1, 1];
    expect(normalizedMutualInfo(a, a)).toBeCloseTo(1, 12);
    expect(adjustedRandIndex(a, a)).toBeCloseTo(1, 12);
    expect(normalizedMutualInfo(a, renamed)).toBeCloseTo(1, 12);
    expect(adjustedRandIndex(a, renamed)).toBeCloseTo(1, 12);
  });

  it("match scikit-learn on small examples", () => {
    // sklearn 1.2: normalized_mutual_info_score / adjusted_rand_score
    expect(normalizedMutualInfo([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(0.5158037429793888, 12);
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(0.24242424242424243, 12);
    expect(normalizedMutualInfo([0, 0, 1, 1, 2, 2, 2, 3], [1, 1, 0, 0, 0, 2, 2, 2])).toBeCloseTo(0.7020168761809934, 12);
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2, 2, 3], [1, 1, 0, 0, 0, 2, 2, 2])).toBeCloseTo(0.3684210526315789, 12);
  });

  it("are symmetric", () => {
    const a = [0, 1, 1, 2, 0, 2, 1];
    const b = [1, 1, 0, 0, 2, 2, 2];
    expect(normalizedMutualInfo(a, b)).toBeCloseTo(normalizedMutualInfo(b, a), 12);
    expect(adjustedRandIndex(a, b)).toBeCloseTo(adjustedRandIndex(b, a), 12);
  });

  it("are near 0 for independent labelings", () => {
    const rng = new Rng(3);
    const a = Array.from({ length: 20000 }, () => rng.int(10));
    const b = Array.from({ length: 20000 }, () => rng.int(10));
    expect(normalizedMutualInfo(a, b)).toBeLessThan(0.005);
    expect(Math.abs(adjustedRandIndex(a, b))).toBeLessThan(0.005);
  });

  it("handle one-cluster labelings as scikit-learn does", () => {
    expect(normalizedMutualInfo([0, 0, 0], [1, 1, 1])).toBe(1);
    expect(adjustedRandIndex([0, 0, 0], [1, 1, 1])).toBe(1);
    expect(normalizedMutualInfo([0, 0, 0, 0], [0, 1, 0, 1])).toBe(0);
    expect(() => normalizedMutualInfo([0, 1], [0])).toThrow(/2 and 1 items/);
  });
});

describe("kMeans", () => {
  it("recovers well separated blobs exactly", () => {
    const { features, labels } = blobs(100, 5, 8, 20, 0);
    const r = kMeans(features, 8, 5, { seed: 1 });
    expect(adjustedRandIndex(r.assignments, labels)).toBe(1);
    expect(normalizedMutualInfo(r.assignments, labels)).toBeCloseTo(1, 10);
    // inertia ≈ N·dim·σ² for unit-variance noise around the true centres
    expect(r.inertia / (500 * 8)).toBeGreaterThan(0.8);
    expect(r.inertia / (500 * 8)).toBeLessThan(1.2);
  });

  it("is deterministic for a seed and reports k clusters even when k-means++ meets duplicates", () => {
    const { features } = blobs(50, 4, 3, 2, 7);
    const a = kMeans(features, 3, 4, { seed: 5 });
    const b = kMeans(features, 3, 4, { seed: 5 });
    expect(Array.from(a.assignments)).toEqual(Array.from(b.assignments));
    expect(a.inertia).toBe(b.inertia);
    const same = new Float32Array(20).fill(1); // 10 identical 2-d points
    const r = kMeans(same, 2, 3, { seed: 0 });
    expect(r.inertia).toBe(0);
    expect(r.centroids.length).toBe(6);
  });

  it("more starts never give a worse inertia", () => {
    const { features } = blobs(60, 6, 4, 1.5, 11);
    const one = kMeans(features, 4, 6, { seed: 2, nInit: 1 });
    const many = kMeans(features, 4, 6, { seed: 2, nInit: 8 });
    expect(many.inertia).toBeLessThanOrEqual(one.inertia);
  });

  it("clusteringScores scores blobs near 1 and noise near 0", () => {
    const { features, labels } = blobs(100, 4, 6, 15, 2);
    const good = clusteringScores(features, 6, labels, 4, { seed: 0 });
    expect(good.nmi).toBeGreaterThan(0.99);
    expect(good.ari).toBeGreaterThan(0.99);
    const noise = new Rng(9).normalArray(400 * 6);
    const bad = clusteringScores(noise, 6, labels, 4, { seed: 0 });
    expect(bad.nmi).toBeLessThan(0.05);
    expect(Math.abs(bad.ari)).toBeLessThan(0.05);
  });
});

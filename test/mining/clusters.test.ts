import { describe, expect, it } from "vitest";
import { l2NormalizeRows } from "../../src/eval/knn.js";
import { findClusters, meanSilhouette, silhouetteGrid } from "../../src/mining/index.js";
import { blobs } from "../eval/blobs.js";
import { golden } from "./golden.js";

function distanceMatrix(x: Float32Array, dim: number): Float32Array {
  const m = x.length / dim;
  const out = new Float32Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) out[i * m + j] = Math.hypot(...Array.from({ length: dim }, (_, d) => (x[i * dim + d] as number) - (x[j * dim + d] as number)));
  return out;
}

describe("clusters", () => {
  it("the mean silhouette matches scikit-learn's silhouette_score", () => {
    const x = Float32Array.from(golden.silhouette_x);
    const labels = Int32Array.from(golden.silhouette_labels);
    expect(meanSilhouette(distanceMatrix(x, 5), labels.length, labels, 3)).toBeCloseTo(golden.silhouette, 5);
  });

  it("finds blob clusters, picks their number by silhouette, and reports purity and central items", () => {
    // five well-separated directions: cosine k-means sees five clusters
    const { features, labels } = blobs(60, 5, 12, 6, 2);
    const result = findClusters(features, 12, { labels, central: 3, kGrid: [2, 3, 4, 5, 6, 8] });
    expect(result.kRule).toBe("silhouette");
    expect(result.k).toBe(5);
    expect(result.silhouettes.map((s) => s.k)).toEqual([2, 3, 4, 5, 6, 8]);
    expect(result.clusters.map((c) => c.size)).toEqual([60, 60, 60, 60, 60]);
    expect(result.clusters.every((c) => c.purity === 1)).toBe(true);
    expect(new Set(result.clusters.map((c) => c.majorityLabel)).size).toBe(5);
    const unit = l2NormalizeRows(features, 12);
    for (const [c, cluster] of result.clusters.entries()) {
      // central items are the members nearest the centroid, nearest first
      const distance = (i: number) => Math.hypot(...Array.from({ length: 12 }, (_, d) => (unit[i * 12 + d] as number) - (result.centroids[c * 12 + d] as number)));
      const members = Array.from(result.assignments.keys()).filter((i) => result.assignments[i] === c);
      const nearest = members.sort((a, b) => distance(a) - distance(b)).slice(0, 3);
      expect(Array.from(cluster.central)).toEqual(nearest);
    }
  });

  it("takes a given k, reports mixed purity, and refuses bad input", () => {
    const { features, labels } = blobs(30, 4, 8, 6, 5);
    const result = findClusters(features, 8, { k: 2, labels });
    expect(result.kRule).toBe("given");
    expect(result.silhouettes).toEqual([]);
    expect(result.clusters.map((c) => c.size).reduce((a, b) => a + b)).toBe(120);
    expect(Math.min(...result.clusters.map((c) => c.purity as number))).toBeLessThanOrEqual(0.75);
    expect(findClusters(features, 8, { k: 3 }).clusters.every((c) => c.majorityLabel === null && c.purity === null)).toBe(true);
    expect(() => findClusters(features, 8, { k: 2, labels: [0, 1] })).toThrow("2 labels for 120 items");
    expect(() => silhouetteGrid(features, 8, [1, 500], 100, 0)).toThrow("no k in [1, 500]");
  });
});

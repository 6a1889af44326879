import { Rng } from "../random/rng.js";
import type { EmbeddingSet } from "./run.js";

/** A query test example and its nearest test examples by cosine similarity, closest first. */
export interface Retrieval {
  readonly query: number;
  readonly neighbours: readonly { readonly index: number; readonly similarity: number }[];
}

/**
 * Picks `count` query examples: one from each of the first `count` classes (in label order) when
 * there are that many, so the examples cover the classes, then random others; seeded.
 */
export function pickQueries(labels: Int32Array, count: number, seed: number): number[] {
  const rng = new Rng(seed);
  const order = rng.permutation(labels.length);
  const byClass = new Map<number, number>();
  for (const i of order) {
    const label = labels[i] ?? 0;
    if (!byClass.has(label)) byClass.set(label, i);
  }
  const picked = [...byClass.entries()].sort((a, b) => a[0] - b[0]).slice(0, count).map(([, i]) => i);
  const taken = new Set(picked);
  for (const i of order) {
    if (picked.length >= count) break;
    if (!taken.has(i)) {
      picked.push(i);
      taken.add(i);
    }
  }
  return picked;
}

/**
 * For each query, the `k` other test examples with the highest cosine similarity
 * cos(a, b) = a·b / (‖a‖‖b‖), by brute force (O(queries · n · d), a few ms for MNIST's test set).
 */
export function nearestNeighbours(set: EmbeddingSet, queries: readonly number[], k: number): Retrieval[] {
  const { embeddings, n, d } = set;
  const invNorm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = i * d; j < (i + 1) * d; j++) ss += (embeddings[j] ?? 0) ** 2;
    // NOTE: the epsilon makes a zero embedding's similarity 0 rather than NaN.
    invNorm[i] = 1 / Math.max(Math.sqrt(ss), 1e-12);
  }
  return queries.map((q) => {
    const sims: { index: number; similarity: number }[] = [];
    for (let i = 0; i < n; i++) {
      if (i === q) continue;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += (embeddings[q * d + j] ?? 0) * (embeddings[i * d + j] ?? 0);
      sims.push({ index: i, similarity: dot * (invNorm[q] ?? 0) * (invNorm[i] ?? 0) });
    }
    // Ties go to the lower index, so the result does not depend on the sort's stability.
    sims.sort((a, b) => b.similarity - a.similarity || a.index - b.index);
    return { query: q, neighbours: sims.slice(0, k) };
  });
}

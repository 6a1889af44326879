import type { Neighbours } from "./exact-neighbours.js";

/**
 * Anomaly score of each query: its cosine distance 1 − s to its k-th nearest neighbour
 * (Ramaswamy, Rastogi & Shim 2000, "Efficient algorithms for mining outliers from large data
 * sets"; the deep-kNN detector of Bergman, Cohen & Hoshen 2020 with k = 2 uses its mean over
 * the k nearest instead). Higher is more anomalous.
 *
 * @param neighbours self-neighbours (`exactNeighbours`) or queries against a reference set (`exactSearch`)
 * @param k which neighbour, 1-based; default the last in `neighbours`
 * @returns `[queries]`
 */
export function kthNeighbourDistance(neighbours: Neighbours, k: number = neighbours.k): Float32Array {
  checkK("kthNeighbourDistance", k, neighbours.k);
  const q = neighbours.similarities.length / neighbours.k;
  const out = new Float32Array(q);
  for (let i = 0; i < q; i++) out[i] = 1 - (neighbours.similarities[i * neighbours.k + k - 1] as number);
  return out;
}

/**
 * Local outlier factor (Breunig, Kriegel, Ng & Sander 2000) of every item under cosine distance,
 * as scikit-learn's `LocalOutlierFactor(n_neighbors=k, metric="cosine").negative_outlier_factor_`
 * with its sign flipped (≈ 1 inside a cluster, > 1 for an outlier):
 *
 *   reach(a, b) = max(kdist(b), d(a, b)),   lrd(a) = 1 / (mean_{b ∈ N_k(a)} reach(a, b) + 1e-10),
 *   LOF(a) = mean_{b ∈ N_k(a)} lrd(b) / lrd(a),
 *
 * with N_k(a) the k nearest other items and kdist(b) the distance to b's k-th.
 * NOTE: the 1e-10 is scikit-learn's, and keeps lrd finite when k items coincide (reach = 0).
 *
 * @param neighbours `exactNeighbours` of all n items (query i is item i)
 * @param k neighbours used, ≤ `neighbours.k`; default all of them
 * @returns `[n]` LOF scores
 */
export function localOutlierFactor(neighbours: Neighbours, k: number = neighbours.k): Float32Array {
  checkK("localOutlierFactor", k, neighbours.k);
  const stride = neighbours.k;
  const n = neighbours.indices.length / stride;
  // NOTE: scikit-learn clips cosine distances at 0 (a similarity a rounding error above 1).
  const distance = (i: number, j: number) => Math.max(0, 1 - (neighbours.similarities[i * stride + j] as number));
  const neighbour = (i: number, j: number) => {
    const b = neighbours.indices[i * stride + j] as number;
    if (!(b >= 0 && b < n)) throw new Error(`localOutlierFactor: neighbour ${j} of item ${i} is ${b}, not one of the ${n} items`);
    return b;
  };
  const kDistance = Float64Array.from({ length: n }, (_, i) => distance(i, k - 1));
  const lrd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let reach = 0;
    for (let j = 0; j < k; j++) reach += Math.max(kDistance[neighbour(i, j)] as number, distance(i, j));
    lrd[i] = 1 / (reach / k + 1e-10);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let ratio = 0;
    for (let j = 0; j < k; j++) ratio += (lrd[neighbour(i, j)] as number) / (lrd[i] as number);
    out[i] = ratio / k;
  }
  return out;
}

/** The `top` highest-scoring items, highest first (ties to the lower index). */
export function topScores(scores: Float32Array, top: number): Int32Array {
  if (!Number.isInteger(top) || top < 0) throw new Error(`topScores: top must be a non-negative integer, got ${top}`);
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return order.subarray(0, Math.min(top, scores.length)).slice();
}

function checkK(where: string, k: number, available: number): void {
  if (!Number.isInteger(k) || k < 1 || k > available) throw new Error(`${where}: k must be an integer in [1, ${available}] (the neighbours given), got ${k}`);
}

import { Rng } from "../random/rng.js";

export interface KMeansOptions {
  /** Independent k-means++ starts; the one of lowest inertia wins (scikit-learn's `n_init`). */
  readonly nInit?: number;
  readonly maxIterations?: number;
  /** Stop when no centroid moves by more than this (squared Euclidean distance). */
  readonly tolerance?: number;
  readonly seed?: number;
}

export interface KMeansResult {
  /** `[N]` cluster of each row. */
  readonly assignments: Int32Array;
  /** `[k, dim]` */
  readonly centroids: Float32Array;
  /** Sum of squared distances of rows to their centroid. */
  readonly inertia: number;
  /** Lloyd iterations of the winning start. */
  readonly iterations: number;
}

const DEFAULTS = { nInit: 4, maxIterations: 100, tolerance: 1e-6 } as const;

/**
 * k-means (Lloyd) on the rows of `x: [N, dim]`, started `nInit` times from k-means++ seeds
 * (Arthur & Vassilvitskii 2007: each next centre drawn with probability ∝ D(x)², the squared
 * distance to the nearest centre so far). Deterministic for a seed. A cluster left empty takes
 * the row farthest from its centroid, so k clusters always come back.
 */
export function kMeans(x: Float32Array, dim: number, k: number, options: KMeansOptions = {}): KMeansResult {
  const { nInit = DEFAULTS.nInit, maxIterations = DEFAULTS.maxIterations, tolerance = DEFAULTS.tolerance, seed = 0 } = options;
  const n = x.length / dim;
  if (!Number.isInteger(n) || n === 0) throw new Error(`kMeans: ${x.length} values are not rows of ${dim}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`kMeans: k must be an integer in [1, ${n}], got ${k}`);
  const rng = new Rng(seed);
  let best: KMeansResult | null = null;
  for (let run = 0; run < nInit; run++) {
    const result = lloyd(x, n, dim, kMeansPlusPlus(x, n, dim, k, rng), k, maxIterations, tolerance);
    if (best === null || result.inertia < best.inertia) best = result;
  }
  return best as KMeansResult;
}

function kMeansPlusPlus(x: Float32Array, n: number, dim: number, k: number, rng: Rng): Float32Array {
  const centroids = new Float32Array(k * dim);
  const first = rng.int(n);
  centroids.set(x.subarray(first * dim, (first + 1) * dim), 0);
  const nearest = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = squaredDistance(x, i * dim, centroids, (c - 1) * dim, dim);
      if (d < (nearest[i] as number)) nearest[i] = d;
      total += nearest[i] as number;
    }
    let pick = n - 1;
    // When every row coincides with a centre (total 0), any row will do.
    if (total > 0) {
      let target = rng.uniform() * total;
      for (let i = 0; i < n; i++) {
        target -= nearest[i] as number;
        if (target < 0) {
          pick = i;
          break;
        }
      }
    } else pick = rng.int(n);
    centroids.set(x.subarray(pick * dim, (pick + 1) * dim), c * dim);
  }
  return centroids;
}

function lloyd(x: Float32Array, n: number, dim: number, centroids: Float32Array, k: number, maxIterations: number, tolerance: number): KMeansResult {
  const assignments = new Int32Array(n);
  const distances = new Float64Array(n);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  let iterations = 0;
  for (; iterations < maxIterations; ) {
    assign(x, n, dim, centroids, k, assignments, distances);
    iterations++;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignments[i] as number;
      counts[c] = (counts[c] as number) + 1;
      for (let j = 0; j < dim; j++) sums[c * dim + j] = (sums[c * dim + j] as number) + (x[i * dim + j] as number);
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // Refill an empty cluster with the worst-served row, and stop that row being picked twice.
        let far = 0;
        for (let i = 1; i < n; i++) if ((distances[i] as number) > (distances[far] as number)) far = i;
        distances[far] = -1;
        for (let j = 0; j < dim; j++) sums[c * dim + j] = x[far * dim + j] as number;
        counts[c] = 1;
      }
      let moved = 0;
      for (let j = 0; j < dim; j++) {
        const next = (sums[c * dim + j] as number) / (counts[c] as number);
        moved += (next - (centroids[c * dim + j] as number)) ** 2;
        centroids[c * dim + j] = next;
      }
      shift = Math.max(shift, moved);
    }
    if (shift <= tolerance) break;
  }
  const inertia = assign(x, n, dim, centroids, k, assignments, distances);
  return { assignments, centroids, inertia, iterations };
}

/** Assigns each row to its nearest centroid; returns the inertia. */
function assign(x: Float32Array, n: number, dim: number, centroids: Float32Array, k: number, assignments: Int32Array, distances: Float64Array): number {
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      const d = squaredDistance(x, i * dim, centroids, c * dim, dim);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    assignments[i] = best;
    distances[i] = bestD;
    inertia += bestD;
  }
  return inertia;
}

function squaredDistance(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const d = (a[ao + j] as number) - (b[bo + j] as number);
    s += d * d;
  }
  return s;
}

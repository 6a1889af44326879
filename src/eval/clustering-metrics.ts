import { type KMeansOptions, kMeans } from "./kmeans.js";

/**
 * Agreement between two labelings of the same N items (cluster ids against classes); both are
 * invariant to renaming the ids. Definitions as scikit-learn's `metrics.cluster`.
 */

/** `[rows × cols]` counts n_ij of items with a = i and b = j, with row sums a_i and column sums b_j. */
interface Contingency {
  readonly counts: Float64Array;
  readonly rows: number;
  readonly cols: number;
  readonly rowSums: Float64Array;
  readonly colSums: Float64Array;
  readonly n: number;
}

function contingency(a: ArrayLike<number>, b: ArrayLike<number>): Contingency {
  if (a.length !== b.length) throw new Error(`clustering metrics: labelings of ${a.length} and ${b.length} items`);
  if (a.length === 0) throw new Error("clustering metrics: no items");
  const ids = (x: ArrayLike<number>) => {
    const map = new Map<number, number>();
    const out = new Int32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      let id = map.get(v);
      if (id === undefined) {
        id = map.size;
        map.set(v, id);
      }
      out[i] = id;
    }
    return { out, size: map.size };
  };
  const ra = ids(a);
  const rb = ids(b);
  const counts = new Float64Array(ra.size * rb.size);
  const rowSums = new Float64Array(ra.size);
  const colSums = new Float64Array(rb.size);
  for (let i = 0; i < a.length; i++) {
    const r = ra.out[i] as number;
    const c = rb.out[i] as number;
    counts[r * rb.size + c] = (counts[r * rb.size + c] as number) + 1;
    rowSums[r] = (rowSums[r] as number) + 1;
    colSums[c] = (colSums[c] as number) + 1;
  }
  return { counts, rows: ra.size, cols: rb.size, rowSums, colSums, n: a.length };
}

function entropy(sums: Float64Array, n: number): number {
  let h = 0;
  for (const s of sums) if (s > 0) h -= (s / n) * Math.log(s / n);
  return h;
}

/**
 * Normalized mutual information with the arithmetic mean of the entropies (scikit-learn's
 * default `average_method="arithmetic"`): NMI = I(A; B) / ((H(A) + H(B)) / 2), in [0, 1].
 * Two labelings that each put everything in one class agree perfectly: 1.
 */
export function normalizedMutualInfo(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const t = contingency(a, b);
  if (t.rows === 1 && t.cols === 1) return 1;
  let mi = 0;
  for (let i = 0; i < t.rows; i++) {
    for (let j = 0; j < t.cols; j++) {
      const nij = t.counts[i * t.cols + j] as number;
      if (nij === 0) continue;
      // I = Σ p_ij log(p_ij / (p_i p_j)) = Σ (n_ij/N) log(N n_ij / (a_i b_j))
      mi += (nij / t.n) * Math.log((t.n * nij) / ((t.rowSums[i] as number) * (t.colSums[j] as number)));
    }
  }
  const denominator = (entropy(t.rowSums, t.n) + entropy(t.colSums, t.n)) / 2;
  // NOTE: one side constant and the other not gives I = 0 over a positive mean entropy: 0.
  // Rounding can leave I a hair above the mean entropy, so clamp into [0, 1].
  return denominator === 0 ? 1 : Math.min(1, Math.max(0, mi / denominator));
}

/**
 * Adjusted Rand index (Hubert & Arabie 1985): the Rand index corrected for chance,
 *   ARI = (Σ_ij C(n_ij,2) − E) / (½(Σ_i C(a_i,2) + Σ_j C(b_j,2)) − E),  E = Σ_i C(a_i,2)·Σ_j C(b_j,2) / C(N,2).
 * 1 for identical partitions, ≈ 0 for independent ones, negative when worse than chance.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const t = contingency(a, b);
  const pairs = (m: number) => (m * (m - 1)) / 2;
  let sumIj = 0;
  for (const nij of t.counts) sumIj += pairs(nij);
  let sumA = 0;
  for (const s of t.rowSums) sumA += pairs(s);
  let sumB = 0;
  for (const s of t.colSums) sumB += pairs(s);
  // One item has no pairs: the two labelings cannot disagree.
  if (t.n < 2) return 1;
  const expected = (sumA * sumB) / pairs(t.n);
  const maximum = (sumA + sumB) / 2;
  // Both partitions trivial in the same way (all singletons, or one block): identical, 1.
  if (maximum === expected) return 1;
  return (sumIj - expected) / (maximum - expected);
}

/**
 * k-means with `clusters` clusters on the rows of `features: [N, dim]`, scored against `labels`
 * by NMI and ARI: how well the representation separates the classes without any labels.
 */
export function clusteringScores(features: Float32Array, dim: number, labels: Int32Array, clusters: number, options: KMeansOptions = {}): { nmi: number; ari: number } {
  const { assignments } = kMeans(features, dim, clusters, options);
  return { nmi: normalizedMutualInfo(assignments, labels), ari: adjustedRandIndex(assignments, labels) };
}

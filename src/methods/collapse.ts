import type { Tensor } from "../graph/index.js";
import { l2Normalize, mean, reshape, sqrt, variance } from "../ops/index.js";

/**
 * The collapse diagnostic of SimSiam (Chen & He 2021, §4.1, Fig. 2): the standard deviation over
 * the batch of the L2-normalized embeddings, averaged over dimensions. Embeddings spread evenly
 * over the sphere give about 1/√D; a collapsed encoder (every input mapped to one vector) gives 0.
 *
 * @param z `[N, D]`
 * @returns a scalar
 */
export function collapseStd(z: Tensor): Tensor {
  // NOTE: population variance; the metric is never differentiated, so sqrt at 0 is harmless.
  return mean(sqrt(variance(l2Normalize(z, 1), 0)));
}

/**
 * The step metrics every two-view method reports: `collapse_std` of the encoder's embeddings (what
 * the probes see), `collapse_std_projection` of the vectors the loss sees, and `collapse_dim`, the
 * D of the former (the report draws the healthy 1/√D line from it).
 *
 * @param h `[N, D]` encoder embeddings
 * @param z `[N, P]` projections (or predictions) the loss compares
 */
export function collapseMetrics(h: Tensor, z: Tensor): Record<string, Tensor> {
  return {
    collapse_std: collapseStd(h),
    collapse_std_projection: collapseStd(z),
    collapse_dim: reshape(h.graph.scalar(h.shape[1] as number, h.dtype), []),
  };
}

/**
 * Effective rank of a set of embeddings (Roy & Vetterli 2007; RankMe, Garrido et al. 2023): the
 * exponential of the Shannon entropy of the covariance's eigenvalues normalized to sum to 1,
 *   erank = exp(−Σᵢ pᵢ log pᵢ),  pᵢ = λᵢ / Σⱼ λⱼ.
 * 1 for embeddings on a line (or collapsed to a point, by convention), D for an isotropic cloud.
 * Host-side, for evaluation time: the D×D covariance in float64 and a cyclic Jacobi eigen-solver
 * (O(D³) per sweep, fine for D ≤ 512).
 *
 * @param embeddings `[n, d]` row-major
 */
export function effectiveRank(embeddings: Float32Array, n: number, d: number): number {
  if (embeddings.length !== n * d || n < 2 || d < 1) throw new Error(`effectiveRank: ${embeddings.length} values are not [${n}, ${d}] with n >= 2`);
  const means = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) means[j] = (means[j] as number) + (embeddings[r * d + j] as number) / n;
  // NOTE: with fewer rows than dimensions (256 samples of a 1,152-d grid encoder) the n×n Gram
  // matrix of the centered rows has the covariance's nonzero eigenvalues, at (n/d)³ of the cost.
  const eigen = n < d ? symmetricEigenvalues(centeredGram(embeddings, means, n, d), n) : symmetricEigenvalues(covariance(embeddings, means, n, d), d);
  // NOTE: round-off leaves tiny negative eigenvalues on rank-deficient covariances; they count as 0.
  const total = eigen.reduce((s, v) => s + Math.max(v, 0), 0);
  if (!(total > 0)) return 1;
  let entropy = 0;
  for (const v of eigen) {
    const p = Math.max(v, 0) / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/** The `[d, d]` covariance of `[n, d]` rows (float64). */
function covariance(embeddings: Float32Array, means: Float64Array, n: number, d: number): Float64Array {
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) row[j] = (embeddings[r * d + j] as number) - (means[j] as number);
    for (let i = 0; i < d; i++) {
      const ri = row[i] as number;
      if (ri === 0) continue;
      for (let j = i; j < d; j++) cov[i * d + j] = (cov[i * d + j] as number) + ri * (row[j] as number);
    }
  }
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) cov[j * d + i] = cov[i * d + j] = (cov[i * d + j] as number) / (n - 1);
  return cov;
}

/** The `[n, n]` Gram matrix of `[n, d]` rows centered by `means`, over n − 1 (float64). */
function centeredGram(embeddings: Float32Array, means: Float64Array, n: number, d: number): Float64Array {
  const centered = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) centered[r * d + j] = (embeddings[r * d + j] as number) - (means[j] as number);
  const gram = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += (centered[a * d + j] as number) * (centered[b * d + j] as number);
      gram[a * n + b] = gram[b * n + a] = dot / (n - 1);
    }
  }
  return gram;
}

/**
 * Eigenvalues of a symmetric `[d, d]` matrix by cyclic Jacobi rotations (Golub & Van Loan §8.5),
 * until the off-diagonal mass is below 1e-12 of the total (or 100 sweeps). The input is not modified.
 */
export function symmetricEigenvalues(matrix: Float64Array, d: number): number[] {
  const a = Float64Array.from(matrix);
  const norm = a.reduce((s, v) => s + v * v, 0);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) off += (a[i * d + j] as number) ** 2;
    if (off <= 1e-24 * norm || off === 0) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q] as number;
        if (apq === 0) continue;
        const app = a[p * d + p] as number;
        const aqq = a[q * d + q] as number;
        // The rotation angle that zeroes a[p][q]: t = tan θ, the smaller root (stable form).
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p] as number;
          const akq = a[k * d + q] as number;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k] as number;
          const aqk = a[q * d + k] as number;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: d }, (_, i) => a[i * d + i] as number);
}

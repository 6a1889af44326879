import { ShapeError, type Tensor, formatShape, requireFloat, sameShape } from "../graph/index.js";
import { concat, div, l2Normalize, logSumExp, matmul, mean, mul, sub, sum, transpose } from "../ops/index.js";

export interface NtXentOptions {
  /**
   * τ, dividing the cosine similarities. SimCLR (Chen et al. 2020, Table 5 and App. B.9) tuned
   * τ ∈ {0.05, 0.1, 0.5, 1}: "the optimal temperature … is 0.5" for batch 256–512 at 100 epochs,
   * 0.1 for large batches and long runs. Default 0.5, the PyTorch anchor's on MNIST (batch 256).
   */
  readonly temperature?: number;
}

// NOTE: subtracted from each row's self-similarity so exp() of it is exactly 0 in float32 and
// float64 while everything stays finite (−∞ would make 0·∞ = NaN in a gradient product).
const SELF_MASK = 1e9;

/**
 * The `[2N, 2N]` logits of NT-Xent: cos(zᵢ, zⱼ)/τ over the 2N views `[z0; z1]`, with each row's
 * self-similarity pushed to −1e9 so it drops out of the softmax. Row i's positive is column
 * (i + N) mod 2N.
 *
 * @param z0 `[N, D]` projections of the first views
 * @param z1 `[N, D]` projections of the second views
 */
export function ntXentLogits(z0: Tensor, z1: Tensor, temperature = 0.5): Tensor {
  checkPair("ntXent", z0, z1);
  const n = z0.shape[0] as number;
  const z = l2Normalize(concat([z0, z1], 0)); // [2N, D]
  const eye = new Float64Array(4 * n * n);
  for (let i = 0; i < 2 * n; i++) eye[i * 2 * n + i] = SELF_MASK;
  return sub(div(matmul(z, transpose(z)), temperature), z0.graph.constant(eye, [2 * n, 2 * n], z0.dtype)); // [2N, 2N]
}

/**
 * Mean cosine similarity of the positive pairs, cos(z0ᵢ, z1ᵢ): the "alignment" term NT-Xent
 * maximizes (1 when the two views agree exactly). A scalar.
 */
export function positiveCosine(z0: Tensor, z1: Tensor): Tensor {
  checkPair("positiveCosine", z0, z1);
  return mean(sum(mul(l2Normalize(z0), l2Normalize(z1)), 1));
}

/**
 * NT-Xent, the normalized temperature-scaled cross-entropy of SimCLR (Chen et al. 2020,
 * "A Simple Framework for Contrastive Learning of Visual Representations", eq. 1): for each of
 * the 2N views, a softmax over its 2N − 1 companions in the batch must pick its own other view,
 *   ℓ(i, j) = −log exp(sim(zᵢ, zⱼ)/τ) / Σ_{k≠i} exp(sim(zᵢ, z_k)/τ),
 * averaged over all 2N ordered positive pairs (the paper's 1/2N Σ [ℓ(2k−1, 2k) + ℓ(2k, 2k−1)]).
 * The same value as PyTorch's `F.cross_entropy(sim, target)` with the diagonal masked.
 * NOTE: computed as logSumExp(row) − positive, so a large 1/τ never overflows exp.
 *
 * @param z0 `[N, D]` projections of the first views (normalized inside)
 * @param z1 `[N, D]` projections of the second views
 * @returns a scalar
 */
export function ntXentLoss(z0: Tensor, z1: Tensor, options: NtXentOptions = {}): Tensor {
  const { temperature = 0.5 } = options;
  if (!(temperature > 0)) throw new ShapeError("ntXentLoss", `temperature must be positive, got ${temperature}`);
  const logits = ntXentLogits(z0, z1, temperature); // [2N, 2N]
  const a = l2Normalize(z0);
  const b = l2Normalize(z1);
  const positive = div(sum(mul(a, b), 1), temperature); // [N], the same for rows i and i + N
  return sub(mean(logSumExp(logits, 1)), mean(positive));
}

/** Throws unless `z0` and `z1` are float `[N, D]` of the same shape and dtype. */
export function checkPair(op: string, z0: Tensor, z1: Tensor): void {
  requireFloat(op, z0);
  if (z0.rank !== 2 || !sameShape(z0.shape, z1.shape) || z0.dtype !== z1.dtype) {
    throw new ShapeError(op, `expects two [N, D] embeddings of one dtype, got ${z0.dtype}${formatShape(z0.shape)} and ${z1.dtype}${formatShape(z1.shape)}`);
  }
}

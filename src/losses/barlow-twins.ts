import { ShapeError, type Tensor } from "../graph/index.js";
import { add, div, matmul, mean, mul, sqrt, sub, sum, transpose, variance } from "../ops/index.js";
import { checkPair } from "./nt-xent.js";

export interface BarlowTwinsOptions {
  /**
   * λ, the weight of the redundancy-reduction term. Zbontar et al. 2021 (§2, App. A): "λ = 5·10⁻³"
   * (with an 8192-d projector; the official code calls it `lambd`). Default 5e-3.
   */
  readonly lambda?: number;
}

// NOTE: batch norm's ε (PyTorch's default 1e-5, as the official code's BatchNorm1d(affine=False))
// keeps a constant dimension finite.
const BN_EPS = 1e-5;

/**
 * Each dimension standardized over the batch, as `BatchNorm1d(D, affine=False)` in training mode
 * (biased variance): `[N, D]` → `[N, D]`.
 */
export function batchStandardize(z: Tensor): Tensor {
  const centered = sub(z, mean(z, 0, true));
  return div(centered, sqrt(add(variance(z, 0, true), BN_EPS)));
}

/**
 * The `[D, D]` cross-correlation matrix of Barlow Twins, C = bn(z0)ᵀ·bn(z1) / N (eq. 2): 1 on
 * the diagonal when the two views' embeddings agree, 0 off it when the dimensions are decorrelated.
 *
 * @param z0 `[N, D]`
 * @param z1 `[N, D]`
 */
export function crossCorrelation(z0: Tensor, z1: Tensor): Tensor {
  checkPair("barlowTwinsLoss", z0, z1);
  const n = z0.shape[0] as number;
  if (n < 2) throw new ShapeError("barlowTwinsLoss", "needs a batch of at least 2 for batch statistics");
  return div(matmul(transpose(batchStandardize(z0)), batchStandardize(z1)), n);
}

/** The two terms of the Barlow Twins loss. */
export interface BarlowTwinsTerms {
  /** Σᵢ (1 − Cᵢᵢ)², the invariance term. */
  readonly onDiagonal: Tensor;
  /** Σᵢ Σ_{j≠i} Cᵢⱼ², the redundancy-reduction term (before λ). */
  readonly offDiagonal: Tensor;
}

/**
 * The invariance and redundancy-reduction terms of Barlow Twins.
 *
 * @param z0 `[N, D]`
 * @param z1 `[N, D]`
 */
export function barlowTwinsTerms(z0: Tensor, z1: Tensor): BarlowTwinsTerms {
  const c = crossCorrelation(z0, z1); // [D, D]
  const d = c.shape[0] as number;
  const eye = new Float64Array(d * d);
  for (let i = 0; i < d; i++) eye[i * d + i] = 1;
  const identity = z0.graph.constant(eye, [d, d], z0.dtype);
  const diagonal = sum(mul(c, identity), 1); // [D]
  const offDiagonal = mul(c, sub(1, identity)); // [D, D] with zeros on the diagonal
  const gap = sub(1, diagonal);
  return { onDiagonal: sum(mul(gap, gap)), offDiagonal: sum(mul(offDiagonal, offDiagonal)) };
}

/**
 * The Barlow Twins loss (Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning via
 * Redundancy Reduction", eq. 1):
 *   L = Σᵢ (1 − Cᵢᵢ)² + λ Σᵢ Σ_{j≠i} Cᵢⱼ²
 * with C the cross-correlation of the batch-normalized embeddings of the two views.
 *
 * @param z0 `[N, D]` projections of the first views
 * @param z1 `[N, D]` projections of the second views
 * @returns a scalar
 */
export function barlowTwinsLoss(z0: Tensor, z1: Tensor, options: BarlowTwinsOptions = {}): Tensor {
  const { lambda = 5e-3 } = options;
  if (!(lambda >= 0)) throw new ShapeError("barlowTwinsLoss", `lambda must be >= 0, got ${lambda}`);
  const { onDiagonal, offDiagonal } = barlowTwinsTerms(z0, z1);
  return add(onDiagonal, mul(offDiagonal, lambda));
}

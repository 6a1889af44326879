import { ShapeError, type Tensor } from "../graph/index.js";
import { add, div, matmul, mean, mul, relu, sqrt, sub, sum, transpose, variance } from "../ops/index.js";
import { mseLoss } from "../ops/index.js";
import { checkPair } from "./nt-xent.js";

export interface VicRegOptions {
  /** λ, the invariance weight. Bardes et al. 2022 (§4.2): "λ = μ = 25 and ν = 1". Default 25. */
  readonly invarianceWeight?: number;
  /** μ, the variance weight. Default 25. */
  readonly varianceWeight?: number;
  /** ν, the covariance weight. Default 1. */
  readonly covarianceWeight?: number;
  /** ε inside the standard deviation, "ε = 0.0001" (eq. 1). */
  readonly eps?: number;
}

/**
 * The invariance term s(Z, Z′): the mean squared distance between the two views' embeddings,
 * averaged over batch and dimensions (eq. 5, as the official code's `F.mse_loss`).
 *
 * @param z0 `[N, D]`
 * @param z1 `[N, D]`
 */
export function vicregInvariance(z0: Tensor, z1: Tensor): Tensor {
  checkPair("vicregLoss", z0, z1);
  return mseLoss(z0, z1);
}

/**
 * The variance term v(Z) = (1/D) Σⱼ max(0, γ − √(Var(zⱼ) + ε)) with γ = 1 (eq. 1), the unbiased
 * variance over the batch: it keeps every dimension's standard deviation up at 1, against collapse.
 *
 * @param z `[N, D]`
 */
export function vicregVariance(z: Tensor, eps = 1e-4): Tensor {
  if (z.rank !== 2 || (z.shape[0] as number) < 2) throw new ShapeError("vicregLoss", "needs [N, D] embeddings with N >= 2");
  // NOTE: ε under the square root keeps the gradient finite when a dimension collapses (Var → 0).
  return mean(relu(sub(1, sqrt(add(variance(z, 0, false, 1), eps)))));
}

/**
 * The covariance term c(Z) = (1/D) Σ_{i≠j} C(Z)ᵢⱼ² with C the unbiased covariance over the batch
 * (eq. 3–4): it decorrelates the dimensions.
 *
 * @param z `[N, D]`
 */
export function vicregCovariance(z: Tensor): Tensor {
  const n = z.shape[0] as number;
  const d = z.shape[1] as number;
  if (z.rank !== 2 || n < 2) throw new ShapeError("vicregLoss", "needs [N, D] embeddings with N >= 2");
  const centered = sub(z, mean(z, 0, true));
  const cov = div(matmul(transpose(centered), centered), n - 1); // [D, D]
  const eye = new Float64Array(d * d);
  for (let i = 0; i < d; i++) eye[i * d + i] = 1;
  const off = mul(cov, sub(1, z.graph.constant(eye, [d, d], z.dtype)));
  return div(sum(mul(off, off)), d);
}

/** The three weighted-sum terms of VICReg, each before its weight and each over both branches. */
export interface VicRegTerms {
  readonly invariance: Tensor;
  /**
   * [v(Z) + v(Z′)] / 2: halved as in the official code (`std_loss = mean(relu(1 − std_x))/2 + …`),
   * with which the paper's μ = 25 was tuned; eq. 6 writes the plain sum.
   */
  readonly variance: Tensor;
  /** c(Z) + c(Z′). */
  readonly covariance: Tensor;
}

/** The invariance, variance and covariance terms of VICReg for two views. */
export function vicregTerms(z0: Tensor, z1: Tensor, eps = 1e-4): VicRegTerms {
  return {
    invariance: vicregInvariance(z0, z1),
    variance: mul(add(vicregVariance(z0, eps), vicregVariance(z1, eps)), 0.5),
    covariance: add(vicregCovariance(z0), vicregCovariance(z1)),
  };
}

/**
 * VICReg (Bardes, Ponce & LeCun 2022, "VICReg: Variance-Invariance-Covariance Regularization for
 * Self-Supervised Learning", eq. 6):
 *   ℓ(Z, Z′) = λ·s(Z, Z′) + μ·[v(Z) + v(Z′)]/2 + ν·[c(Z) + c(Z′)]
 * with the variance term halved as the authors' code (facebookresearch/vicreg) computes it.
 *
 * @param z0 `[N, D]` expander outputs of the first views
 * @param z1 `[N, D]` expander outputs of the second views
 * @returns a scalar
 */
export function vicregLoss(z0: Tensor, z1: Tensor, options: VicRegOptions = {}): Tensor {
  const { invarianceWeight = 25, varianceWeight = 25, covarianceWeight = 1, eps = 1e-4 } = options;
  const { invariance, variance: v, covariance } = vicregTerms(z0, z1, eps);
  return add(add(mul(invariance, invarianceWeight), mul(v, varianceWeight)), mul(covariance, covarianceWeight));
}

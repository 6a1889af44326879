import { ShapeError, type Tensor, broadcastShapes, formatShape, normalizeAxis, requireFloat } from "../graph/index.js";
import { div, maximum, mul, sqrt } from "./elementwise.js";
import { sum } from "./reduce.js";

/**
 * x / max(‖x‖₂, ε) along `axis`, as PyTorch's `F.normalize(x, p=2, dim=axis, eps=1e-12)`.
 * A composite of primitives (STYLE: composites unless a fused op is measurably faster).
 *
 * @param x `[..., D]` (any rank; `axis` picks the normalized axis)
 */
export function l2Normalize(x: Tensor, axis = -1, eps = 1e-12): Tensor {
  requireFloat("l2Normalize", x);
  const a = normalizeAxis(axis, x.rank, "l2Normalize");
  const epsSquared = eps * eps;
  // NOTE: ε² must stay a positive normal number in float32 (≥ 1.2e-38), or a zero row divides by 0.
  if (!(eps > 0) || Math.fround(epsSquared) < 1.1754943508222875e-38) {
    throw new ShapeError("l2Normalize", `eps must be positive with eps² representable in float32, got ${eps}`);
  }
  // NOTE: max(‖x‖, ε) is computed as sqrt(max(Σx², ε²)), the same value (sqrt is monotone), so the
  // gradient never passes through sqrt at 0: for an all-zero row maximum's VJP sends nothing
  // into Σx² and dX = G/ε, as PyTorch; sqrt(Σx²) would give 0·∞ = NaN there.
  const norm = sqrt(maximum(sum(mul(x, x), a, true), epsSquared));
  return div(x, norm);
}

/**
 * Cosine similarity along `axis`: Σ a·b / (max(‖a‖, ε)·max(‖b‖, ε)), as PyTorch ≥ 1.12's
 * `F.cosine_similarity` (which clamps each norm separately). `a` and `b` broadcast.
 *
 * @param a `[..., D]`
 * @param b `[..., D]`, broadcastable against `a`
 * @returns the broadcast shape without `axis`
 */
export function cosineSimilarity(a: Tensor, b: Tensor, axis = -1, eps = 1e-8): Tensor {
  requireFloat("cosineSimilarity", a);
  requireFloat("cosineSimilarity", b);
  const shape = broadcastShapes(a.shape, b.shape);
  if (shape === null || a.dtype !== b.dtype) {
    throw new ShapeError("cosineSimilarity", `a ${a.dtype}${formatShape(a.shape)} and b ${b.dtype}${formatShape(b.shape)} do not broadcast`);
  }
  // The axis counts in the broadcast shape; each operand is normalized along the same axis from the end.
  const fromEnd = normalizeAxis(axis, shape.length, "cosineSimilarity") - shape.length;
  const na = l2Normalize(a, normalizeAxis(fromEnd, a.rank, "cosineSimilarity"), eps);
  const nb = l2Normalize(b, normalizeAxis(fromEnd, b.rank, "cosineSimilarity"), eps);
  return sum(mul(na, nb), fromEnd + shape.length);
}

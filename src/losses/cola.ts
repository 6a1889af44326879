import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { logSumExp, matmul, mean, mul, sub, sum, transpose } from "../ops/index.js";

/**
 * COLA's contrastive loss (Saeed et al. 2021, "Contrastive Learning of General-Purpose Audio
 * Representations", §2): for anchors `a` and positives `p` (two segments of the same clips), the
 * bilinear similarity s(a_i, p_j) = a_iᵀ W p_j scores every pair of the batch, and each anchor's
 * softmax over the batch's positives must pick its own clip's (the others are its negatives):
 *   L = −(1/N) Σ_i log exp(s(a_i, p_i)) / Σ_j exp(s(a_i, p_j)).
 * COLA found the bilinear form better than cosine similarity (its table 4). One direction, as the
 * paper; computed as mean(logSumExp(row)) − mean(diagonal), stable for any scale.
 *
 * @param anchor `[N, D]` projections of the first segments
 * @param positive `[N, D]` projections of the second segments
 * @param bilinear `[D, D]` the learned W
 * @returns a scalar
 */
export function colaLoss(anchor: Tensor, positive: Tensor, bilinear: Tensor): Tensor {
  const [n, d] = anchor.shape as [number, number];
  if (anchor.rank !== 2 || positive.rank !== 2 || positive.shape[0] !== n || positive.shape[1] !== d) {
    throw new ShapeError("colaLoss", `expects anchors and positives [N, D] of one shape, got ${formatShape(anchor.shape)} and ${formatShape(positive.shape)}`);
  }
  if (bilinear.rank !== 2 || bilinear.shape[0] !== d || bilinear.shape[1] !== d) throw new ShapeError("colaLoss", `the bilinear weight must be [${d}, ${d}], got ${formatShape(bilinear.shape)}`);
  const projected = matmul(anchor, bilinear); // [N, D]: a_iᵀ W
  const scores = matmul(projected, transpose(positive)); // [N, N]
  const own = sum(mul(projected, positive), 1); // [N]: the diagonal, without gathering it
  return sub(mean(logSumExp(scores, 1)), mean(own));
}

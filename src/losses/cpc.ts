import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { logSumExp, matmul, mean, mul, reshape, slice, sub, sum, transpose } from "../ops/index.js";

/**
 * CPC's InfoNCE for one prediction offset k (van den Oord et al. 2018, "Representation Learning
 * with Contrastive Predictive Coding", eq. 4): the prediction W_k c_t made from the context at step
 * t must pick the true future frame z_{t+k} of its own clip among every frame of the batch (all
 * clips, all steps: the negatives come from the batch, as wav2vec's). Scores are dot products,
 * CPC's log-bilinear f_k(x_{t+k}, c_t) = exp(z_{t+k}ᵀ W_k c_t).
 *
 * @param predictions `[N, S − k, D]` W_k c_t for t = 0 … S − k − 1
 * @param frames `[N, S, D]` the encoder's frames z (gradients reach them: CPC trains the encoder through its targets)
 * @param offset k ≥ 1
 * @returns a scalar: the mean over the N·(S − k) predictions
 */
export function cpcLoss(predictions: Tensor, frames: Tensor, offset: number): Tensor {
  const [n, s, d] = frames.shape as [number, number, number];
  if (frames.rank !== 3 || !(Number.isInteger(offset) && offset >= 1 && offset < s)) throw new ShapeError("cpcLoss", `expects frames [N, S, D] and an offset 1 ≤ k < S, got ${formatShape(frames.shape)} and k = ${offset}`);
  const steps = s - offset;
  if (predictions.rank !== 3 || predictions.shape[0] !== n || predictions.shape[1] !== steps || predictions.shape[2] !== d) {
    throw new ShapeError("cpcLoss", `predictions must be [${n}, ${steps}, ${d}] for offset ${offset}, got ${formatShape(predictions.shape)}`);
  }
  const queries = reshape(predictions, [n * steps, d]);
  const candidates = reshape(frames, [n * s, d]);
  const scores = matmul(queries, transpose(candidates)); // [N·(S−k), N·S]
  const futures = reshape(slice(frames, [offset], [s], [1]), [n * steps, d]); // z_{t+k}, row for row
  const positive = sum(mul(queries, futures), 1); // [N·(S−k)]: the true future's score
  return sub(mean(logSumExp(scores, 1)), mean(positive));
}

import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { concat, div, l2Normalize, logSumExp, matmul, mean, mul, slice, stopGradient, sub, sum, transpose } from "../ops/index.js";
import { checkPair } from "./nt-xent.js";

export interface InfoNceOptions {
  /**
   * τ. MoCo v1 (He et al. 2020) uses 0.07; MoCo v2 (Chen et al. 2020, "Improved Baselines with
   * Momentum Contrastive Learning", §3) raises it: "τ = 0.2" with the MLP head. Default 0.2.
   */
  readonly temperature?: number;
}

/**
 * The `[N, 1 + K]` logits of MoCo's InfoNCE: column 0 is the positive q·k⁺/τ, columns 1..K the
 * negatives q·queueᵀ/τ. Queries and keys are L2-normalized here (MoCo normalizes its encoders'
 * outputs); the queue holds keys already normalized when they were enqueued.
 *
 * @param query `[N, D]` the online encoder's projections of the first views
 * @param key `[N, D]` the momentum encoder's projections of the second views (no gradient)
 * @param queue `[K, D]` normalized keys of earlier batches (no gradient)
 */
export function infoNceLogits(query: Tensor, key: Tensor, queue: Tensor, temperature = 0.2): Tensor {
  checkPair("infoNce", query, key);
  if (queue.rank !== 2 || queue.shape[1] !== query.shape[1] || queue.dtype !== query.dtype) {
    throw new ShapeError("infoNce", `queue must be [K, ${query.shape[1]}] ${query.dtype}, got ${queue.dtype}${formatShape(queue.shape)}`);
  }
  const q = l2Normalize(query);
  const k = stopGradient(l2Normalize(key));
  const positive = sum(mul(q, k), 1, true); // [N, 1]
  const negatives = matmul(q, transpose(stopGradient(queue))); // [N, K]
  return div(concat([positive, negatives], 1), temperature); // [N, 1 + K]
}

/**
 * InfoNCE with a queue of negatives, MoCo's contrastive loss (He et al. 2020, "Momentum Contrast
 * for Unsupervised Visual Representation Learning", eq. 1; van den Oord et al. 2018):
 *   L_q = −log exp(q·k⁺/τ) / (exp(q·k⁺/τ) + Σ_{k⁻ ∈ queue} exp(q·k⁻/τ)),
 * averaged over the batch: a (K+1)-way softmax cross-entropy whose target is class 0.
 * NOTE: computed as logSumExp(row) − row[0], stable for any τ.
 *
 * @param query `[N, D]`
 * @param key `[N, D]`, detached: gradients reach only the query
 * @param queue `[K, D]`, detached
 * @returns a scalar
 */
export function infoNceLoss(query: Tensor, key: Tensor, queue: Tensor, options: InfoNceOptions = {}): Tensor {
  const { temperature = 0.2 } = options;
  if (!(temperature > 0)) throw new ShapeError("infoNceLoss", `temperature must be positive, got ${temperature}`);
  const logits = infoNceLogits(query, key, queue, temperature); // [N, 1 + K]
  return sub(mean(logSumExp(logits, 1)), mean(slice(logits, [0], [1], [1])));
}

/**
 * MoCo's queue update: the batch's normalized keys enter, the oldest N leave (the paper's
 * ring buffer with a pointer holds the same set; which slot a key sits in does not change the
 * loss). `[K, D]`, newest first.
 *
 * @param queue `[K, D]`
 * @param key `[N, D]` with N ≤ K
 */
export function enqueue(queue: Tensor, key: Tensor): Tensor {
  const kq = queue.shape[0] as number;
  const n = key.shape[0] as number;
  if (queue.rank !== 2 || key.rank !== 2 || queue.shape[1] !== key.shape[1] || n > kq) {
    throw new ShapeError("enqueue", `cannot enqueue keys ${formatShape(key.shape)} into a queue ${formatShape(queue.shape)}`);
  }
  const fresh = stopGradient(l2Normalize(key));
  return n === kq ? fresh : concat([fresh, slice(queue, [0], [kq - n], [0])], 0);
}

import type { Tensor } from "../graph/index.js";
import { add, cosineSimilarity, mean, mul, stopGradient, sub } from "../ops/index.js";
import { checkPair } from "./nt-xent.js";

/**
 * BYOL's regression term for one direction (Grill et al. 2020, "Bootstrap Your Own Latent",
 * eq. 2): the mean squared error of the L2-normalized prediction and target,
 *   ‖q̄ − z̄′‖² = 2 − 2·⟨q, z′⟩ / (‖q‖·‖z′‖), averaged over the batch.
 * The target is wrapped in `stopGradient` (it comes from the EMA target network: "sg(z′)").
 *
 * @param prediction `[N, D]` the online predictor's output q_θ(z_θ)
 * @param target `[N, D]` the target network's projection z′_ξ
 * @returns a scalar in [0, 4]
 */
export function normalizedMse(prediction: Tensor, target: Tensor): Tensor {
  checkPair("byolLoss", prediction, target);
  return mean(sub(2, mul(2, cosineSimilarity(prediction, stopGradient(target)))));
}

/**
 * BYOL's symmetrized loss L + L̃ (eq. 2 and "we symmetrize the loss by separately feeding v′ to
 * the online network and v to the target network"): each view's prediction regresses the other
 * view's target projection.
 *
 * @param p0 `[N, D]` online predictions of the first views
 * @param p1 `[N, D]` online predictions of the second views
 * @param z0 `[N, D]` target projections of the first views (gradient stopped)
 * @param z1 `[N, D]` target projections of the second views (gradient stopped)
 * @returns a scalar in [0, 8]
 */
export function byolLoss(p0: Tensor, p1: Tensor, z0: Tensor, z1: Tensor): Tensor {
  return add(normalizedMse(p0, z1), normalizedMse(p1, z0));
}

import type { Tensor } from "../graph/index.js";
import { add, cosineSimilarity, mean, mul, neg, stopGradient } from "../ops/index.js";
import { checkPair } from "./nt-xent.js";

/**
 * SimSiam's D(p, stopgrad(z)) (Chen & He 2021, "Exploring Simple Siamese Representation
 * Learning", eq. 1 and 3): the negative cosine similarity −p/‖p‖ · z/‖z‖, averaged over the
 * batch; "the encoder on x₂ receives no gradient from z₂ in the first term".
 *
 * @param prediction `[N, D]` the predictor's output p
 * @param target `[N, D]` the projection z of the other view (gradient stopped here)
 * @returns a scalar in [−1, 1]
 */
export function negativeCosine(prediction: Tensor, target: Tensor): Tensor {
  checkPair("negativeCosineLoss", prediction, target);
  return neg(mean(cosineSimilarity(prediction, stopGradient(target))));
}

/**
 * SimSiam's symmetrized loss L = ½ D(p₁, sg(z₂)) + ½ D(p₂, sg(z₁)) (eq. 2–3); its minimum is −1.
 *
 * @param p0 `[N, D]` predictions of the first views
 * @param p1 `[N, D]` predictions of the second views
 * @param z0 `[N, D]` projections of the first views
 * @param z1 `[N, D]` projections of the second views
 * @returns a scalar
 */
export function negativeCosineLoss(p0: Tensor, p1: Tensor, z0: Tensor, z1: Tensor): Tensor {
  return mul(add(negativeCosine(p0, z1), negativeCosine(p1, z0)), 0.5);
}

import type { Tensor } from "../graph/index.js";
import { add, mul, sub } from "../ops/index.js";
import type { Schedule } from "./schedule.js";

/**
 * Traced: the exponential moving average step of a momentum (target) encoder,
 * m · target + (1 − m) · online, as BYOL and MoCo update their target networks. On flat vectors
 * this is the whole target update. `momentum` is a rank-0 tensor fed per step (it follows a
 * schedule in BYOL), or a fixed number (MoCo's 0.999).
 */
export function emaUpdate(target: Tensor, online: Tensor, momentum: Tensor | number): Tensor {
  const m = typeof momentum === "number" ? target.graph.scalar(momentum, target.dtype) : momentum;
  return add(mul(m, target), mul(sub(1, m), online));
}

export interface CosineMomentumOptions {
  /** The momentum at step 0: BYOL uses τ_base = 0.996. */
  readonly baseMomentum: number;
  /** K, the total number of training steps; the momentum reaches 1 at step K. */
  readonly totalSteps: number;
}

/**
 * BYOL's target momentum schedule (Grill et al. 2020, §3.2):
 * τ(k) = 1 − (1 − τ_base) · (cos(π k / K) + 1) / 2, rising from τ_base at k = 0 to 1 at k = K.
 */
export function cosineMomentum({ baseMomentum, totalSteps }: CosineMomentumOptions): Schedule {
  if (!(totalSteps > 0)) throw new Error(`cosineMomentum: totalSteps must be positive, got ${totalSteps}`);
  return (step) => {
    const k = Math.min(step, totalSteps);
    return 1 - ((1 - baseMomentum) * (Math.cos((Math.PI * k) / totalSteps) + 1)) / 2;
  };
}

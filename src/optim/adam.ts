import { add, div, mul, sqrt, sub } from "../ops/index.js";
import { addCoupledDecay, maskedDecay } from "./decay.js";
import { type LearningRate, type Optimizer, type UpdateArgs, type UpdateResult, learningRateAt, required } from "./optimizer.js";

export interface AdamOptions {
  /** Learning rate, or a schedule of it; PyTorch's default 1e-3. */
  readonly lr?: LearningRate;
  /** (β1, β2), PyTorch's default (0.9, 0.999). */
  readonly betas?: readonly [number, number];
  /** Added to √v̂; PyTorch's default 1e-8. */
  readonly eps?: number;
  /** Weight decay λ on the layout's decayed segments: coupled L2 for `adam` (default 0), decoupled for `adamw` (default 0.01). */
  readonly weightDecay?: number;
}

/**
 * Adam with PyTorch's semantics (`torch.optim.Adam`, coupled L2 decay), step t = step + 1:
 *   g ← g + λ·p;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε).
 * The same numbers in fewer elementwise passes (10 over the flat vector instead of 13): the state
 * keeps the moments without the (1−β) factors, M = m / (1−β1) and V = v / (1−β2), so
 *   M ← β1·M + g;  V ← β2·V + g²;  p ← p − s · M / (√V + ε̂)
 * with the host scalars s = lr·(1−β1)·√(1−β2^t) / ((1−β1^t)·√(1−β2)) and ε̂ = ε·√(1−β2^t) / √(1−β2)
 * (m / (√v/bc2 + ε) = (1−β1)·bc2/√(1−β2) · M / (√V + ε̂), with bc2 = √(1−β2^t)).
 */
export function adam(options: AdamOptions = {}): Optimizer {
  return adamFamily("adam", { weightDecay: 0, ...options }, false);
}

/**
 * AdamW (`torch.optim.AdamW`, Loshchilov & Hutter 2019): Adam without the L2 term, and a
 * decoupled decay p ← p − lr·λ·p on the decayed segments, applied with the Adam step.
 */
export function adamw(options: AdamOptions = {}): Optimizer {
  return adamFamily("adamw", { weightDecay: 0.01, ...options }, true);
}

function adamFamily(name: string, options: AdamOptions, decoupled: boolean): Optimizer {
  const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = options;
  const [beta1, beta2] = betas;
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new Error(`${name}: betas must lie in [0, 1), got ${beta1}, ${beta2}`);
  if (weightDecay < 0 || eps < 0) throw new Error(`${name}: weightDecay and eps must be >= 0`);
  const sqrtOneMinusBeta2 = Math.sqrt(1 - beta2);
  return {
    // Named for what they hold, not PyTorch's exp_avg / exp_avg_sq, which are these times (1−β).
    init: (layout) => ({ gradSum: new Float32Array(layout.size), squaredGradSum: new Float32Array(layout.size) }),
    update({ grads, params, state, scalars, layout }: UpdateArgs): UpdateResult {
      const g = decoupled ? grads : addCoupledDecay(grads, params, layout, weightDecay);
      const m = add(mul(required(state, "gradSum", name), beta1), g);
      const v = add(mul(required(state, "squaredGradSum", name), beta2), mul(g, g));
      // NOTE: ε is added after the bias correction of √v, as PyTorch does (here rescaled with √V to
      // ε̂); it keeps the first steps of near-zero-gradient elements bounded rather than dividing by 0.
      const denom = add(sqrt(v), required(scalars, "eps", name));
      let updates = mul(div(m, denom), required(scalars, "negStepSize", name));
      if (decoupled && weightDecay > 0) {
        const decay = maskedDecay(params, layout, mul(required(scalars, "lr", name), weightDecay));
        if (decay !== null) updates = sub(updates, decay);
      }
      return { updates, state: { gradSum: m, squaredGradSum: v } };
    },
    scalars(step, scheduleStep = step) {
      const rate = learningRateAt(lr, scheduleStep);
      // The bias corrections count the updates actually made, wherever the schedule is read.
      const t = step + 1;
      const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
      const corrections = {
        negStepSize: -(rate * (1 - beta1) * bc2Sqrt) / ((1 - beta1 ** t) * sqrtOneMinusBeta2),
        eps: (eps * bc2Sqrt) / sqrtOneMinusBeta2,
      };
      // Only AdamW's decoupled decay reads lr itself; an unread scalar would be a dangling graph input.
      return decoupled && weightDecay > 0 ? { lr: rate, ...corrections } : corrections;
    },
  };
}

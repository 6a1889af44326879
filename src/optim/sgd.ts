import type { Tensor } from "../graph/index.js";
import { add, mul, neg } from "../ops/index.js";
import { addCoupledDecay } from "./decay.js";
import { type LearningRate, type Optimizer, learningRateAt, required } from "./optimizer.js";

export interface SgdOptions {
  /** Learning rate, or a schedule of it. */
  readonly lr: LearningRate;
  /** Momentum factor μ; 0 (PyTorch's default) is plain SGD. */
  readonly momentum?: number;
  /** Nesterov momentum, as PyTorch's `nesterov=True`. */
  readonly nesterov?: boolean;
  /** Coupled L2 weight decay λ on the layout's decayed segments; PyTorch's default 0. */
  readonly weightDecay?: number;
}

/**
 * SGD with PyTorch's semantics (`torch.optim.SGD`, dampening 0):
 *   d = g + λ·p (decayed segments only);  b ← μ·b + d;  d = nesterov ? d + μ·b : b;  p ← p − lr·d.
 * PyTorch starts the buffer as b = d on the first step; with dampening 0 that equals μ·0 + d, so a
 * zero-initialized buffer gives the same numbers without a step counter.
 */
export function sgd({ lr, momentum = 0, nesterov = false, weightDecay = 0 }: SgdOptions): Optimizer {
  if (momentum < 0 || weightDecay < 0) throw new Error(`sgd: momentum and weightDecay must be >= 0, got ${momentum}, ${weightDecay}`);
  if (nesterov && momentum === 0) throw new Error("sgd: nesterov needs a momentum");
  return {
    init: (layout): Record<string, Float32Array> => (momentum === 0 ? {} : { momentum: new Float32Array(layout.size) }),
    update({ grads, params, state, scalars, layout }) {
      const d = addCoupledDecay(grads, params, layout, weightDecay);
      const { direction, next } = applyMomentum(d, momentum, nesterov, momentum === 0 ? null : required(state, "momentum", "sgd"));
      return { updates: mul(direction, neg(required(scalars, "lr", "sgd"))), state: next };
    },
    scalars: (step, scheduleStep = step) => ({ lr: learningRateAt(lr, scheduleStep) }),
  };
}

/** Traced: PyTorch's momentum with dampening 0 on a zero-initialized buffer; shared with LARS. */
export function applyMomentum(
  d: Tensor,
  momentum: number,
  nesterov: boolean,
  buffer: Tensor | null,
): { direction: Tensor; next: Record<string, Tensor> } {
  if (buffer === null) return { direction: d, next: {} };
  const b = add(mul(buffer, momentum), d);
  return { direction: nesterov ? add(d, mul(b, momentum)) : b, next: { momentum: b } };
}

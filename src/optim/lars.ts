import type { Tensor } from "../graph/index.js";
import { add, broadcastTo, concat, div, full, greater, logicalAnd, minimum, mul, neg, split, sqrt, sum, where } from "../ops/index.js";
import type { FlatLayout } from "./layout.js";
import { type LearningRate, type Optimizer, learningRateAt, required } from "./optimizer.js";
import { applyMomentum } from "./sgd.js";

export interface LarsOptions {
  /** Learning rate, or a schedule of it. */
  readonly lr: LearningRate;
  /** Momentum μ; 0.9 as SimCLR, BYOL and solo-learn's configs. */
  readonly momentum?: number;
  /** Weight decay λ on decayed segments; SimCLR's 1e-6 (BYOL uses 1.5e-6). */
  readonly weightDecay?: number;
  /** η in the trust ratio; 0.001 as You et al. 2017 and solo-learn. */
  readonly trustCoefficient?: number;
  /** Added to the trust ratio's denominator; 1e-8 as solo-learn. */
  readonly eps?: number;
  readonly nesterov?: boolean;
  /** solo-learn's `clip_lars_lr`: use min(trust / lr, 1) instead of the trust ratio. */
  readonly clipLarsLr?: boolean;
}

/**
 * LARS (You et al. 2017) as the SSL papers use it, with solo-learn's (PyTorch Lightning Bolts')
 * semantics. Per decayed segment (weights; biases and norm scales are excluded from both decay
 * and adaptation, as SimCLR and BYOL do), when ‖p‖ > 0 and ‖g‖ > 0:
 *   trust = η·‖p‖ / (‖g‖ + λ·‖p‖ + ε);  d = trust · (g + λ·p)
 * otherwise d = g. Then SGD momentum: b ← μ·b + d;  p ← p − lr·b (nesterov: d + μ·b).
 * The per-segment norms come from one Split of p² and of g², a ReduceSum per decayed segment and
 * one vectorized trust computation; the ratios are broadcast back with an Expand per segment.
 */
export function lars(options: LarsOptions): Optimizer {
  const {
    lr,
    momentum = 0.9,
    weightDecay = 1e-6,
    trustCoefficient = 0.001,
    eps = 1e-8,
    nesterov = false,
    clipLarsLr = false,
  } = options;
  if (momentum < 0 || weightDecay < 0) throw new Error(`lars: momentum and weightDecay must be >= 0, got ${momentum}, ${weightDecay}`);
  if (nesterov && momentum === 0) throw new Error("lars: nesterov needs a momentum");
  return {
    init: (layout): Record<string, Float32Array> => (momentum === 0 ? {} : { momentum: new Float32Array(layout.size) }),
    update({ grads, params, state, scalars, layout }) {
      const lrT = required(scalars, "lr", "lars");
      const d = adaptTrust(grads, params, layout, { weightDecay, trustCoefficient, eps, lr: clipLarsLr ? lrT : null });
      const { direction, next } = applyMomentum(d, momentum, nesterov, momentum === 0 ? null : required(state, "momentum", "lars"));
      return { updates: mul(direction, neg(lrT)), state: next };
    },
    scalars: (step, scheduleStep = step) => ({ lr: learningRateAt(lr, scheduleStep) }),
  };
}

interface TrustOptions {
  readonly weightDecay: number;
  readonly trustCoefficient: number;
  readonly eps: number;
  /** The learning rate when the trust ratio is clipped to lr (solo-learn's `clip_lars_lr`). */
  readonly lr: Tensor | null;
}

/** Traced: LARS's d = trust·(g + λ·p) on decayed segments, g elsewhere. */
function adaptTrust(grads: Tensor, params: Tensor, layout: FlatLayout, o: TrustOptions): Tensor {
  const decayed = layout.segments.flatMap((s, i) => (s.decay ? [i] : []));
  if (decayed.length === 0) return grads;
  const sizes = layout.segments.map((s) => s.size);
  const sumsOfSquares = (x: Tensor) => {
    const pieces = split(mul(x, x), sizes);
    return concat(decayed.map((i) => sum(pieces[i] as Tensor, undefined, true))); // [Nd]
  };
  const pNorm = sqrt(sumsOfSquares(params));
  const gNorm = sqrt(sumsOfSquares(grads));
  // NOTE: ε keeps the ratio finite; segments with a zero norm skip adaptation altogether (and
  // then also weight decay), exactly as solo-learn's `if p_norm != 0 and g_norm != 0`.
  let trust = div(mul(pNorm, o.trustCoefficient), add(add(gNorm, mul(pNorm, o.weightDecay)), o.eps));
  if (o.lr !== null) trust = minimum(div(trust, o.lr), 1);
  const active = logicalAnd(greater(pNorm, 0), greater(gNorm, 0));
  const trustVec = perElement(where(active, trust, 1), layout, decayed, 1);
  if (o.weightDecay === 0) return mul(grads, trustVec);
  const decayVec = perElement(where(active, params.graph.scalar(o.weightDecay, params.dtype), 0), layout, decayed, 0);
  return mul(add(grads, mul(params, decayVec)), trustVec);
}

/**
 * Traced: a flat `[size]` vector that repeats `values[j]` over the j-th decayed segment and holds
 * `fill` on the others (consecutive undecayed segments share one Expand).
 */
function perElement(values: Tensor, layout: FlatLayout, decayed: readonly number[], fill: number): Tensor {
  const perDecayed = decayed.length === 1 ? [values] : split(values, decayed.length); // [1] each
  const parts: Tensor[] = [];
  let pendingFill = 0;
  const flushFill = () => {
    if (pendingFill > 0) parts.push(full(values.graph, [pendingFill], fill, values.dtype));
    pendingFill = 0;
  };
  let j = 0;
  for (const [i, s] of layout.segments.entries()) {
    if (decayed[j] === i) {
      flushFill();
      parts.push(broadcastTo(perDecayed[j] as Tensor, [s.size]));
      j++;
    } else pendingFill += s.size;
  }
  flushFill();
  return concat(parts);
}

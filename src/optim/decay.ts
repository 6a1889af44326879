import type { Tensor } from "../graph/index.js";
import { add, mul } from "../ops/index.js";
import { type FlatLayout, decayCoverage, decayMaskTensor } from "./layout.js";

/**
 * Traced: `scale · mask · params`, the weight decay term restricted to the layout's decayed
 * segments (the mask is skipped when it is all ones). Null when nothing decays, so callers add nothing.
 */
export function maskedDecay(params: Tensor, layout: FlatLayout, scale: Tensor | number): Tensor | null {
  if (scale === 0) return null;
  const coverage = decayCoverage(layout);
  if (coverage === "none") return null;
  const scaled = mul(params, scale);
  return coverage === "all" ? scaled : mul(scaled, decayMaskTensor(params.graph, layout, params.dtype));
}

/** Traced: `grads + weightDecay · mask · params`, PyTorch's coupled L2 decay on decayed segments only. */
export function addCoupledDecay(grads: Tensor, params: Tensor, layout: FlatLayout, weightDecay: number): Tensor {
  const term = maskedDecay(params, layout, weightDecay);
  return term === null ? grads : add(grads, term);
}

import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { layerNorm } from "../ops/normalization.js";
import { ones, zeros } from "./init.js";
import { AbstractModule, type ForwardContext, Parameter } from "./module.js";

export interface LayerNormOptions {
  /** NOTE: added to the variance before the square root so a constant row does not divide by 0. */
  readonly eps?: number;
  /** Learn a per-feature scale and shift (default true). */
  readonly affine?: boolean;
}

/**
 * Layer normalization (Ba et al. 2016) over the last axis: `x: [..., dim]` → `[..., dim]`, as
 * PyTorch's `nn.LayerNorm(dim)`. Scale 1 and shift 0 at init.
 */
export class LayerNorm extends AbstractModule {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly eps: number;

  constructor(
    readonly dim: number,
    { eps = 1e-5, affine = true }: LayerNormOptions = {},
  ) {
    super();
    this.weight = affine ? new Parameter([dim], ones([dim])) : null;
    this.bias = affine ? new Parameter([dim], zeros([dim])) : null;
    this.eps = eps;
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.dim) throw new ShapeError("LayerNorm", `expects [..., ${this.dim}], got ${formatShape(x.shape)}`);
    const gamma = this.weight === null ? null : ctx.value(this.weight);
    const beta = this.bias === null ? null : ctx.value(this.bias);
    return layerNorm(x, gamma, beta, { axis: -1, eps: this.eps });
  }
}

import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { add, matmul, transposeLast2 } from "../ops/index.js";
import type { Rng } from "../random/rng.js";
import { linearBias, linearWeight } from "./init.js";
import { AbstractModule, type ForwardContext, Parameter } from "./module.js";

export interface LinearOptions {
  /** Add a learned bias (default true; false before a batch norm, whose shift makes it redundant). */
  readonly bias?: boolean;
}

/**
 * y = x Wᵀ + b, applied to the last axis: `x: [..., inFeatures]` → `[..., outFeatures]`.
 * `weight: [outFeatures, inFeatures]` as PyTorch's, so checkpoints map one-to-one. Init as
 * PyTorch's `nn.Linear`: weight and bias U(−1/√in, 1/√in).
 */
export class Linear extends AbstractModule {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    { bias = true }: LinearOptions = {},
  ) {
    super();
    const shape = [outFeatures, inFeatures];
    this.weight = new Parameter(shape, linearWeight(rng, shape));
    this.bias = bias ? new Parameter([outFeatures], linearBias(rng, inFeatures, outFeatures)) : null;
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError("Linear", `expects [..., ${this.inFeatures}], got ${formatShape(x.shape)}`);
    }
    const y = matmul(x, transposeLast2(ctx.value(this.weight)));
    return this.bias === null ? y : add(y, ctx.value(this.bias));
  }
}

import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { gemm, reshape } from "../ops/index.js";
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
    // One Gemm with transB on the [out, in] weight and the bias as its C: no Transpose node in the
    // forward pass or in the gradients (dX = G·W, dW = Gᵀ·X are Gemm flags too). On the
    // 784-512-128-512-784 autoencoder step (batch 256, Adam) the median step went 35.0 → 30.5 ms
    // against MatMul on a transposed weight, interleaved in one process on a loaded 2-core VM.
    const rows = x.rank === 2 ? x : reshape(x, [-1, this.inFeatures]);
    const y = gemm(rows, ctx.value(this.weight), this.bias === null ? undefined : ctx.value(this.bias), { transB: true });
    return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }
}

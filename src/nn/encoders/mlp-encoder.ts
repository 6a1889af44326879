import { ShapeError, type Tensor, formatShape, sizeOf } from "../../graph/index.js";
import { flatten } from "../../ops/index.js";
import type { Rng } from "../../random/rng.js";
import type { ActivationName } from "../activation.js";
import { Mlp, type MlpBlockSpec } from "../mlp.js";
import { AbstractModule, type ForwardContext } from "../module.js";

export interface MlpEncoderOptions {
  /** Shape of one sample, without the batch axis (`[784]` or `[1, 28, 28]`); it is flattened. */
  readonly inputShape: readonly number[];
  /** Widths of the hidden layers (the anchor's autoencoder: [512]). */
  readonly hidden: readonly number[];
  readonly outputDim: number;
  readonly act?: ActivationName;
  /** Normalization after each hidden Linear (default none). */
  readonly norm?: "batch" | "layer";
}

/**
 * An MLP over flattened samples: `x: [N, ...inputShape]` → `[N, outputDim]`. Hidden layers are
 * Linear (→ norm) → activation; the last layer is a plain Linear, a linear code as the
 * encoder half of the anchor's autoencoder (784-512-128). Parameters: `mlp.blocks.0.linear.weight`, …
 */
export class MlpEncoder extends AbstractModule {
  readonly mlp: Mlp;
  readonly inputShape: readonly number[];
  readonly outputDim: number;

  constructor(rng: Rng, { inputShape, hidden, outputDim, act = "relu", norm }: MlpEncoderOptions) {
    super();
    this.inputShape = [...inputShape];
    this.outputDim = outputDim;
    const blocks: MlpBlockSpec[] = hidden.map((out) => ({ out, act, ...(norm === undefined ? {} : { norm }) }));
    this.mlp = new Mlp(sizeOf(inputShape), [...blocks, { out: outputDim, bias: true }], rng);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    const sample = x.shape.slice(1);
    if (sample.length !== this.inputShape.length || sample.some((d, i) => d !== this.inputShape[i])) {
      throw new ShapeError("MlpEncoder", `expects [N, ${this.inputShape.join(", ")}], got ${formatShape(x.shape)}`);
    }
    return this.mlp.call(ctx, x.rank === 2 ? x : flatten(x, 1)); // [N, outputDim]
  }
}

import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import type { Rng } from "../random/rng.js";
import { type ActivationName, activate } from "./activation.js";
import { BatchNorm1d } from "./batch-norm.js";
import { Dropout } from "./dropout.js";
import { LayerNorm } from "./layer-norm.js";
import { Linear } from "./linear.js";
import { AbstractModule, type ForwardContext } from "./module.js";

/**
 * One block of an MLP: Linear(in → out), then the norm, then the activation, then dropout; each
 * optional (lightly's `ProjectionHead` blocks, as typed objects).
 */
export interface MlpBlockSpec {
  readonly out: number;
  readonly norm?: "batch" | "layer";
  readonly act?: ActivationName;
  /**
   * A bias on the Linear. Default: none before a batch norm, whose shift makes it redundant
   * (as lightly's heads and SimCLR's projector), otherwise a bias.
   */
  readonly bias?: boolean;
  /** Dropout probability after the activation (default none). */
  readonly dropout?: number;
}

/** One `MlpBlockSpec` made concrete. Parameters: `linear.weight`, `norm.weight`, … */
export class MlpBlock extends AbstractModule {
  readonly linear: Linear;
  readonly norm: BatchNorm1d | LayerNorm | null;
  readonly act: ActivationName | null;
  readonly dropout: Dropout | null;

  constructor(inFeatures: number, spec: MlpBlockSpec, rng: Rng) {
    super();
    this.linear = new Linear(inFeatures, spec.out, rng, { bias: spec.bias ?? spec.norm !== "batch" });
    this.norm = spec.norm === "batch" ? new BatchNorm1d(spec.out) : spec.norm === "layer" ? new LayerNorm(spec.out) : null;
    this.act = spec.act ?? null;
    this.dropout = spec.dropout ? new Dropout(spec.dropout) : null;
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    let y = this.linear.call(ctx, x);
    if (this.norm !== null) y = this.norm.call(ctx, y);
    if (this.act !== null) y = activate(this.act, y);
    if (this.dropout !== null) y = this.dropout.call(ctx, y);
    return y;
  }
}

/**
 * A multi-layer perceptron from typed block specs: `x: [N, inFeatures]` → `[N, outFeatures]`.
 * SimCLR's projector on a 128-d encoder, for example, is
 * `new Mlp(128, [{ out: 128, act: "relu" }, { out: 64 }], rng)`.
 */
export class Mlp extends AbstractModule {
  readonly blocks: readonly MlpBlock[];
  readonly outFeatures: number;

  constructor(
    readonly inFeatures: number,
    specs: readonly MlpBlockSpec[],
    rng: Rng,
  ) {
    super();
    if (specs.length === 0) throw new ShapeError("Mlp", "needs at least one block");
    let width = inFeatures;
    const blocks: MlpBlock[] = [];
    for (const spec of specs) {
      blocks.push(new MlpBlock(width, spec, rng));
      width = spec.out;
    }
    this.blocks = blocks;
    this.outFeatures = width;
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) throw new ShapeError("Mlp", `expects [..., ${this.inFeatures}], got ${formatShape(x.shape)}`);
    let y = x;
    for (const block of this.blocks) y = block.call(ctx, y);
    return y;
  }
}

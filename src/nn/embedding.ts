import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { gather } from "../ops/index.js";
import type { Rng } from "../random/rng.js";
import { normal } from "./init.js";
import { AbstractModule, type ForwardContext, Parameter } from "./module.js";

/**
 * A lookup table: `indices: [...]` (int64/int32, each in [0, numEmbeddings)) → `[..., dim]`.
 * `weight: [numEmbeddings, dim]`, initialized N(0, std²): std 1 as PyTorch's `nn.Embedding` by default.
 */
export class Embedding extends AbstractModule {
  readonly weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    rng: Rng,
    std = 1,
  ) {
    super();
    this.weight = new Parameter([numEmbeddings, dim], normal(rng, [numEmbeddings, dim], 0, std));
  }

  call(ctx: ForwardContext, indices: Tensor): Tensor {
    if (indices.dtype !== "int64" && indices.dtype !== "int32") {
      throw new ShapeError("Embedding", `expects integer indices, got ${indices.dtype}${formatShape(indices.shape)}`);
    }
    return gather(ctx.value(this.weight), indices, 0);
  }
}

import type { Tensor } from "../graph/index.js";
import { add, gelu } from "../ops/index.js";
import type { Rng } from "../random/rng.js";
import { MultiHeadSelfAttention } from "./attention.js";
import { LayerNorm } from "./layer-norm.js";
import { Linear } from "./linear.js";
import { AbstractModule, type ForwardContext } from "./module.js";

export interface TransformerBlockOptions {
  readonly causal?: boolean;
  /** Hidden width of the feed-forward layer as a multiple of dModel (4, as GPT-2 and the anchor). */
  readonly mlpRatio?: number;
  readonly eps?: number;
}

/**
 * A pre-LN transformer block (as GPT-2 and the anchor's `Block`): `x: [B, T, dModel]` →
 * x + attn(ln1(x)), then + fc2(gelu(fc1(ln2(·)))). Pre-LN keeps an identity path through every
 * block, so gradients at init are well scaled and it trains without the warm-up post-LN needs
 * (Xiong et al. 2020).
 */
export class TransformerBlock extends AbstractModule {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadSelfAttention;
  readonly ln2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(dModel: number, heads: number, rng: Rng, { causal = false, mlpRatio = 4, eps = 1e-5 }: TransformerBlockOptions = {}) {
    super();
    this.ln1 = new LayerNorm(dModel, { eps });
    this.attn = new MultiHeadSelfAttention(dModel, heads, rng, { causal });
    this.ln2 = new LayerNorm(dModel, { eps });
    this.fc1 = new Linear(dModel, mlpRatio * dModel, rng);
    this.fc2 = new Linear(mlpRatio * dModel, dModel, rng);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    const h = add(x, this.attn.call(ctx, this.ln1.call(ctx, x))); // [B, T, dModel]
    return add(h, this.fc2.call(ctx, gelu(this.fc1.call(ctx, this.ln2.call(ctx, h)))));
  }
}

import type { Tensor } from "../graph/index.js";
import { add, gelu } from "../ops/index.js";
import type { Rng } from "../random/rng.js";
import { MultiHeadSelfAttention } from "./attention.js";
import { Dropout } from "./dropout.js";
import { LayerNorm } from "./layer-norm.js";
import { Linear } from "./linear.js";
import { AbstractModule, type ForwardContext } from "./module.js";

export interface TransformerBlockOptions {
  readonly causal?: boolean;
  /** Hidden width of the feed-forward layer as a multiple of dModel (4, as GPT-2 and the anchor). */
  readonly mlpRatio?: number;
  readonly eps?: number;
  /**
   * Dropout on the attention probabilities and on both residual branches (GPT-2's `attn_pdrop`
   * and `resid_pdrop`, BERT's 0.1); 0 by default, as nanoGPT's small-data CPU runs.
   */
  readonly dropout?: number;
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
  readonly dropout: Dropout;

  constructor(dModel: number, heads: number, rng: Rng, { causal = false, mlpRatio = 4, eps = 1e-5, dropout = 0 }: TransformerBlockOptions = {}) {
    super();
    this.ln1 = new LayerNorm(dModel, { eps });
    this.attn = new MultiHeadSelfAttention(dModel, heads, rng, { causal, dropout });
    this.ln2 = new LayerNorm(dModel, { eps });
    this.fc1 = new Linear(dModel, mlpRatio * dModel, rng);
    this.fc2 = new Linear(mlpRatio * dModel, dModel, rng);
    this.dropout = new Dropout(dropout);
  }

  /** `x: [B, T, dModel]`; `keyBias` as `MultiHeadSelfAttention.call`'s (padding). */
  call(ctx: ForwardContext, x: Tensor, keyBias?: Tensor): Tensor {
    const h = add(x, this.dropout.call(ctx, this.attn.call(ctx, this.ln1.call(ctx, x), keyBias))); // [B, T, dModel]
    return add(h, this.dropout.call(ctx, this.fc2.call(ctx, gelu(this.fc1.call(ctx, this.ln2.call(ctx, h))))));
  }
}

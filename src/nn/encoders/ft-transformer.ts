import { ShapeError, type Tensor, formatShape } from "../../graph/index.js";
import { add, concat, matmul, mul, reshape, slice } from "../../ops/index.js";
import type { Rng } from "../../random/rng.js";
import { uniform } from "../init.js";
import { LayerNorm } from "../layer-norm.js";
import { AbstractModule, type ForwardContext, Parameter } from "../module.js";
import { TransformerBlock } from "../transformer-block.js";

export interface FtTransformerOptions {
  /** F, the encoded features of a row (`row: float32[F]`). */
  readonly features: number;
  /**
   * The token each feature feeds, `[F]` ids in [0, C): the one-hot slots of a categorical column
   * share one token (the sum of their embeddings, which for a one-hot block is the level's
   * embedding: the paper's lookup), as a number shares one with its "was missing" indicator.
   * Default: one token per feature.
   */
  readonly tokenOf?: readonly number[];
  /** d, the token width: the paper's default configuration's 192 (Gorishniy et al. 2021, Table 13). */
  readonly dModel?: number;
  /** Transformer blocks: the default configuration's 3. */
  readonly layers?: number;
  /** Attention heads: 8, as the paper's. */
  readonly heads?: number;
  /** The feed-forward width over d: 4/3, the default configuration's (with ReGLU there, GELU here). */
  readonly mlpRatio?: number;
  /** Dropout in every block (the paper's 0.2 on attention and 0.1 on the feed-forward; one rate here); 0 by default. */
  readonly dropout?: number;
}

/**
 * FT-Transformer (Gorishniy, Rubachev, Khrulkov and Babenko 2021, "Revisiting Deep Learning Models
 * for Tabular Data", arXiv:2106.11959): a feature tokenizer turns each column into a d-vector,
 * T_c = b_c + Σ_{j ∈ c} x_j·W_j (a number times its own embedding; a categorical column's one-hot
 * slots select its level's embedding), a learned `[CLS]` token is prepended, pre-LN transformer
 * blocks attend over the columns, and the final LayerNorm of `[CLS]` is the row's embedding.
 * `row: [B, F]` → `[B, dModel]`. Parameters: `weight [F, d]`, `bias [C, d]`, `cls [1, 1, d]`,
 * `blocks.0.attn.qkv.weight`, …, `ln.weight`.
 */
export class FtTransformer extends AbstractModule {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly cls: Parameter;
  readonly blocks: readonly TransformerBlock[];
  readonly ln: LayerNorm;
  readonly features: number;
  readonly tokens: number;
  readonly outputDim: number;
  /** `[C, F]` 0/1: which features sum into which token; null for one token per feature. */
  readonly #grouping: Float32Array | null;

  constructor(rng: Rng, { features, tokenOf, dModel = 192, layers = 3, heads = 8, mlpRatio = 4 / 3, dropout = 0 }: FtTransformerOptions) {
    super();
    if (tokenOf !== undefined && tokenOf.length !== features) throw new ShapeError("FtTransformer", `tokenOf has ${tokenOf.length} entries for ${features} features`);
    const tokens = tokenOf === undefined ? features : Math.max(...tokenOf) + 1;
    if (tokenOf !== undefined && tokenOf.some((t) => !Number.isInteger(t) || t < 0)) throw new ShapeError("FtTransformer", "tokenOf must hold token ids ≥ 0");
    const hidden = mlpRatio * dModel;
    if (!Number.isInteger(hidden)) throw new ShapeError("FtTransformer", `mlpRatio ${mlpRatio} × dModel ${dModel} is not a whole width (with 4/3, give a dModel divisible by 3)`);
    // NOTE: the tokenizer's and [CLS]'s init is the paper code's (rtdl): U(−1/√d, 1/√d).
    const bound = 1 / Math.sqrt(dModel);
    this.weight = new Parameter([features, dModel], uniform(rng, [features, dModel], -bound, bound));
    this.bias = new Parameter([tokens, dModel], uniform(rng, [tokens, dModel], -bound, bound));
    this.cls = new Parameter([1, 1, dModel], uniform(rng, [1, 1, dModel], -bound, bound));
    this.blocks = Array.from({ length: layers }, () => new TransformerBlock(dModel, heads, rng, { mlpRatio, dropout }));
    this.ln = new LayerNorm(dModel);
    this.features = features;
    this.tokens = tokens;
    this.outputDim = dModel;
    this.#grouping = tokenOf === undefined ? null : groupingMatrix(tokenOf, tokens);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.features) throw new ShapeError("FtTransformer", `expects rows [B, ${this.features}], got ${formatShape(x.shape)}`);
    const b = x.shape[0] as number;
    const d = this.outputDim;
    let t = mul(reshape(x, [b, this.features, 1]), ctx.value(this.weight)); // [B, F, d]
    if (this.#grouping !== null) t = matmul(x.graph.constant(this.#grouping, [this.tokens, this.features], x.dtype), t); // [B, C, d]
    t = add(t, ctx.value(this.bias)); // [B, C, d]
    const cls = add(x.graph.constant(new Float32Array(b * d), [b, 1, d], x.dtype), ctx.value(this.cls)); // [B, 1, d]
    let h = concat([cls, t], 1); // [B, 1 + C, d]
    for (const block of this.blocks) h = block.call(ctx, h);
    return this.ln.call(ctx, reshape(slice(h, [0], [1], [1]), [b, d])); // [B, d]: [CLS]
  }
}

function groupingMatrix(tokenOf: readonly number[], tokens: number): Float32Array {
  const g = new Float32Array(tokens * tokenOf.length);
  tokenOf.forEach((t, j) => (g[t * tokenOf.length + j] = 1));
  return g;
}

/**
 * The token of each encoded feature of a table encoding (`TableEncoding`): a numeric column and its
 * "was missing" indicator share one, a categorical column's one-hot slots share one. Features are
 * laid out numbers, then indicators, then one-hot blocks (see `tableDataset`).
 */
export function columnTokens(encoding: { readonly numeric: readonly { readonly missingIndicator: boolean }[]; readonly categorical: readonly { readonly categories: readonly string[] }[] }): number[] {
  const numeric = encoding.numeric.map((_, i) => i);
  const indicators = encoding.numeric.flatMap((s, i) => (s.missingIndicator ? [i] : []));
  const categorical = encoding.categorical.flatMap((s, c) => s.categories.map(() => encoding.numeric.length + c));
  return [...numeric, ...indicators, ...categorical];
}

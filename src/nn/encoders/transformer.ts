import { ShapeError, type Tensor, formatShape } from "../../graph/index.js";
import { add, slice } from "../../ops/index.js";
import type { Rng } from "../../random/rng.js";
import { paddingBias } from "../attention.js";
import { Dropout } from "../dropout.js";
import { Embedding } from "../embedding.js";
import { LayerNorm } from "../layer-norm.js";
import { Linear } from "../linear.js";
import { AbstractModule, type ForwardContext } from "../module.js";
import { TransformerBlock } from "../transformer-block.js";

export interface TransformerEncoderOptions {
  readonly vocabSize: number;
  readonly dModel: number;
  readonly layers: number;
  readonly heads: number;
  /** The longest sequence: the number of learned position embeddings. */
  readonly context: number;
  /** Causal self-attention (a GPT-style decoder) instead of bidirectional (BERT-style). */
  readonly causal?: boolean;
  readonly mlpRatio?: number;
  /**
   * The id of padding: positions holding it are keys no query attends to. Sequences padded at
   * the end then give every real position exactly what the unpadded sequence would. None by
   * default (every position attends; a causal model never sees the padding after a token anyway).
   */
  readonly padId?: number;
  /** Dropout in every block and on the embeddings (see `TransformerBlockOptions.dropout`); 0 by default. */
  readonly dropout?: number;
  /** Standard deviation of the token and position embeddings' N(0, σ²) init: 1 as PyTorch's `nn.Embedding` (the anchor's TinyGPT) by default. */
  readonly embeddingStd?: number;
}

/**
 * A pre-LN transformer over token ids: token + learned position embeddings, `layers`
 * `TransformerBlock`s, a final LayerNorm. `ids: [B, T]` (int64, T ≤ context) → `[B, T, dModel]`.
 * Parameters: `tok.weight`, `pos.weight`, `blocks.0.attn.qkv.weight`, … `ln.weight`.
 */
export class TransformerEncoder extends AbstractModule {
  readonly tok: Embedding;
  readonly pos: Embedding;
  readonly blocks: readonly TransformerBlock[];
  readonly ln: LayerNorm;
  readonly context: number;
  readonly outputDim: number;
  readonly padId: number | null;
  readonly dropout: Dropout;
  readonly causal: boolean;

  constructor(rng: Rng, { vocabSize, dModel, layers, heads, context, causal = false, mlpRatio = 4, padId, dropout = 0, embeddingStd = 1 }: TransformerEncoderOptions) {
    super();
    this.tok = new Embedding(vocabSize, dModel, rng, embeddingStd);
    this.pos = new Embedding(context, dModel, rng, embeddingStd);
    this.blocks = Array.from({ length: layers }, () => new TransformerBlock(dModel, heads, rng, { causal, mlpRatio, dropout }));
    this.ln = new LayerNorm(dModel);
    this.context = context;
    this.outputDim = dModel;
    this.padId = padId ?? null;
    this.dropout = new Dropout(dropout);
    this.causal = causal;
  }

  call(ctx: ForwardContext, ids: Tensor): Tensor {
    if (ids.rank !== 2 || (ids.shape[1] as number) > this.context) {
      throw new ShapeError("TransformerEncoder", `expects token ids [B, T] with T <= ${this.context}, got ${formatShape(ids.shape)}`);
    }
    const t = ids.shape[1] as number;
    const table = ctx.value(this.pos.weight);
    const positions = t === this.context ? table : slice(table, [0], [t], [0]); // [T, dModel]
    let x = this.dropout.call(ctx, add(this.tok.call(ctx, ids), positions)); // [B, T, dModel]
    const keyBias = this.padId === null ? undefined : paddingBias(ids, this.padId, x.dtype); // [B, 1, 1, T]
    for (const block of this.blocks) x = block.call(ctx, x, keyBias);
    return this.ln.call(ctx, x);
  }
}

export type TinyGptOptions = Omit<TransformerEncoderOptions, "causal">;

/** The anchor's LM (anchors/pytorch/throughput.py `LM`): vocab 100, d 128, 4 layers, 4 heads, context 128. */
export const anchorLmOptions: TinyGptOptions = { vocabSize: 100, dModel: 128, layers: 4, heads: 4, context: 128 };

/**
 * A GPT-style language model as the anchor's `TinyGPT`: a causal `TransformerEncoder` and an
 * untied `head` Linear (no bias) to the vocabulary. `ids: [B, T]` → logits `[B, T, vocabSize]`.
 * Parameters: `transformer.tok.weight`, …, `head.weight` (835,328 for `anchorLmOptions`).
 */
export class TinyGpt extends AbstractModule {
  readonly transformer: TransformerEncoder;
  readonly head: Linear;
  readonly outputDim: number;

  constructor(rng: Rng, options: TinyGptOptions = anchorLmOptions) {
    super();
    this.transformer = new TransformerEncoder(rng, { ...options, causal: true });
    this.head = new Linear(options.dModel, options.vocabSize, rng, { bias: false });
    this.outputDim = options.vocabSize;
  }

  call(ctx: ForwardContext, ids: Tensor): Tensor {
    return this.head.call(ctx, this.transformer.call(ctx, ids)); // [B, T, vocabSize]
  }
}

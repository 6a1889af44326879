import { ShapeError, type Tensor, formatShape } from "../../graph/index.js";
import { cast, div, equal, logicalNot, maximum, mul, reshape, sum, unsqueeze } from "../../ops/index.js";
import type { Rng } from "../../random/rng.js";
import { AbstractModule, type ForwardContext } from "../module.js";
import { TransformerEncoder, type TransformerEncoderOptions } from "./transformer.js";

export interface TextTransformerOptions extends Omit<TransformerEncoderOptions, "padId"> {
  /** The tokenizer's padding id (pretext's tokenizers: 0): padding is neither attended to nor pooled. */
  readonly padId: number;
}

/**
 * The embeddings' init std of a text transformer: BERT's and GPT-2's 0.02 (nanoGPT too), not
 * PyTorch's N(0, 1). NOTE: a masked LM's decoder is tied to the token embeddings, so N(0, 1)
 * starts its logits at std ≈ √d (d 64: a first loss of 24.9 nats against ln V = 6.2) and ~300
 * steps were not enough to recover; with 0.02 training starts at ln V.
 */
export const TEXT_EMBEDDING_STD = 0.02;

/**
 * A text encoder: a `TransformerEncoder` over token ids whose sentence embedding is the mean of
 * its final hidden states over the real (non-padding) tokens. `ids: [B, T]` int64 → `[B, dModel]`.
 * Mean pooling rather than a `<cls>` token: it needs no special token in the data, every token's
 * state gets gradient from a sentence-level loss, and for small models trained briefly it is the
 * stronger sentence embedding (Reimers & Gurevych 2019, SBERT, table 7; SimCSE uses [CLS] with an
 * MLP only on large pretrained BERTs). `causal` makes it GPT-style; `tokens` gives the per-token
 * states the language-modelling heads read. Parameters: `transformer.tok.weight`, … (as `TinyGpt`).
 */
export class TextTransformer extends AbstractModule {
  readonly transformer: TransformerEncoder;
  readonly padId: number;
  readonly outputDim: number;
  readonly vocabSize: number;
  readonly context: number;

  constructor(rng: Rng, options: TextTransformerOptions) {
    super();
    this.transformer = new TransformerEncoder(rng, { embeddingStd: TEXT_EMBEDDING_STD, ...options });
    this.padId = options.padId;
    this.outputDim = options.dModel;
    this.vocabSize = options.vocabSize;
    this.context = options.context;
  }

  /** The final hidden state of every position: `ids: [B, T]` → `[B, T, dModel]`. */
  tokens(ctx: ForwardContext, ids: Tensor): Tensor {
    return this.transformer.call(ctx, ids);
  }

  /** The masked mean over real tokens: `ids: [B, T]` → `[B, dModel]`. */
  call(ctx: ForwardContext, ids: Tensor): Tensor {
    if (ids.rank !== 2) throw new ShapeError("TextTransformer", `expects token ids [B, T], got ${ids.dtype}${formatShape(ids.shape)}`);
    return meanOverTokens(this.tokens(ctx, ids), ids, this.padId);
  }
}

/**
 * The mean of `hidden: [B, T, D]` over the positions whose id is not `padId`: `[B, D]`.
 * NOTE: the count is clamped to 1, so an all-padding row (the zero rows that pad a last
 * inference batch) pools to zeros instead of 0/0.
 */
export function meanOverTokens(hidden: Tensor, ids: Tensor, padId: number): Tensor {
  const [b, t] = ids.shape as [number, number];
  const real = cast(logicalNot(equal(ids, ids.graph.constant([padId], [], ids.dtype))), hidden.dtype); // [B, T]
  const total = sum(mul(hidden, unsqueeze(real, [2])), [1]); // [B, D]
  const count = maximum(sum(real, [1], true), 1); // [B, 1]
  return reshape(div(total, count), [b, hidden.shape[2] as number]);
}

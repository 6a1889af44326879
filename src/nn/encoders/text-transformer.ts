import { ShapeError, type Tensor, formatShape } from "../../graph/index.js";
import { cast, div, equal, logicalNot, maximum, mul, reshape, sum, unsqueeze } from "../../ops/index.js";
import type { Rng } from "../../random/rng.js";
import type { Linear } from "../linear.js";
import { AbstractModule, type ForwardContext } from "../module.js";
import { TransformerEncoder, type TransformerEncoderOptions } from "./transformer.js";

export interface TextTransformerOptions extends Omit<TransformerEncoderOptions, "padId"> {
  /** The tokenizer's padding id (pretext's tokenizers: 0): padding is neither attended to nor pooled. */
  readonly padId: number;
  /**
   * "gpt2" (default): every weight matrix N(0, 0.02²), the residual branches' output projections
   * N(0, (0.02/√(2L))²) and biases 0, as GPT-2 and nanoGPT (BERT: N(0, 0.02²)); "pytorch": the
   * layers' own PyTorch defaults. NOTE: with PyTorch's defaults a block's output at init is far
   * larger than the 0.02-scaled embeddings, so the residual stream forgets the tokens it carries:
   * on fortunes an untrained encoder's mean-pooled states scored 8.3% at 10 labels per class
   * against 13.1% for the mean of its own token embeddings. With GPT-2's init the stream starts
   * as the embeddings and the blocks add small refinements.
   */
  readonly init?: "gpt2" | "pytorch";
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
    if ((options.init ?? "gpt2") === "gpt2") gpt2Init(this.transformer, rng);
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

/** GPT-2's init of a transformer's blocks (see `TextTransformerOptions.init`). */
function gpt2Init(transformer: TransformerEncoder, rng: Rng): void {
  const residualStd = TEXT_EMBEDDING_STD / Math.sqrt(2 * transformer.blocks.length);
  const set = (linear: Linear, std: number) => {
    linear.weight.value.set(rng.normalArray(linear.weight.value.length, 0, std));
    linear.bias?.value.fill(0);
  };
  for (const block of transformer.blocks) {
    set(block.attn.qkv, TEXT_EMBEDDING_STD);
    set(block.fc1, TEXT_EMBEDDING_STD);
    set(block.attn.proj, residualStd);
    set(block.fc2, residualStd);
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

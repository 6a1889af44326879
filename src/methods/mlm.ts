import { batchField } from "../data/loader.js";
import { type MlmMaskingOptions, BERT_MASKING, type WordBoundaries, maskTokens, predictionSlots, wordBoundaries } from "../data/text/masking.js";
import { SPECIAL_IDS } from "../data/text/tokenizer/tokenizer.js";
import { type Tensor } from "../graph/index.js";
import { LayerNorm } from "../nn/layer-norm.js";
import { Linear } from "../nn/linear.js";
import { AbstractModule, type ForwardContext, Parameter } from "../nn/module.js";
import { add, argmax, cast, crossEntropyWithLogits, div, equal, gather, gelu, matmul, maximum, mul, reshape, sum, transpose } from "../ops/index.js";
import { adamw } from "../optim/index.js";
import { warmupCosine } from "../optim/schedule.js";
import type { Rng } from "../random/rng.js";
import { hostTensor } from "../runtime/index.js";
import type { Method, MethodPlan } from "./method.js";
import { textEncoderOf } from "./text-encoder.js";

export interface MlmOptions extends MlmMaskingOptions {
  /** AdamW's peak rate. BERT: 1e-4 at batch 256 for 1M steps; small models trained for minutes take more (measured, below). */
  readonly learningRate: number;
  /** BERT warms up over its first 10k of 1M steps; short runs need a larger share. */
  readonly warmupFraction: number;
  /** BERT's 0.01 decoupled weight decay. */
  readonly weightDecay: number;
}

export const mlmDefaults: MlmOptions = { ...BERT_MASKING, learningRate: 1e-3, warmupFraction: 0.05, weightDecay: 0.01 };

/**
 * BERT's masked-LM head: dense → GELU → LayerNorm, then scores against the input embedding
 * table (weights tied, Press & Wolf 2017, as BERT) plus a bias per token. The table is read from
 * the encoder, not owned here, so it is trained once, through both uses.
 * `h: [N, D]` → logits `[N, V]`. Parameters: `dense.*`, `ln.*`, `bias`.
 */
export class MlmHead extends AbstractModule {
  readonly dense: Linear;
  readonly ln: LayerNorm;
  readonly bias: Parameter;

  constructor(dModel: number, vocabSize: number, rng: Rng) {
    super();
    this.dense = new Linear(dModel, dModel, rng);
    this.ln = new LayerNorm(dModel);
    this.bias = new Parameter([vocabSize], new Float32Array(vocabSize), false);
  }

  call(ctx: ForwardContext, h: Tensor, embeddings: Tensor): Tensor {
    const x = this.ln.call(ctx, gelu(this.dense.call(ctx, h))); // [N, D]
    return add(matmul(x, transpose(embeddings)), ctx.value(this.bias)); // [N, V]
  }
}

export type MlmInputs = "input" | "positions" | "targets" | "weights";

/**
 * Masked language modelling (BERT, Devlin et al. 2019): 15% of each sequence's tokens are chosen
 * (never padding or special tokens), of those 80% become `<mask>`, 10% a random token and 10%
 * stay, and a bidirectional transformer predicts the originals. The masks are drawn on the host
 * from the batch's seeded generator (a resumed run masks the same tokens); the step is fed a fixed
 * number of prediction slots per sequence, so it scores only those positions.
 */
export const mlm: Method<MlmOptions> = {
  name: "mlm",
  family: "auto-associative",
  modalities: ["text"],
  description: "masked language modelling: predict 15% of the tokens (80% shown as <mask>, 10% random, 10% kept) from both sides (BERT)",
  paper: "Devlin, Chang, Lee, Toutanova 2019, BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding (arXiv:1810.04805)",
  defaults: mlmDefaults,
  plan: (setup, options): MethodPlan<MlmInputs> => {
    const { encoder, length } = textEncoderOf(setup, "mlm", false);
    const { batchSize } = setup;
    const slots = predictionSlots(length, options.maskProbability);
    const head = new MlmHead(encoder.outputDim, encoder.vocabSize, setup.rng);
    const total = Math.max(2, Math.round(setup.totalSteps));
    const lr = warmupCosine({ baseLr: options.learningRate, warmupSteps: Math.min(total - 1, Math.round(options.warmupFraction * total)), totalSteps: total });
    const vocab = { vocabSize: encoder.vocabSize, specials: setup.tokenizer?.specials ?? { ...SPECIAL_IDS, pad: encoder.padId } };
    if (setup.tokenizer !== undefined && setup.tokenizer.vocabSize !== encoder.vocabSize) {
      throw new Error(`mlm: the tokenizer has ${setup.tokenizer.vocabSize} ids, the encoder ${encoder.vocabSize}`);
    }
    let boundaries: WordBoundaries | undefined;
    if (options.wholeWord) {
      if (setup.tokenizer === undefined) throw new Error("mlm: wholeWord needs the tokenizer (pretrain's `tokenizer` option) to find word boundaries");
      boundaries = wordBoundaries(setup.tokenizer);
    }
    const predictions = [batchSize, slots];
    return {
      modules: { encoder, head },
      batch: {
        input: { shape: [batchSize, length], dtype: "int64" },
        positions: { shape: predictions, dtype: "int64" },
        targets: { shape: predictions, dtype: "int64" },
        weights: { shape: predictions },
      },
      views: (batch, rng) => {
        const tokens = batchField(batch, "tokens", "int64", "mlm");
        const m = maskTokens(tokens.data, length, vocab, options, rng, boundaries);
        return {
          input: hostTensor("int64", [batchSize, length], m.input),
          positions: hostTensor("int64", predictions, m.positions),
          targets: hostTensor("int64", predictions, m.targets),
          weights: hostTensor("float32", predictions, m.weights),
        };
      },
      loss: (ctx, { input, positions, targets, weights }) => {
        const { loss, accuracy } = maskedTokenLoss(ctx, encoder.tokens(ctx, input), positions, targets, weights, (h) =>
          head.call(ctx, h, ctx.value(encoder.transformer.tok.weight)),
        );
        return { loss, metrics: { masked_accuracy: accuracy } };
      },
      optimizer: adamw({ lr, weightDecay: options.weightDecay }),
      learningRate: lr,
    };
  },
};

/**
 * Mean cross-entropy of the predictions at `positions` (weighted: unused slots weigh 0) and the
 * share of them predicted right. `hidden: [B, T, D]`, `positions`/`targets`/`weights: [B, P]`.
 */
export function maskedTokenLoss(
  _ctx: ForwardContext,
  hidden: Tensor,
  positions: Tensor,
  targets: Tensor,
  weights: Tensor,
  score: (h: Tensor) => Tensor,
): { loss: Tensor; accuracy: Tensor } {
  const [b, t, d] = hidden.shape as [number, number, number];
  const p = positions.shape[1] as number;
  // Row b·T + position of each slot in the flattened [B·T, D] states.
  const offsets = hidden.graph.constant(Array.from({ length: b * p }, (_, i) => Math.floor(i / p) * t), [b, p], "int64");
  const rows = reshape(add(positions, offsets), [b * p]);
  const picked = gather(reshape(hidden, [b * t, d]), rows, 0); // [B·P, D]
  const logits = score(picked); // [B·P, V]
  const flatTargets = reshape(targets, [b * p]);
  const w = reshape(weights, [b * p]);
  const count = maximum(sum(w), 1);
  const loss = div(sum(mul(crossEntropyWithLogits(logits, flatTargets, { reduction: "none" }), w)), count);
  const right = cast(equal(argmax(logits, 1), flatTargets), "float32");
  return { loss, accuracy: div(sum(mul(right, w)), count) };
}

import { batchField } from "../data/loader.js";
import { sequenceLength } from "../data/sample.js";
import { ShapeError, type Tensor } from "../graph/index.js";
import { Linear } from "../nn/linear.js";
import { cast, crossEntropyWithLogits, div, equal, logicalNot, maximum, mul, reshape, slice, sum } from "../ops/index.js";
import { adamw } from "../optim/index.js";
import { warmupCosine } from "../optim/schedule.js";
import type { Method, MethodPlan } from "./method.js";
import { textEncoderOf } from "./text-encoder.js";

export interface ClmOptions {
  /** AdamW's peak learning rate: nanoGPT's 1e-3 for its small (d 128–384) character models. */
  readonly learningRate: number;
  /** Linear warmup over this share of the planned steps, then cosine decay (nanoGPT: ~5% on short runs). */
  readonly warmupFraction: number;
  /** The cosine ends at this share of the peak (nanoGPT's `min_lr = learning_rate / 10`). */
  readonly finalLrFraction: number;
  /** Decoupled weight decay on weight matrices and embeddings (nanoGPT 0.1). */
  readonly weightDecay: number;
  /** Adam's β2: nanoGPT's 0.99 for small models and short runs, where 0.999 reacts too slowly. */
  readonly beta2: number;
}

export const clmDefaults: ClmOptions = { learningRate: 1e-3, warmupFraction: 0.05, finalLrFraction: 0.1, weightDecay: 0.1, beta2: 0.99 };

/**
 * The next-token loss of a batch `tokens: [B, T + 1]`: the encoder reads positions 0..T−1 and the
 * head predicts 1..T. Targets that are padding (documents padded at the end) are not scored, so
 * the loss is the mean nats per real token. Returns the loss and the number of tokens scored.
 */
export function nextTokenLoss(
  tokens: Tensor,
  forward: (inputs: Tensor) => Tensor,
  padId: number,
): { loss: Tensor; tokensScored: Tensor } {
  const [b, window] = tokens.shape as [number, number];
  const t = window - 1;
  const inputs = slice(tokens, [0], [t], [1]); // [B, T]
  const targets = reshape(slice(tokens, [1], [window], [1]), [b * t]); // [B·T]
  const logits = forward(inputs); // [B, T, V]
  const v = logits.shape[2] as number;
  const perToken = crossEntropyWithLogits(reshape(logits, [b * t, v]), targets, { reduction: "none" }); // [B·T]
  const real = cast(logicalNot(equal(targets, tokens.graph.constant([padId], [], tokens.dtype))), perToken.dtype);
  const tokensScored = sum(real);
  return { loss: div(sum(mul(perToken, real)), maximum(tokensScored, 1)), tokensScored };
}

/**
 * Causal language modelling (GPT: Radford et al. 2018, 2019): predict every next token from the
 * ones before it, with a causal transformer and an untied linear head to the vocabulary (as the
 * PyTorch anchor's TinyGPT). Samples are windows of T + 1 tokens (the model's context is T).
 */
export const clm: Method<ClmOptions> = {
  name: "clm",
  family: "sequence",
  modalities: ["text"],
  tokensPerSample: (context) => context + 1,
  description: "causal language modelling: predict every next token from the ones before it (GPT)",
  paper: "Radford et al. 2018, Improving Language Understanding by Generative Pre-Training; 2019, Language Models are Unsupervised Multitask Learners",
  defaults: clmDefaults,
  plan: (setup, options): MethodPlan<"tokens"> => {
    const { encoder } = textEncoderOf(setup, "clm", true);
    const window = sequenceLength(setup.spec, "method clm");
    if (window - 1 > encoder.context) throw new ShapeError("clm", `samples of ${window} tokens need a context of ${window - 1}; the encoder's is ${encoder.context}`);
    const lmHead = new Linear(encoder.outputDim, encoder.vocabSize, setup.rng, { bias: false });
    const total = Math.max(2, Math.round(setup.totalSteps));
    const lr = warmupCosine({
      baseLr: options.learningRate,
      warmupSteps: Math.min(total - 1, Math.round(options.warmupFraction * total)),
      totalSteps: total,
      finalLr: options.finalLrFraction * options.learningRate,
    });
    const shape = [setup.batchSize, window];
    return {
      modules: { encoder, lmHead },
      batch: { tokens: { shape, dtype: "int64" } },
      views: (batch) => ({ tokens: batchField(batch, "tokens", "int64", "clm") }),
      loss: (ctx, { tokens }) => {
        const { loss } = nextTokenLoss(tokens, (inputs) => lmHead.call(ctx, encoder.tokens(ctx, inputs)), encoder.padId);
        return { loss };
      },
      optimizer: adamw({ lr, betas: [0.9, options.beta2], weightDecay: options.weightDecay }),
      learningRate: lr,
    };
  },
};

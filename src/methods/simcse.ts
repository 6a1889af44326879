import { batchField } from "../data/loader.js";
import { positiveCosine } from "../losses/nt-xent.js";
import { simcseLoss } from "../losses/simcse.js";
import type { Mlp, MlpBlockSpec } from "../nn/index.js";
import { concat, split } from "../ops/index.js";
import { adamw } from "../optim/index.js";
import { warmupCosine } from "../optim/schedule.js";
import { collapseMetrics } from "./collapse.js";
import { head } from "./heads.js";
import type { Method, MethodPlan } from "./method.js";
import { textEncoderOf } from "./text-encoder.js";

export interface SimcseOptions {
  /** τ of the in-batch InfoNCE: SimCSE's 0.05. */
  readonly temperature: number;
  /**
   * An MLP on the sentence embedding during training only (SimCSE uses one on [CLS] and drops it
   * at test time); empty for none, the embedding itself. The probes read the encoder's output either way.
   */
  readonly projector: readonly MlpBlockSpec[];
  /** AdamW's peak rate (SimCSE fine-tunes BERT at 3e-5; a small encoder trained from scratch takes more). */
  readonly learningRate: number;
  readonly warmupFraction: number;
  readonly weightDecay: number;
}

export const simcseDefaults: SimcseOptions = { temperature: 0.05, projector: [], learningRate: 1e-3, warmupFraction: 0.05, weightDecay: 0.01 };

/**
 * Unsupervised SimCSE (Gao, Yao, Chen 2021): every sentence is encoded twice in one batch, the two
 * passes differing only by dropout, and each must find its twin among the batch's second passes
 * (in-batch InfoNCE): the contrastive family on text, with dropout as the only augmentation. The
 * encoder must have dropout (the paper's 0.1): without it the two passes are equal and the loss
 * teaches nothing. Dropout masks are host noise from the run's seeded generator, so a resumed run
 * repeats exactly.
 */
export const simcse: Method<SimcseOptions> = {
  name: "simcse",
  family: "contrastive",
  modalities: ["text"],
  description: "contrastive: two dropout passes of each sentence attract, the batch's other sentences repel (in-batch InfoNCE)",
  paper: "Gao, Yao, Chen 2021, SimCSE: Simple Contrastive Learning of Sentence Embeddings (arXiv:2104.08821)",
  defaults: simcseDefaults,
  plan: (setup, options): MethodPlan<"tokens"> => {
    const { encoder, length } = textEncoderOf(setup, "simcse", null);
    if (encoder.transformer.dropout.p === 0) throw new Error("simcse: the encoder has no dropout, so its two passes of a sentence are equal; build it with dropout > 0 (SimCSE: 0.1)");
    const projector: Mlp | null = options.projector.length === 0 ? null : head(encoder.outputDim, options.projector, setup.rng);
    const total = Math.max(2, Math.round(setup.totalSteps));
    const lr = warmupCosine({ baseLr: options.learningRate, warmupSteps: Math.min(total - 1, Math.round(options.warmupFraction * total)), totalSteps: total });
    const n = setup.batchSize;
    return {
      modules: projector === null ? { encoder } : { encoder, projector },
      batch: { tokens: { shape: [n, length], dtype: "int64" } },
      views: (batch) => ({ tokens: batchField(batch, "tokens", "int64", "simcse") }),
      loss: (ctx, { tokens }) => {
        // One pass over [x; x]: the dropout noise of the two copies is drawn independently.
        const h = encoder.call(ctx, concat([tokens, tokens], 0)); // [2N, D]
        const z = projector === null ? h : projector.call(ctx, h);
        const [z0, z1] = split(z, [n, n], 0) as [typeof z, typeof z];
        return {
          loss: simcseLoss(z0, z1, { temperature: options.temperature }),
          metrics: { ...collapseMetrics(h, z0), positive_cosine: positiveCosine(z0, z1) },
        };
      },
      optimizer: adamw({ lr, weightDecay: options.weightDecay }),
      learningRate: lr,
    };
  },
};

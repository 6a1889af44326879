import { corruptedCount, corruptionMask, marginalCorruption } from "../../data/augment/table/feature-corruption.js";
import type { Tensor } from "../../graph/index.js";
import type { MlpBlockSpec } from "../../nn/index.js";
import { concat, div, l2Normalize, logSumExp, matmul, mean, mul, split, sub, sum, transpose } from "../../ops/index.js";
import { type LearningRate, adam } from "../../optim/index.js";
import type { PlannedRateOptions } from "../../optim/schedule.js";
import { hostTensor } from "../../runtime/index.js";
import { collapseMetrics } from "../collapse.js";
import { EncoderWithHead, type TwoViews, head, scheduledRate } from "../heads.js";
import type { Method, MethodPlan, MethodSetup } from "../method.js";
import { batchRows, rowWidth } from "./table-views.js";

export interface ScarfOptions {
  /** The share of a row's features replaced by marginal draws: SCARF's c = 0.6, its best over the 69 OpenML sets (Bahri et al. 2022, §4, Fig. 3). */
  readonly corruptionRate: number;
  /**
   * InfoNCE's τ. SCARF uses 1.0 (§4) for 1,000 epochs; at the minutes of a CPU run it barely
   * learns: on 3,000 rows of letter, 300 steps of batch 256 (5 labels per class, 3 draws; kNN on
   * all labels, 1,000 test rows), τ 1.0 gave a 5-label probe of 49.7% and kNN 67.2% against the
   * untrained encoder's 52.1% and 80.7% (its loss stayed near log 256); τ 0.1 gave 56.1% and 86.8%.
   */
  readonly temperature: number;
  /** The pre-training head g: SCARF's 2-layer ReLU MLP of width 256 (§4). */
  readonly projector: readonly MlpBlockSpec[];
  /** Adam's learning rate: SCARF's 0.001 (§4). */
  readonly learningRate: LearningRate;
  readonly learningRateSchedule: PlannedRateOptions["schedule"];
  readonly warmupFraction: number;
}

export const scarfDefaults: ScarfOptions = {
  corruptionRate: 0.6,
  temperature: 0.1,
  projector: [{ out: 256, act: "relu" }, { out: 256 }],
  learningRate: 1e-3,
  learningRateSchedule: "constant",
  warmupFraction: 0,
};

/**
 * SCARF's InfoNCE (Bahri et al. 2022, eq. 1): each anchor's positive is its own corrupted row,
 * the other rows' corrupted versions its negatives, scored by cosine similarity over τ:
 *   L = −(1/N) Σ_i log exp(s(z_i, z̃_i)/τ) / Σ_k exp(s(z_i, z̃_k)/τ).
 * NOTE: computed as logSumExp(row) − diagonal, stable for any τ.
 *
 * @param anchor `[N, P]` projections of the rows
 * @param positive `[N, P]` projections of their corrupted versions
 * @returns a scalar
 */
export function scarfLoss(anchor: Tensor, positive: Tensor, temperature: number): Tensor {
  const a = l2Normalize(anchor);
  const p = l2Normalize(positive);
  const logits = div(matmul(a, transpose(p)), temperature); // [N, N]
  const diagonal = div(sum(mul(a, p), 1), temperature); // [N]
  return sub(mean(logSumExp(logits, 1)), mean(diagonal));
}

/** Plans SCARF: the rows and their corrupted copies through encoder and head as one batch of 2N, InfoNCE between them. */
export function planScarf(setup: MethodSetup, options: ScarfOptions): MethodPlan<TwoViews> {
  const d = rowWidth(setup.spec, "scarf");
  const count = corruptedCount(options.corruptionRate, d);
  const net = new EncoderWithHead(setup.encoder, head(setup.encoder.outputDim, options.projector, setup.rng));
  const lr = scheduledRate(options, setup.totalSteps);
  const shape = [setup.batchSize, d];
  return {
    modules: { encoder: net.encoder, projector: net.projector },
    batch: { view0: { shape }, view1: { shape } },
    views: (batch, rng) => {
      const { rows, n } = batchRows(batch, "scarf");
      const { corrupted } = marginalCorruption(rows, n, d, corruptionMask(n, d, { count }, rng), rng);
      return { view0: hostTensor("float32", shape, Float32Array.from(rows)), view1: hostTensor("float32", shape, corrupted) };
    },
    loss: (ctx, { view0, view1 }) => {
      const n = view0.shape[0] as number;
      const { h, z } = net.call(ctx, concat([view0, view1], 0)); // [2N, D], [2N, P]: batch norm sees both
      const [z0, z1] = split(z, [n, n], 0) as [Tensor, Tensor];
      return { loss: scarfLoss(z0, z1, options.temperature), metrics: collapseMetrics(h, z0) };
    },
    optimizer: adam({ lr }),
    learningRate: lr,
  };
}

export const scarf: Method<ScarfOptions> = {
  name: "scarf",
  family: "contrastive",
  modalities: ["table"],
  description: "contrastive on table rows: a row and its copy with 60% of the features replaced by draws from their marginals attract, the batch's other corrupted rows repel (InfoNCE)",
  paper: "Bahri, Jiang, Tay and Metzler 2022, SCARF: Self-Supervised Contrastive Learning using Random Feature Corruption (arXiv:2106.15147)",
  defaults: scarfDefaults,
  plan: planScarf,
};

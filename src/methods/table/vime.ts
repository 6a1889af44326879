import { corruptionMask, marginalCorruption } from "../../data/augment/table/feature-corruption.js";
import type { Tensor } from "../../graph/index.js";
import { AbstractModule, type ForwardContext, Linear } from "../../nn/index.js";
import { add, mean, mseLoss, mul, softplus, sub } from "../../ops/index.js";
import { type LearningRate, adam } from "../../optim/index.js";
import type { PlannedRateOptions } from "../../optim/schedule.js";
import type { Rng } from "../../random/rng.js";
import { hostTensor } from "../../runtime/index.js";
import { collapseMetrics } from "../collapse.js";
import { scheduledRate } from "../heads.js";
import type { Method, MethodPlan, MethodSetup } from "../method.js";
import { batchRows, rowWidth } from "./table-views.js";

export interface VimeOptions {
  /** p_m, each feature's chance of being corrupted: VIME's 0.3 (Yoon et al. 2020, its code's default `p_m`). */
  readonly maskProbability: number;
  /** α, the weight of the feature reconstruction against the mask estimation: VIME's 2.0 (eq. 4; its code's default). */
  readonly alpha: number;
  /** Adam's learning rate (VIME trains with RMSprop at Keras' 0.001). */
  readonly learningRate: LearningRate;
  readonly learningRateSchedule: PlannedRateOptions["schedule"];
  readonly warmupFraction: number;
}

export const vimeDefaults: VimeOptions = { maskProbability: 0.3, alpha: 2, learningRate: 1e-3, learningRateSchedule: "constant", warmupFraction: 0 };

/** VIME's two pretext heads on the encoding: the mask estimator s_m (logits of "was corrupted") and the feature estimator s_r. */
export class VimeHeads extends AbstractModule {
  readonly mask: Linear;
  readonly feature: Linear;

  constructor(inFeatures: number, features: number, rng: Rng) {
    super();
    this.mask = new Linear(inFeatures, features, rng);
    this.feature = new Linear(inFeatures, features, rng);
  }

  call(ctx: ForwardContext, h: Tensor): { maskLogits: Tensor; reconstruction: Tensor } {
    return { maskLogits: this.mask.call(ctx, h), reconstruction: this.feature.call(ctx, h) };
  }
}

/**
 * Binary cross-entropy from logits, averaged: mean(softplus(ℓ) − m·ℓ).
 * NOTE: softplus(ℓ) − m·ℓ equals −m·log σ(ℓ) − (1−m)·log(1−σ(ℓ)) without taking the log of a σ that underflows.
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor): Tensor {
  return mean(sub(softplus(logits), mul(targets, logits)));
}

/**
 * VIME's self-supervised loss (Yoon et al. 2020, eq. 4): l_m(m, m̂) + α·l_r(x, x̂), the mask
 * estimation's cross-entropy and the reconstruction's mean squared error on standardized features
 * (VIME's own data is min–max scaled and its reconstruction goes through a sigmoid; here rows are
 * standardized, so the reconstruction is linear).
 */
export function vimeLoss(maskLogits: Tensor, changed: Tensor, reconstruction: Tensor, rows: Tensor, alpha: number): { loss: Tensor; mask: Tensor; reconstruction: Tensor } {
  const maskLoss = binaryCrossEntropyWithLogits(maskLogits, changed);
  const reconstructionLoss = mseLoss(reconstruction, rows);
  return { loss: add(maskLoss, mul(reconstructionLoss, alpha)), mask: maskLoss, reconstruction: reconstructionLoss };
}

type VimeInputs = "corrupted" | "changed" | "rows";

/** Plans VIME: a masked, marginal-corrupted row through the encoder, then mask estimation and reconstruction of the clean row. */
export function planVime(setup: MethodSetup, options: VimeOptions): MethodPlan<VimeInputs> {
  const d = rowWidth(setup.spec, "vime");
  const heads = new VimeHeads(setup.encoder.outputDim, d, setup.rng);
  const lr = scheduledRate(options, setup.totalSteps);
  const shape = [setup.batchSize, d];
  return {
    modules: { encoder: setup.encoder, heads },
    batch: { corrupted: { shape }, changed: { shape }, rows: { shape } },
    views: (batch, rng) => {
      const { rows, n } = batchRows(batch, "vime");
      const { corrupted, changed } = marginalCorruption(rows, n, d, corruptionMask(n, d, { probability: options.maskProbability }, rng), rng);
      return { corrupted: hostTensor("float32", shape, corrupted), changed: hostTensor("float32", shape, changed), rows: hostTensor("float32", shape, Float32Array.from(rows)) };
    },
    loss: (ctx, { corrupted, changed, rows }) => {
      const h = setup.encoder.call(ctx, corrupted); // [N, D]
      const { maskLogits, reconstruction } = heads.call(ctx, h); // [N, F] each
      const l = vimeLoss(maskLogits, changed, reconstruction, rows, options.alpha);
      return { loss: l.loss, metrics: { ...collapseMetrics(h, h), mask_loss: l.mask, reconstruction_mse: l.reconstruction } };
    },
    optimizer: adam({ lr }),
    learningRate: lr,
  };
}

export const vime: Method<VimeOptions> = {
  name: "vime",
  family: "auto-associative",
  modalities: ["table"],
  description: "auto-associative on table rows: from a row with 30% of its features replaced by marginal draws, estimate which were replaced and reconstruct the originals",
  paper: "Yoon, Zhang, Jordon and van der Schaar 2020, VIME: Extending the Success of Self- and Semi-supervised Learning to Tabular Domain (NeurIPS 2020)",
  defaults: vimeDefaults,
  plan: planVime,
};

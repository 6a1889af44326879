import type { AugmentationPreset } from "../data/image/augment/index.js";
import { byolLoss } from "../losses/byol.js";
import type { MlpBlockSpec } from "../nn/index.js";
import { type LearningRate, adam, cosineMomentum } from "../optim/index.js";
import type { PlannedRateOptions } from "../optim/schedule.js";
import { collapseMetrics } from "./collapse.js";
import { EncoderWithHead, type PresetName, type TwoViews, cloneModule, forwardBoth, head, predictBoth, scheduledRate, twoViewInputs } from "./heads.js";
import type { Method, MethodPlan, MethodSetup } from "./method.js";

export interface ByolOptions {
  /**
   * τ_base of the target's EMA, raised to 1 by BYOL's cosine schedule over the run (Grill et al.
   * 2020, §3.2: "τ_base = 0.996"). With a few hundred steps instead of ~300k, 0.99 lets the target
   * follow the online network fast enough (solo-learn's CIFAR configs use 0.99 too).
   */
  readonly baseMomentum: number;
  /** BYOL's projector: Linear(4096)-BN-ReLU-Linear(256) on ResNet-50; 256-BN-ReLU-64 here. */
  readonly projector: readonly MlpBlockSpec[];
  /** The predictor q_θ, the same shape as the projector (BYOL: 4096-BN-ReLU-256). */
  readonly predictor: readonly MlpBlockSpec[];
  /**
   * Adam's learning rate (1e-3, constant). BYOL uses LARS, lr 0.2 × batch/256, weight decay
   * 1.5e-6, warmup and cosine decay.
   */
  readonly learningRate: LearningRate;
  /**
   * How a numeric `learningRate` runs over the planned steps. BYOL warms up for 10 of 1000 epochs,
   * then decays by a cosine; here "constant": at the ~50 steps a 60 s budget gives on 2 cores, warmup
   * + cosine probed lower (10 labels/class: 74.2 vs 77.8, one seed, simclr views).
   */
  readonly learningRateSchedule: PlannedRateOptions["schedule"];
  readonly warmupFraction: number;
  /**
   * The two views. BYOL's own are asymmetric ("byol": blur 1.0/0.1, solarization 0/0.2), but on
   * MNIST solarization at 0.5 erases a white digit's strokes (only anti-aliased edges remain) and
   * a σ ≤ 2 px blur on every first view smears a 28 px digit; the SimCLR MNIST pipeline (crop,
   * intensity jitter, noise), which SimSiam uses too, is the default. Measured over 50 steps of
   * batch 256 with the SmallCnn (linear probe, 10 labels/class; kNN): "byol" 73.2%, 76.5% vs
   * "simclr" 77.8%, 85.1% (seed 0) and 74.1%, 83.6% (seed 1); the random encoder 75.9%, 90.2%.
   */
  readonly augmentation: PresetName | AugmentationPreset;
}

export const byolDefaults: ByolOptions = {
  baseMomentum: 0.99,
  projector: [{ out: 256, norm: "batch", act: "relu" }, { out: 64 }],
  predictor: [{ out: 256, norm: "batch", act: "relu" }, { out: 64 }],
  learningRate: 1e-3,
  learningRateSchedule: "constant",
  warmupFraction: 0.01,
  augmentation: "simclr",
};

/**
 * Plans BYOL: online encoder + projector + predictor on both views (one 2N batch); the EMA target
 * encoder + projector on both views; each view's prediction regresses the other view's target.
 */
export function planByol(setup: MethodSetup, options: ByolOptions): MethodPlan<TwoViews> {
  return planByolOnViews(setup, options, twoViewInputs(setup, options.augmentation));
}

/** BYOL on two views made by `inputs` (of any modality: BYOL-A plans it on log-mel views). */
export function planByolOnViews(
  setup: MethodSetup,
  options: Omit<ByolOptions, "augmentation">,
  inputs: Pick<MethodPlan<TwoViews>, "batch" | "views">,
): MethodPlan<TwoViews> {
  const online = new EncoderWithHead(setup.encoder, head(setup.encoder.outputDim, options.projector, setup.rng));
  const predictor = head(online.projector.outFeatures, options.predictor, setup.rng);
  const target = cloneModule(online);
  const lr = scheduledRate(options, setup.totalSteps);
  return {
    modules: { encoder: online.encoder, projector: online.projector, predictor },
    targets: {
      target: { module: target, follows: ["encoder", "projector"], momentum: cosineMomentum({ baseMomentum: options.baseMomentum, totalSteps: setup.totalSteps }) },
    },
    ...inputs,
    loss: (ctx, { view0, view1 }) => {
      const { h, z0, z1 } = forwardBoth(ctx, online, view0, view1); // [2N, D], [N, P], [N, P]
      const [p0, p1] = predictBoth(ctx, predictor, z0, z1); // [N, P] each
      const t = forwardBoth(ctx, target, view0, view1); // the EMA network: no gradient reaches it
      return { loss: byolLoss(p0, p1, t.z0, t.z1), metrics: collapseMetrics(h, p0) };
    },
    optimizer: adam({ lr }),
    learningRate: lr,
  };
}

export const byol: Method<ByolOptions> = {
  name: "byol",
  family: "non-contrastive",
  modalities: ["image"],
  description: "non-contrastive: an online network predicts a momentum (EMA) target network's projection of the other view, no negatives",
  paper: "Grill et al. 2020, Bootstrap Your Own Latent: A New Approach to Self-Supervised Learning (arXiv:2006.07733)",
  defaults: byolDefaults,
  plan: planByol,
};

import type { AugmentationPreset } from "../data/image/augment/index.js";
import { barlowTwinsLoss, barlowTwinsTerms } from "../losses/barlow-twins.js";
import type { MlpBlockSpec } from "../nn/index.js";
import { type LearningRate, adam } from "../optim/index.js";
import { collapseMetrics } from "./collapse.js";
import { EncoderWithHead, type PresetName, type TwoViews, forwardBoth, head, twoViewInputs } from "./heads.js";
import type { Method, MethodPlan, MethodSetup } from "./method.js";

export interface BarlowTwinsMethodOptions {
  /** λ of the off-diagonal term: "λ = 5·10⁻³" (Zbontar et al. 2021, §2). */
  readonly lambda: number;
  /**
   * Barlow Twins' projector: 3 linear layers of 8192, BN-ReLU after the first two (§2, App. A);
   * "performance improves with the projector's dimensionality". Here 256-BN-ReLU ×2, 256.
   */
  readonly projector: readonly MlpBlockSpec[];
  /**
   * Adam's learning rate (1e-3, constant). Barlow Twins uses LARS, lr 0.2 (weights) and 0.0048
   * (biases, BN), weight decay 1.5e-6, batch 2048, warmup and cosine decay.
   */
  readonly learningRate: LearningRate;
  /** Barlow Twins uses BYOL's asymmetric views. */
  readonly augmentation: PresetName | AugmentationPreset;
}

export const barlowTwinsDefaults: BarlowTwinsMethodOptions = {
  lambda: 5e-3,
  projector: [
    { out: 256, norm: "batch", act: "relu" },
    { out: 256, norm: "batch", act: "relu" },
    { out: 256, bias: false },
  ],
  learningRate: 1e-3,
  augmentation: "byol",
};

/** Plans Barlow Twins: encoder + projector on both views, the cross-correlation driven to the identity. */
export function planBarlowTwins(setup: MethodSetup, options: BarlowTwinsMethodOptions): MethodPlan<TwoViews> {
  const net = new EncoderWithHead(setup.encoder, head(setup.encoder.outputDim, options.projector, setup.rng));
  return {
    modules: { encoder: net.encoder, projector: net.projector },
    ...twoViewInputs(setup, options.augmentation),
    loss: (ctx, { view0, view1 }) => {
      const { h, z0, z1 } = forwardBoth(ctx, net, view0, view1); // [2N, D], [N, P], [N, P]
      const terms = barlowTwinsTerms(z0, z1);
      return {
        loss: barlowTwinsLoss(z0, z1, { lambda: options.lambda }),
        metrics: { ...collapseMetrics(h, z0), on_diagonal: terms.onDiagonal, off_diagonal: terms.offDiagonal },
      };
    },
    optimizer: adam({ lr: options.learningRate }),
    learningRate: options.learningRate,
  };
}

export const barlowTwins: Method<BarlowTwinsMethodOptions> = {
  name: "barlow-twins",
  family: "non-contrastive",
  modalities: ["image"],
  description: "non-contrastive: the cross-correlation of the two views' batch-normalized projections is driven to the identity (invariance + redundancy reduction)",
  paper: "Zbontar, Jing, Misra, LeCun, Deny 2021, Barlow Twins: Self-Supervised Learning via Redundancy Reduction (arXiv:2103.03230)",
  defaults: barlowTwinsDefaults,
  plan: planBarlowTwins,
};

import type { AugmentationPreset } from "../data/image/augment/index.js";
import { negativeCosineLoss } from "../losses/negative-cosine.js";
import type { MlpBlockSpec } from "../nn/index.js";
import { type GroupOf, type LearningRate, type Optimizer, adam, partition } from "../optim/index.js";
import type { PlannedRateOptions } from "../optim/schedule.js";
import { collapseMetrics } from "./collapse.js";
import { EncoderWithHead, type PresetName, type TwoViews, forwardBoth, head, predictBoth, scheduledRate, twoViewInputs } from "./heads.js";
import type { Method, MethodPlan, MethodSetup } from "./method.js";

export interface SimsiamOptions {
  /**
   * SimSiam's projector: 3 layers of 2048, BN on each, ReLU on the first two (Chen & He 2021,
   * §4.1 "the projection MLP has BN applied to each fully-connected layer, including its output").
   * Here 128-BN-ReLU, 128-BN-ReLU, 64-BN.
   */
  readonly projector: readonly MlpBlockSpec[];
  /** The bottleneck predictor: 2048 → 512-BN-ReLU → 2048 (ratio 4); here 64 → 16-BN-ReLU → 64. */
  readonly predictor: readonly MlpBlockSpec[];
  /**
   * Adam's peak learning rate (1e-3). SimSiam uses SGD lr 0.05 × batch/256, weight decay
   * 1e-4, cosine decay (the predictor's lr fixed, see `fixedPredictorLearningRate`).
   */
  readonly learningRate: LearningRate;
  /**
   * How a numeric `learningRate` runs over the planned steps: SimSiam decays it by a cosine, with
   * no warmup at batch 512 (Chen & He 2021, §4). Measured over 50 steps of batch 256 with the
   * SmallCnn (linear probe, 10 labels/class): constant 71.6%, cosine 74.7% and 74.0% (two seeds);
   * over 120 steps 76.2% and 76.6%. The random encoder: 75.9%. SimSiam needs ~120 such steps to
   * pass it, more than a 60 s budget gives on 2 cores.
   */
  readonly learningRateSchedule: PlannedRateOptions["schedule"];
  readonly warmupFraction: number;
  /**
   * Whether the predictor keeps the base `learningRate` at every step (warmup included) while the
   * encoder and projector follow `learningRateSchedule` (true, the paper's: Chen & He 2021 §4.2,
   * Table 1, an undecayed predictor rate gave 68.1% against 67.7% ImageNet linear accuracy, their
   * guess being that the predictor should keep adapting to the latest representations), or decays
   * with them (false). The two groups get their own Adam over their own parameters (`partition`);
   * Adam is elementwise, so the rate is the only difference, and with a "constant" schedule both
   * settings are the same run. Needs a numeric `learningRate`: a schedule given in code has no
   * single base rate.
   */
  readonly fixedPredictorLearningRate: boolean;
  /** SimSiam uses BYOL's first view for both views; on MNIST, the SimCLR pipeline's crop and jitter. */
  readonly augmentation: PresetName | AugmentationPreset;
}

export const simsiamDefaults: SimsiamOptions = {
  projector: [
    { out: 128, norm: "batch", act: "relu" },
    { out: 128, norm: "batch", act: "relu" },
    { out: 64, norm: "batch" },
  ],
  predictor: [{ out: 16, norm: "batch", act: "relu" }, { out: 64 }],
  learningRate: 1e-3,
  learningRateSchedule: "warmup-cosine",
  warmupFraction: 0,
  fixedPredictorLearningRate: true,
  augmentation: "simclr",
};

/**
 * Plans SimSiam: encoder + projector on both views, the predictor on both projections, and each
 * prediction is pulled towards the other view's projection under a stop-gradient.
 */
export function planSimsiam(setup: MethodSetup, options: SimsiamOptions): MethodPlan<TwoViews> {
  const net = new EncoderWithHead(setup.encoder, head(setup.encoder.outputDim, options.projector, setup.rng));
  const predictor = head(net.projector.outFeatures, options.predictor, setup.rng);
  // The encoder's and projector's rate, the one the logs show.
  const lr = scheduledRate(options, setup.totalSteps);
  return {
    modules: { encoder: net.encoder, projector: net.projector, predictor },
    ...twoViewInputs(setup, options.augmentation),
    loss: (ctx, { view0, view1 }) => {
      const { h, z0, z1 } = forwardBoth(ctx, net, view0, view1); // [2N, D], [N, P], [N, P]
      const [p0, p1] = predictBoth(ctx, predictor, z0, z1); // [N, P] each
      return { loss: negativeCosineLoss(p0, p1, z0, z1), metrics: collapseMetrics(h, z0) };
    },
    optimizer: simsiamOptimizer(options, lr),
    learningRate: lr,
  };
}

/** Encoder and projector in one group, the predictor in the other; any other module is a planning error. */
const simsiamGroupOf: GroupOf = (name) =>
  name.startsWith("predictor.") ? "predictor" : name.startsWith("encoder.") || name.startsWith("projector.") ? "backbone" : undefined;

/** Adam on the scheduled rate, with the predictor held at the base rate when the options say so. */
function simsiamOptimizer(options: SimsiamOptions, lr: LearningRate): Optimizer {
  const base = options.learningRate;
  if (!options.fixedPredictorLearningRate) return adam({ lr });
  if (typeof base !== "number") {
    throw new Error("simsiam: fixedPredictorLearningRate needs a numeric learningRate (the predictor's fixed rate); with a schedule given in code, set it to false");
  }
  // A constant schedule is the base rate itself: one Adam gives the same numbers with a smaller graph.
  if (lr === base) return adam({ lr });
  return partition({ backbone: adam({ lr }), predictor: adam({ lr: base }) }, simsiamGroupOf);
}

export const simsiam: Method<SimsiamOptions> = {
  name: "simsiam",
  family: "non-contrastive",
  modalities: ["image"],
  description: "non-contrastive: a predictor maps one view's projection to the other's, with a stop-gradient on the target and no momentum encoder",
  paper: "Chen, He 2021, Exploring Simple Siamese Representation Learning (arXiv:2011.10566)",
  defaults: simsiamDefaults,
  plan: planSimsiam,
};

import type { AugmentationPreset } from "../data/image/augment/index.js";
import type { Tensor } from "../graph/index.js";
import { vicregLoss, vicregTerms } from "../losses/vicreg.js";
import type { MlpBlockSpec } from "../nn/index.js";
import { type LearningRate, adam } from "../optim/index.js";
import { imageShape } from "../data/sample.js";
import { add, concat, mean, mul } from "../ops/index.js";
import type { HostTensor } from "../runtime/index.js";
import { collapseMetrics } from "./collapse.js";
import { makeDecoder, reconstructionError } from "./decoders.js";
import { EncoderWithHead, type PresetName, type TwoViews, forwardBoth, head, twoViewInputs } from "./heads.js";
import type { Method, MethodPlan, MethodSetup } from "./method.js";
import { rotationTerm } from "./rotation-term.js";

export interface VicregMethodOptions {
  /** λ, μ, ν: "λ = μ = 25 and ν = 1" (Bardes et al. 2022, §4.2). */
  readonly invarianceWeight: number;
  readonly varianceWeight: number;
  readonly covarianceWeight: number;
  /**
   * The expander: 3 linear layers of 8192, BN-ReLU after the first two (§4.2). Here 256-BN-ReLU
   * ×2, 256.
   */
  readonly projector: readonly MlpBlockSpec[];
  /**
   * Adam's learning rate (1e-3, constant). VICReg uses LARS, base lr 0.2 × batch/256, weight
   * decay 1e-6, warmup and cosine decay.
   */
  readonly learningRate: LearningRate;
  /** VICReg uses BYOL's asymmetric views. */
  readonly augmentation: PresetName | AugmentationPreset;
  /**
   * Weight of a reconstruction term added to the loss: a conv decoder rebuilds each view from its
   * embedding (BCE on its [0, 1] pixels), so the embedding also keeps what the view looks like
   * where invariance alone would let it go. 0 (off) is the paper's VICReg.
   */
  readonly reconstructionWeight: number;
  /**
   * Weight of a rotation-prediction term (RotNet's task, Gidaris et al. 2018) added to the loss:
   * both views of an image are turned by the same random quarter turn, so the views still agree,
   * and a head (BN-ReLU 128, then 4) predicts the turn from each view's embedding. Invariance to
   * crops and intensity, sensitivity to orientation: what rotation alone learns best on
   * Fashion-MNIST. 0 (off) is the paper's VICReg; the image recipe (recipes.ts) runs 5.
   */
  readonly rotationWeight: number;
}

export const vicregDefaults: VicregMethodOptions = {
  invarianceWeight: 25,
  varianceWeight: 25,
  covarianceWeight: 1,
  projector: [
    { out: 256, norm: "batch", act: "relu" },
    { out: 256, norm: "batch", act: "relu" },
    { out: 256 },
  ],
  learningRate: 1e-3,
  augmentation: "byol",
  reconstructionWeight: 0,
  rotationWeight: 0,
};

/** Plans VICReg: encoder + expander on both views; invariance, variance and covariance terms. */
export function planVicreg(setup: MethodSetup, options: VicregMethodOptions): MethodPlan {
  const net = new EncoderWithHead(setup.encoder, head(setup.encoder.outputDim, options.projector, setup.rng));
  const decoder = options.reconstructionWeight > 0 ? makeDecoder("conv", setup.encoder.outputDim, imageShape(setup.spec, "vicreg's reconstruction"), setup.rng) : null;
  const turns = rotationTerm(setup, options.rotationWeight, "vicreg");
  const twoViews = twoViewInputs(setup, options.augmentation);
  return {
    modules: { encoder: net.encoder, projector: net.projector, ...(decoder === null ? {} : { decoder }), ...(turns === null ? {} : { turnHead: turns.head }) },
    batch: turns === null ? twoViews.batch : { ...twoViews.batch, ...turns.batch },
    views: (batch, rng): Record<string, HostTensor> => (turns === null ? twoViews.views(batch, rng) : turns.turn(twoViews.views(batch, rng), rng)),
    loss: (ctx, inputs) => {
      // `turns` is among the inputs exactly when the rotation term is on (see `batch`).
      const { view0, view1, turns: labels } = inputs as Readonly<Record<TwoViews, Tensor>> & { readonly turns?: Tensor };
      const { h, z0, z1 } = forwardBoth(ctx, net, view0, view1); // [2N, D], [N, P], [N, P]
      const terms = vicregTerms(z0, z1);
      let loss = vicregLoss(z0, z1, {
        invarianceWeight: options.invarianceWeight,
        varianceWeight: options.varianceWeight,
        covarianceWeight: options.covarianceWeight,
      });
      let metrics: Record<string, Tensor> = { ...collapseMetrics(h, z0), invariance: terms.invariance, variance: terms.variance, covariance: terms.covariance };
      if (decoder !== null) {
        const reconstruction = mean(reconstructionError("bce", decoder.call(ctx, h), concat([view0, view1], 0)));
        loss = add(loss, mul(reconstruction, options.reconstructionWeight));
        metrics.reconstruction = reconstruction;
      }
      if (turns !== null && labels !== undefined) {
        const rotation = turns.loss(ctx, h, labels);
        loss = add(loss, rotation.weighted);
        metrics = { ...metrics, ...rotation.metrics };
      }
      return { loss, metrics };
    },
    optimizer: adam({ lr: options.learningRate }),
    learningRate: options.learningRate,
  };
}

export const vicreg: Method<VicregMethodOptions> = {
  name: "vicreg",
  family: "non-contrastive",
  modalities: ["image"],
  description: "non-contrastive: the two views' embeddings agree (invariance) while each dimension keeps its variance and dimensions decorrelate",
  paper: "Bardes, Ponce, LeCun 2022, VICReg: Variance-Invariance-Covariance Regularization for Self-Supervised Learning (arXiv:2105.04906)",
  defaults: vicregDefaults,
  plan: planVicreg,
};

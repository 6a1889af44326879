import { colaLoss } from "../../losses/cola.js";
import { AbstractModule, type ForwardContext, LayerNorm, Linear, Parameter } from "../../nn/index.js";
import { xavierUniform } from "../../nn/init.js";
import { concat, split, tanh } from "../../ops/index.js";
import type { Tensor } from "../../graph/index.js";
import { type LearningRate, adam } from "../../optim/index.js";
import type { PlannedRateOptions } from "../../optim/schedule.js";
import type { Rng } from "../../random/rng.js";
import { collapseMetrics } from "../collapse.js";
import { type TwoViews, scheduledRate } from "../heads.js";
import type { Method, MethodPlan, MethodSetup } from "../method.js";
import { type AudioPositives, type AudioViewsName, audioTwoViewInputs, preparePositives } from "./audio-views.js";

export interface ColaOptions {
  /** The projection g(·) before the similarity: Linear → LayerNorm → tanh, 512 wide in COLA (§2.2). */
  readonly projection: number;
  /**
   * Adam's learning rate: COLA's 1e-4. At 1e-3 the bilinear scores, large at initialization
   * (loss 9.4 against log 64 = 4.16 at batch 64), were shrunk to a constant and training stalled
   * at log N for 140 steps (the embeddings collapsing); at 1e-4 the loss fell to 3.2 in 60 steps.
   */
  readonly learningRate: LearningRate;
  readonly learningRateSchedule: PlannedRateOptions["schedule"];
  readonly warmupFraction: number;
  /** Frames per segment: COLA draws two random segments of one clip (960 ms of 10 s clips); here 64 of a 1 s clip's 101 (0.64 s). */
  readonly segmentFrames: number;
  /** How the two segments are made: COLA's plain random crops ("cola"), or with BYOL-A's augmentations on top. */
  readonly augmentation: AudioViewsName;
  /** The positive: another segment of the clip (COLA), or a segment of its mined partner (`minePositives`). */
  readonly positives: AudioPositives;
}

export const colaDefaults: ColaOptions = {
  projection: 512,
  learningRate: 1e-4,
  learningRateSchedule: "constant",
  warmupFraction: 0,
  segmentFrames: 64,
  augmentation: "cola",
  positives: "augmented",
};

/** COLA's head: g(h) = tanh(LayerNorm(W_g h)), and the bilinear similarity's W. */
export class ColaHead extends AbstractModule {
  readonly projection: Linear;
  readonly norm: LayerNorm;
  readonly bilinear: Parameter;

  constructor(inFeatures: number, width: number, rng: Rng) {
    super();
    this.projection = new Linear(inFeatures, width, rng);
    this.norm = new LayerNorm(width);
    // Glorot uniform, as the Keras layer of COLA's reference code
    this.bilinear = new Parameter([width, width], xavierUniform(rng, [width, width]));
  }

  call(ctx: ForwardContext, h: Tensor): Tensor {
    return tanh(this.norm.call(ctx, this.projection.call(ctx, h)));
  }
}

/** Plans COLA: both segments through the encoder and head as one batch of 2N, then the bilinear contrastive loss. */
export function planCola(setup: MethodSetup, options: ColaOptions): MethodPlan<TwoViews> {
  const projector = new ColaHead(setup.encoder.outputDim, options.projection, setup.rng);
  const lr = scheduledRate(options, setup.totalSteps);
  return {
    modules: { encoder: setup.encoder, projector },
    ...audioTwoViewInputs(setup, options.augmentation, options.segmentFrames, options.positives),
    loss: (ctx, { view0, view1 }) => {
      const n = view0.shape[0] as number;
      const h = setup.encoder.call(ctx, concat([view0, view1], 0)); // [2N, D]: batch norm sees both segments
      const [g0, g1] = split(projector.call(ctx, h), [n, n], 0) as [Tensor, Tensor];
      return { loss: colaLoss(g0, g1, ctx.value(projector.bilinear)), metrics: collapseMetrics(h, g0) };
    },
    optimizer: adam({ lr }),
    learningRate: lr,
  };
}

export const cola: Method<ColaOptions> = {
  name: "cola",
  family: "contrastive",
  modalities: ["audio"],
  description: "contrastive on audio: two segments of one clip are positives, the batch's other clips negatives, scored by a bilinear similarity",
  paper: "Saeed, Grangier and Zeghidour 2021, Contrastive Learning of General-Purpose Audio Representations (arXiv:2010.10915)",
  defaults: colaDefaults,
  prepare: (dataset, options) => preparePositives(dataset, options.positives),
  plan: planCola,
};

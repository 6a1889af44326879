import { type ByolOptions, planByolOnViews } from "../byol.js";
import type { TwoViews } from "../heads.js";
import type { Method, MethodPlan, MethodSetup } from "../method.js";
import { type AudioPositives, type AudioViewsName, audioTwoViewInputs, preparePositives } from "./audio-views.js";

/** BYOL's options (target EMA, heads, learning rate), with BYOL-A's log-mel views in place of image augmentations. */
export interface ByolAOptions extends Omit<ByolOptions, "augmentation"> {
  /** BYOL-A's augmentations: mixup with background, random resize crop (and linear fader in v2). */
  readonly augmentation: AudioViewsName;
  /** Frames of each view (BYOL-A: 96 frames, ~1 s at hop 160). */
  readonly viewFrames: number;
  /** The second view: another augmentation of the clip (BYOL-A), or of its mined partner (`minePositives`). */
  readonly positives: AudioPositives;
}

/** BYOL-A's values where they differ from BYOL's: projector and predictor 4096-BN-ReLU-256 and Adam at 3e-4 (batch 256), EMA 0.99. */
export const byolADefaults: ByolAOptions = {
  baseMomentum: 0.99,
  projector: [{ out: 4096, norm: "batch", act: "relu" }, { out: 256 }],
  predictor: [{ out: 4096, norm: "batch", act: "relu" }, { out: 256 }],
  learningRate: 3e-4,
  learningRateSchedule: "constant",
  warmupFraction: 0,
  augmentation: "byol-a",
  viewFrames: 96,
  positives: "augmented",
};

/** Plans BYOL-A: BYOL (an online network predicts an EMA target's projection of the other view) on two augmented log-mel views of each clip. */
export function planByolA(setup: MethodSetup, options: ByolAOptions): MethodPlan<TwoViews> {
  return planByolOnViews(setup, options, audioTwoViewInputs(setup, options.augmentation, options.viewFrames, options.positives));
}

export const byolA: Method<ByolAOptions> = {
  name: "byol-a",
  family: "non-contrastive",
  modalities: ["audio"],
  description: "BYOL for audio: two views of one clip's log-mel (mixup with other clips, random resize crop) and an EMA target, no negatives",
  paper: "Niizumi et al. 2021, BYOL for Audio: Self-Supervised Learning for General-Purpose Audio Representation (arXiv:2103.06695)",
  defaults: byolADefaults,
  prepare: (dataset, options) => preparePositives(dataset, options.positives),
  plan: planByolA,
};

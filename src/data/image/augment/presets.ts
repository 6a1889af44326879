import { gaussianBlur } from "./blur.js";
import { randomHorizontalFlip, randomResizedCrop } from "./geometric.js";
import { colorJitter, gaussianNoise, randomGrayscale, solarize } from "./intensity.js";
import type { Pipeline, Range } from "./transform.js";

/** The views of an SSL recipe: one pipeline per view. */
export interface AugmentationPreset {
  readonly name: string;
  readonly views: readonly Pipeline[];
}

// The recipes below are the papers' (at 224×224 RGB) scaled to 28×28 grayscale digits:
// - crops keep at least half the area ([0.5, 1] instead of [0.08, 1]): an 8% crop of a digit is
//   a piece of one stroke; small rotations (±15°) and shears (±10°) of the crop window take the
//   place of horizontal flips, which turn digits into other symbols (and are left out);
// - saturation, hue and random grayscale keep the papers' settings but do nothing on one channel;
// - blur keeps its 10%-of-size kernel (3 px) and σ range.

/** The crop of the PyTorch anchor's SimCLR-MNIST pipeline (`augment` in throughput.py / simclr_mnist.py). */
function mnistCrop(scale: Range = [0.5, 1]): ReturnType<typeof randomResizedCrop> {
  return randomResizedCrop({ scale, ratio: [3 / 4, 4 / 3], rotationDegrees: 15, shearDegrees: 10 });
}

/** Variations of a preset's views, for recipe trials (scripts/image-recipe-trial.mts --aug). */
export interface ViewVariation {
  /** The crops' area range (default [0.5, 1]). */
  readonly cropScale?: Range;
  /** A horizontal flip with probability 0.5 after the crop (default off: it turns digits into other symbols). */
  readonly horizontalFlip?: boolean;
}

/**
 * One SimCLR view for 28×28 digits, equal to the PyTorch anchor's `augment`: crop (area 0.5–1,
 * aspect 3/4–4/3) rotated ±15° and sheared ±10° in one affine resample; with probability 0.8
 * brightness then contrast jitter 0.4 (factors in [0.6, 1.4]); gaussian noise σ 0.1; clamp to
 * [0, 1]. SimCLR (Chen et al. 2020, appendix A) uses crop, flip, color jitter 0.8 with p 0.8,
 * grayscale p 0.2 and, on ImageNet only, blur; on CIFAR-10 it drops the blur, as this does.
 * NOTE: the intensity jitter is what makes SimCLR beat a random encoder on MNIST (anchors' README):
 * without it NT-Xent matches views by their intensity statistics.
 */
export function simclrMnistPipeline(): Pipeline {
  return [
    mnistCrop(),
    colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0, hue: 0, probability: 0.8, randomOrder: false }),
    gaussianNoise({ std: 0.1 }),
  ];
}

/** SimCLR: two views from the same pipeline (`simclrMnistPipeline`). */
export function simclrPreset(): AugmentationPreset {
  return { name: "simclr", views: [simclrMnistPipeline(), simclrMnistPipeline()] };
}

/**
 * BYOL (Grill et al. 2020, table 6), asymmetric: color jitter (0.4, 0.4, 0.2, 0.1) with p 0.8,
 * grayscale p 0.2, blur with p 1.0 / 0.1 and solarization with p 0 / 0.2 for the two views.
 * SimSiam uses BYOL's first view for both.
 */
export function byolPreset(variation: ViewVariation = {}): AugmentationPreset {
  const view = (blurProbability: number, solarizeProbability: number): Pipeline => [
    mnistCrop(variation.cropScale),
    ...(variation.horizontalFlip === true ? [randomHorizontalFlip()] : []),
    colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1, probability: 0.8 }),
    randomGrayscale({ probability: 0.2 }),
    gaussianBlur({ kernelSizeFraction: 0.1, sigma: [0.1, 2.0], probability: blurProbability }),
    solarize({ threshold: 0.5, probability: solarizeProbability }),
  ];
  return { name: "byol", views: [view(1.0, 0), view(0.1, 0.2)] };
}

/**
 * MoCo v2 (Chen et al. 2020, "Improved baselines"): color jitter (0.4, 0.4, 0.4, 0.1) with p 0.8,
 * grayscale p 0.2, blur σ 0.1–2 with p 0.5, the same pipeline for query and key.
 */
export function mocoV2Preset(): AugmentationPreset {
  const view = (): Pipeline => [
    mnistCrop(),
    colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, probability: 0.8 }),
    randomGrayscale({ probability: 0.2 }),
    gaussianBlur({ kernelSizeFraction: 0.1, sigma: [0.1, 2.0], probability: 0.5 }),
  ];
  return { name: "moco-v2", views: [view(), view()] };
}

/**
 * MAE (He et al. 2021): masking is the pretext task, so the augmentation is a light crop only
 * (theirs: area 0.2–1 and a flip at 224×224; here area 0.5–1, no rotation, no flip). One view.
 */
export function maePreset(): AugmentationPreset {
  return { name: "mae", views: [[randomResizedCrop({ scale: [0.5, 1], ratio: [3 / 4, 4 / 3] })]] };
}

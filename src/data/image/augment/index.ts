export { blurKernelSize, type GaussianBlurOptions, gaussianBlur } from "./blur.js";
export { type CutoutOptions, cutout, type RandomErasingOptions, randomErasing } from "./erasing.js";
export {
  composeMaps,
  type RandomAffineOptions,
  type RandomHorizontalFlipOptions,
  type RandomResizedCropOptions,
  randomAffine,
  randomHorizontalFlip,
  randomResizedCrop,
  resampleAffine,
} from "./geometric.js";
export {
  type ColorJitterOptions,
  colorJitter,
  type GaussianNoiseOptions,
  gaussianNoise,
  type RandomGrayscaleOptions,
  randomGrayscale,
  type SolarizeOptions,
  solarize,
} from "./intensity.js";
export { type Augmentation, applyPipeline, augmentBatch, compose, type MultiViewAugmentation, multiView } from "./multi-view.js";
export { type AugmentationPreset, type ViewVariation, byolPreset, maePreset, mocoV2Preset, simclrMnistPipeline, simclrPreset } from "./presets.js";
export type { GeometricTransform, ImageBatch, ImageShape, PixelTransform, Pipeline, Range, Transform } from "./transform.js";

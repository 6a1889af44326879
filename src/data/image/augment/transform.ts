import type { Rng } from "../../../random/rng.js";

/** `[N, C, H, W]` of a batch of images. */
export type ImageShape = readonly [number, number, number, number];

/** A closed interval `[low, high]` that a parameter is drawn from uniformly. */
export type Range = readonly [number, number];

/**
 * A geometric augmentation: per sample, an affine map from output to input pixel coordinates.
 * Maps are in *centered pixel* coordinates (the image center is the origin, x right, y down,
 * one unit = one pixel), 6 numbers per sample `[a, b, tx, c, d, ty]`:
 * `xIn = a·xOut + b·yOut + tx`, `yIn = c·xOut + d·yOut + ty`.
 * Consecutive geometric transforms of a pipeline are multiplied into one map and the batch is
 * resampled once (bilinear, zeros outside, pixel centers as in `grid_sample(align_corners=False)`).
 */
export interface GeometricTransform {
  readonly kind: "geometric";
  readonly name: string;
  /** The options in effect, defaults filled in (for logs, reports and tests). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Draws the maps of a batch: `Float64Array(6·N)`. */
  sampleMaps(shape: ImageShape, rng: Rng): Float64Array;
}

/** A pixel-wise (intensity, blur, erasing) augmentation; rewrites the batch in place. */
export interface PixelTransform {
  readonly kind: "pixel";
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  applyInPlace(images: Float32Array, shape: ImageShape, rng: Rng): void;
}

export type Transform = GeometricTransform | PixelTransform;

/** A list of transforms applied in order to every sample: one view. */
export type Pipeline = readonly Transform[];

/** Anything holding a batch of images, e.g. the loader's `Batch`. */
export interface ImageBatch {
  readonly images: Float32Array;
  readonly shape: ImageShape;
}

/** Throws unless `shape` is four positive integers matching `images.length`. */
export function checkBatch(where: string, images: Float32Array, shape: ImageShape): void {
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${where}: shape must be [N, C, H, W] of positive integers, got [${shape.join(", ")}]`);
  }
  const size = shape[0] * shape[1] * shape[2] * shape[3];
  if (images.length !== size) {
    throw new Error(`${where}: ${images.length} values do not fill shape [${shape.join(", ")}] (${size})`);
  }
}

/** Throws unless `p` is a probability. */
export function checkProbability(where: string, name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new Error(`${where}: ${name} must be in [0, 1], got ${p}`);
}

/** Throws unless `range` is `[low, high]` with `min ≤ low ≤ high ≤ max`. */
export function checkRange(where: string, name: string, range: Range, min = -Infinity, max = Infinity): void {
  const [low, high] = range;
  if (!(Number.isFinite(low) && Number.isFinite(high) && low <= high && low >= min && high <= max)) {
    throw new Error(`${where}: ${name} must be [low, high] with ${min} ≤ low ≤ high ≤ ${max}, got [${range.join(", ")}]`);
  }
}

/** `[-x, x]` for a number (torchvision's convention for `degrees=15`), the range itself otherwise. */
export function symmetricRange(value: number | Range): Range {
  return typeof value === "number" ? [-Math.abs(value), Math.abs(value)] : value;
}

import type { Rng } from "../../../random/rng.js";
import { type ImageShape, type PixelTransform, type Range, checkBatch, checkProbability, checkRange } from "./transform.js";

export interface RandomErasingOptions {
  /** Chance of erasing a rectangle of a sample. Default 0.5 (Zhong et al. 2017; torchvision `RandomErasing`). */
  probability?: number;
  /** Range of the rectangle's area as a fraction of the image. Default [0.02, 0.33] (same). */
  scale?: Range;
  /** Range of its aspect ratio (height / width), drawn log-uniformly. Default [0.3, 3.3] (same). */
  ratio?: Range;
  /**
   * Fill: a number, or "random" for uniform [0, 1) noise per value. Default 0.
   * NOTE: torchvision's "random" draws N(0, 1), which leaves [0, 1]; uniform noise keeps the range.
   */
  value?: number | "random";
}

/**
 * Random erasing: per sample with `probability`, a rectangle of random area and aspect ratio at a
 * random place is filled with `value` in every channel (up to 10 draws to find one that fits,
 * as torchvision; none fits → the sample is unchanged).
 */
export function randomErasing(options: RandomErasingOptions = {}): PixelTransform {
  const where = "randomErasing";
  const { probability = 0.5, scale = [0.02, 0.33], ratio = [0.3, 3.3], value = 0 } = options;
  checkProbability(where, "probability", probability);
  checkRange(where, "scale", scale, 0, 1);
  checkRange(where, "ratio", ratio, 0);
  if (!(ratio[0] > 0)) throw new Error(`${where}: ratio must be above 0, got [${ratio.join(", ")}]`);
  checkFill(where, value);
  const logRatio: Range = [Math.log(ratio[0]), Math.log(ratio[1])];
  return {
    kind: "pixel",
    name: where,
    options: { probability, scale, ratio, value },
    applyInPlace(images: Float32Array, shape: ImageShape, rng: Rng): void {
      checkBatch(where, images, shape);
      const [n, , h, w] = shape;
      for (let s = 0; s < n; s++) {
        if (!(rng.uniform() < probability)) continue;
        for (let attempt = 0; attempt < 10; attempt++) {
          const area = rng.uniformIn(scale[0], scale[1]) * h * w;
          const r = Math.exp(rng.uniformIn(logRatio[0], logRatio[1]));
          const eh = Math.round(Math.sqrt(area * r));
          const ew = Math.round(Math.sqrt(area / r));
          if (!(eh < h && ew < w) || eh === 0 || ew === 0) continue;
          const top = rng.int(h - eh + 1);
          const left = rng.int(w - ew + 1);
          fillRect(images, shape, s, top, left, eh, ew, value, rng);
          break;
        }
      }
    },
  };
}

export interface CutoutOptions {
  /** Side of the square as a fraction of the image's height/width. Default 0.5 (DeVries & Taylor 2017: 16 px on 32×32 CIFAR-10). */
  size?: number;
  /** Chance of cutting a sample. Default 1 (the paper). */
  probability?: number;
  /** Fill, as in `randomErasing`. Default 0. */
  value?: number | "random";
}

/** Cutout: a square whose center is uniform over the image, clipped at the borders, filled with `value`. */
export function cutout(options: CutoutOptions = {}): PixelTransform {
  const where = "cutout";
  const { size = 0.5, probability = 1, value = 0 } = options;
  if (!(size > 0 && size <= 1)) throw new Error(`${where}: size must be in (0, 1], got ${size}`);
  checkProbability(where, "probability", probability);
  checkFill(where, value);
  return {
    kind: "pixel",
    name: where,
    options: { size, probability, value },
    applyInPlace(images: Float32Array, shape: ImageShape, rng: Rng): void {
      checkBatch(where, images, shape);
      const [n, , h, w] = shape;
      const sh = Math.max(1, Math.round(size * h));
      const sw = Math.max(1, Math.round(size * w));
      for (let s = 0; s < n; s++) {
        if (!(rng.uniform() < probability)) continue;
        const cy = rng.int(h);
        const cx = rng.int(w);
        const top = Math.max(0, cy - (sh >> 1));
        const left = Math.max(0, cx - (sw >> 1));
        const bottom = Math.min(h, cy - (sh >> 1) + sh);
        const right = Math.min(w, cx - (sw >> 1) + sw);
        fillRect(images, shape, s, top, left, bottom - top, right - left, value, rng);
      }
    },
  };
}

function checkFill(where: string, value: number | "random"): void {
  if (value !== "random" && !(value >= 0 && value <= 1)) throw new Error(`${where}: value must be in [0, 1] or "random", got ${value}`);
}

function fillRect(
  images: Float32Array,
  [, channels, h, w]: ImageShape,
  sample: number,
  top: number,
  left: number,
  height: number,
  width: number,
  value: number | "random",
  rng: Rng,
): void {
  for (let ch = 0; ch < channels; ch++) {
    const base = (sample * channels + ch) * h * w;
    for (let i = top; i < top + height; i++) {
      const row = base + i * w;
      if (value === "random") for (let j = left; j < left + width; j++) images[row + j] = rng.uniform();
      else images.fill(value, row + left, row + left + width);
    }
  }
}

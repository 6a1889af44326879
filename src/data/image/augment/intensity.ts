import type { Rng } from "../../../random/rng.js";
import { type ImageShape, type PixelTransform, checkBatch, checkProbability } from "./transform.js";
import { normalZiggurat } from "./ziggurat.js";

// Intensity augmentations. All assume values in [0, 1] (what the datasets produce) and clamp
// their output to [0, 1], as torchvision does for float images; normalize after augmenting.

/** ITU-R 601-2 luma weights, as torchvision's `rgb_to_grayscale`. */
const LUMA = [0.2989, 0.587, 0.114] as const;

export interface ColorJitterOptions {
  /** Brightness factor drawn from [max(0, 1−b), 1+b]; x·f. Default 0.8 (SimCLR appendix A, strength s = 1: 0.8s). */
  brightness?: number;
  /** Contrast factor from [max(0, 1−c), 1+c]; blend with the mean gray level. Default 0.8 (SimCLR). */
  contrast?: number;
  /** Saturation factor from [max(0, 1−s), 1+s]; blend with the pixel's gray. 3 channels only. Default 0.8 (SimCLR). */
  saturation?: number;
  /** Hue shift from [−h, h] turns (h ≤ 0.5). 3 channels only. Default 0.2 (SimCLR: 0.2s). */
  hue?: number;
  /** Chance of jittering a sample. Default 0.8 (SimCLR, BYOL, MoCo v2). */
  probability?: number;
  /**
   * Apply the four adjustments in a random order per sample (torchvision `ColorJitter`). Default
   * true; false applies brightness, contrast, saturation, hue in that order (the PyTorch anchor).
   */
  randomOrder?: boolean;
}

/**
 * Random brightness, contrast, saturation and hue (torchvision `ColorJitter` semantics). On one
 * channel, contrast blends with the image's mean (torchvision's grayscale rule) and saturation and
 * hue do nothing; on 3 channels the mean is that of the luma image. Per sample with `probability`.
 */
export function colorJitter(options: ColorJitterOptions = {}): PixelTransform {
  const where = "colorJitter";
  const { brightness = 0.8, contrast = 0.8, saturation = 0.8, hue = 0.2, probability = 0.8, randomOrder = true } = options;
  for (const [name, v] of [["brightness", brightness], ["contrast", contrast], ["saturation", saturation]] as const) {
    if (!(v >= 0 && Number.isFinite(v))) throw new Error(`${where}: ${name} must be a finite number ≥ 0, got ${v}`);
  }
  if (!(hue >= 0 && hue <= 0.5)) throw new Error(`${where}: hue must be in [0, 0.5], got ${hue}`);
  checkProbability(where, "probability", probability);
  const strengths = [brightness, contrast, saturation, hue] as const;
  const order = [0, 1, 2, 3];
  return {
    kind: "pixel",
    name: where,
    options: { brightness, contrast, saturation, hue, probability, randomOrder },
    applyInPlace(images: Float32Array, shape: ImageShape, rng: Rng): void {
      checkBatch(where, images, shape);
      const [n, channels, h, w] = shape;
      const size = channels * h * w;
      for (let s = 0; s < n; s++) {
        if (!(rng.uniform() < probability)) continue;
        const steps = randomOrder ? Array.from(rng.permutation(4)) : order;
        const sample = images.subarray(s * size, (s + 1) * size);
        for (const k of steps) {
          const strength = strengths[k as 0 | 1 | 2 | 3];
          if (strength === 0) continue;
          if (k === 3) {
            const shift = rng.uniformIn(-strength, strength);
            if (channels === 3) adjustHue(sample, h * w, shift);
            continue;
          }
          const factor = rng.uniformIn(Math.max(0, 1 - strength), 1 + strength);
          if (k === 0) blend(sample, factor, 0);
          else if (k === 1) blend(sample, factor, meanGray(sample, channels, h * w));
          else if (channels === 3) adjustSaturation(sample, h * w, factor);
        }
      }
    },
  };
}

/** x ← clamp(f·x + (1−f)·m): brightness is m = 0, contrast m = the mean gray level. */
function blend(x: Float32Array, f: number, m: number): void {
  const offset = (1 - f) * m;
  for (let i = 0; i < x.length; i++) x[i] = clamp01(f * (x[i] as number) + offset);
}

/** The mean of the luma image for 3 channels; the mean of all values otherwise (1 channel: torchvision). */
function meanGray(x: Float32Array, channels: number, plane: number): number {
  let sum = 0;
  if (channels === 3) {
    for (let p = 0; p < plane; p++) sum += LUMA[0] * (x[p] as number) + LUMA[1] * (x[p + plane] as number) + LUMA[2] * (x[p + 2 * plane] as number);
    return sum / plane;
  }
  for (let i = 0; i < x.length; i++) sum += x[i] as number;
  return sum / x.length;
}

function adjustSaturation(x: Float32Array, plane: number, f: number): void {
  for (let p = 0; p < plane; p++) {
    const r = x[p] as number, g = x[p + plane] as number, b = x[p + 2 * plane] as number;
    const gray = (1 - f) * (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b);
    x[p] = clamp01(f * r + gray);
    x[p + plane] = clamp01(f * g + gray);
    x[p + 2 * plane] = clamp01(f * b + gray);
  }
}

/** Rotates the hue by `shift` turns through HSV (torchvision `adjust_hue`). */
function adjustHue(x: Float32Array, plane: number, shift: number): void {
  for (let p = 0; p < plane; p++) {
    const r = x[p] as number, g = x[p + plane] as number, b = x[p + 2 * plane] as number;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const chroma = max - min;
    if (chroma === 0) continue; // gray pixels have no hue
    let hue: number;
    if (max === r) hue = ((g - b) / chroma) % 6;
    else if (max === g) hue = (b - r) / chroma + 2;
    else hue = (r - g) / chroma + 4;
    hue = (((hue / 6 + shift) % 1) + 1) % 1;
    const sat = chroma / max;
    // HSV → RGB with value = max
    const h6 = hue * 6;
    const sector = Math.floor(h6) % 6;
    const frac = h6 - Math.floor(h6);
    const pv = max * (1 - sat), qv = max * (1 - sat * frac), tv = max * (1 - sat * (1 - frac));
    const rgb = [
      [max, tv, pv],
      [qv, max, pv],
      [pv, max, tv],
      [pv, qv, max],
      [tv, pv, max],
      [max, pv, qv],
    ][sector] as number[];
    x[p] = clamp01(rgb[0] as number);
    x[p + plane] = clamp01(rgb[1] as number);
    x[p + 2 * plane] = clamp01(rgb[2] as number);
  }
}

export interface RandomGrayscaleOptions {
  /** Chance of converting a sample to gray. Default 0.2 (SimCLR appendix A, BYOL table 6, MoCo v2). */
  probability?: number;
}

/** Replaces the 3 channels by their luma (torchvision `RandomGrayscale`); other channel counts are left as they are. */
export function randomGrayscale(options: RandomGrayscaleOptions = {}): PixelTransform {
  const { probability = 0.2 } = options;
  checkProbability("randomGrayscale", "probability", probability);
  return {
    kind: "pixel",
    name: "randomGrayscale",
    options: { probability },
    applyInPlace(images: Float32Array, shape: ImageShape, rng: Rng): void {
      checkBatch("randomGrayscale", images, shape);
      const [n, channels, h, w] = shape;
      const plane = h * w;
      for (let s = 0; s < n; s++) {
        if (!(rng.uniform() < probability) || channels !== 3) continue;
        const o = s * 3 * plane;
        for (let p = o; p < o + plane; p++) {
          const gray = LUMA[0] * (images[p] as number) + LUMA[1] * (images[p + plane] as number) + LUMA[2] * (images[p + 2 * plane] as number);
          images[p] = images[p + plane] = images[p + 2 * plane] = clamp01(gray);
        }
      }
    },
  };
}

export interface SolarizeOptions {
  /** Values at or above it are inverted (x → 1 − x). Default 0.5 (BYOL's solarization on [0, 1] images). */
  threshold?: number;
  /** Chance of solarizing a sample. Default 0.2 (BYOL table 6, second view; 0 for the first). */
  probability?: number;
}

/** Solarization (BYOL): inverts the values above `threshold`, per sample with `probability`. */
export function solarize(options: SolarizeOptions = {}): PixelTransform {
  const { threshold = 0.5, probability = 0.2 } = options;
  if (!Number.isFinite(threshold)) throw new Error(`solarize: threshold must be finite, got ${threshold}`);
  checkProbability("solarize", "probability", probability);
  return {
    kind: "pixel",
    name: "solarize",
    options: { threshold, probability },
    applyInPlace(images: Float32Array, shape: ImageShape, rng: Rng): void {
      checkBatch("solarize", images, shape);
      const [n, c, h, w] = shape;
      const size = c * h * w;
      for (let s = 0; s < n; s++) {
        if (!(rng.uniform() < probability)) continue;
        for (let i = s * size; i < (s + 1) * size; i++) {
          const v = images[i] as number;
          if (v >= threshold) images[i] = clamp01(1 - v);
        }
      }
    },
  };
}

export interface GaussianNoiseOptions {
  /** Standard deviation of the added noise. Default 0.1 (the PyTorch SimCLR-MNIST anchor). */
  std?: number;
  /** Chance of adding noise to a sample. Default 1 (the anchor). */
  probability?: number;
}

/** Adds N(0, std²) to every value and clamps to [0, 1], per sample with `probability`. */
export function gaussianNoise(options: GaussianNoiseOptions = {}): PixelTransform {
  const { std = 0.1, probability = 1 } = options;
  if (!(std >= 0 && Number.isFinite(std))) throw new Error(`gaussianNoise: std must be a finite number ≥ 0, got ${std}`);
  checkProbability("gaussianNoise", "probability", probability);
  return {
    kind: "pixel",
    name: "gaussianNoise",
    options: { std, probability },
    applyInPlace(images: Float32Array, shape: ImageShape, rng: Rng): void {
      checkBatch("gaussianNoise", images, shape);
      const [n, c, h, w] = shape;
      const size = c * h * w;
      for (let s = 0; s < n; s++) {
        if (!(rng.uniform() < probability)) continue;
        addNormalNoise(images, s * size, (s + 1) * size, std, rng);
      }
    },
  };
}

/** x[i] ← clamp(x[i] + std·z) for i in [start, end), z standard normal (ziggurat: see ziggurat.ts). */
function addNormalNoise(x: Float32Array, start: number, end: number, std: number, rng: Rng): void {
  for (let i = start; i < end; i++) x[i] = clamp01((x[i] as number) + std * normalZiggurat(rng));
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

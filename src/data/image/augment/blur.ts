import type { Rng } from "../../../random/rng.js";
import { clamp01 } from "./intensity.js";
import { type ImageShape, type PixelTransform, type Range, checkBatch, checkProbability, checkRange } from "./transform.js";

export interface GaussianBlurOptions {
  /**
   * Kernel size as a fraction of the image's height/width, rounded down to an odd size ≥ 3.
   * Default 0.1 (SimCLR appendix A: "10% of the image height/width"; 224 → 23, BYOL's kernel; 28 → 3).
   */
  kernelSizeFraction?: number;
  /**
   * Range of σ in pixels. Default [0.1, 2.0] (SimCLR, BYOL, MoCo v2). NOTE: at 28×28 the 3-pixel
   * kernel truncates the larger σ, which caps the blur near a 3×3 box filter.
   */
  sigma?: Range;
  /** Chance of blurring a sample. Default 0.5 (SimCLR on ImageNet, MoCo v2; BYOL uses 1.0 and 0.1 for its two views). */
  probability?: number;
}

/** The odd kernel size `kernelSizeFraction · size` rounds down to, at least 3. */
export function blurKernelSize(fraction: number, size: number): number {
  return Math.max(3, 2 * Math.floor((fraction * size) / 2) + 1);
}

/**
 * Gaussian blur with a σ drawn per sample, separable, reflect padding (torchvision `GaussianBlur`:
 * weights exp(−x²/2σ²) on x = −k/2..k/2, normalized to sum 1). Per sample with `probability`.
 */
export function gaussianBlur(options: GaussianBlurOptions = {}): PixelTransform {
  const where = "gaussianBlur";
  const { kernelSizeFraction = 0.1, sigma = [0.1, 2.0], probability = 0.5 } = options;
  if (!(kernelSizeFraction > 0 && kernelSizeFraction <= 1)) throw new Error(`${where}: kernelSizeFraction must be in (0, 1], got ${kernelSizeFraction}`);
  checkRange(where, "sigma", sigma, 0);
  if (!(sigma[0] > 0)) throw new Error(`${where}: sigma must be above 0, got [${sigma.join(", ")}]`);
  checkProbability(where, "probability", probability);
  return {
    kind: "pixel",
    name: where,
    options: { kernelSizeFraction, sigma, probability },
    applyInPlace(images: Float32Array, shape: ImageShape, rng: Rng): void {
      checkBatch(where, images, shape);
      const [n, channels, h, w] = shape;
      const kx = blurKernelSize(kernelSizeFraction, w);
      const ky = blurKernelSize(kernelSizeFraction, h);
      const rowIndex = reflectTable(w, kx >> 1);
      const colIndex = reflectTable(h, ky >> 1);
      const plane = h * w;
      const tmp = new Float32Array(plane);
      const weightsX = new Float64Array(kx);
      const weightsY = new Float64Array(ky);
      for (let s = 0; s < n; s++) {
        if (!(rng.uniform() < probability)) continue;
        const sd = rng.uniformIn(sigma[0], sigma[1]);
        gaussianWeights(weightsX, sd);
        gaussianWeights(weightsY, sd);
        for (let ch = 0; ch < channels; ch++) {
          const base = (s * channels + ch) * plane;
          // Horizontal pass into tmp, then vertical pass back into the image.
          for (let i = 0; i < h; i++) {
            const row = base + i * w;
            for (let j = 0; j < w; j++) {
              let acc = 0;
              for (let t = 0; t < kx; t++) acc += (weightsX[t] as number) * (images[row + (rowIndex[j + t] as number)] as number);
              tmp[i * w + j] = acc;
            }
          }
          for (let i = 0; i < h; i++) {
            for (let j = 0; j < w; j++) {
              let acc = 0;
              for (let t = 0; t < ky; t++) acc += (weightsY[t] as number) * (tmp[(colIndex[i + t] as number) * w + j] as number);
              // NOTE: a convex combination of [0, 1] values; the clamp only absorbs rounding.
              images[base + i * w + j] = clamp01(acc);
            }
          }
        }
      }
    },
  };
}

/** Normalized exp(−x²/2σ²) for x = −(k−1)/2 … (k−1)/2. */
function gaussianWeights(out: Float64Array, sigma: number): void {
  const half = (out.length - 1) / 2;
  let sum = 0;
  for (let t = 0; t < out.length; t++) {
    const x = t - half;
    out[t] = Math.exp(-(x * x) / (2 * sigma * sigma));
    sum += out[t] as number;
  }
  for (let t = 0; t < out.length; t++) out[t] = (out[t] as number) / sum;
}

/** Source index of padded position p (0 ≤ p < size + 2·pad) under reflect padding (…2 1 | 0 1 2 … n−1 | n−2 …). */
function reflectTable(size: number, pad: number): Int32Array {
  const table = new Int32Array(size + 2 * pad);
  const period = Math.max(1, 2 * (size - 1));
  for (let p = 0; p < table.length; p++) {
    let i = (((p - pad) % period) + period) % period;
    if (i >= size) i = period - i;
    table[p] = size === 1 ? 0 : i;
  }
  return table;
}

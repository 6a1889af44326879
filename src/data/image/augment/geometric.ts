import type { Rng } from "../../../random/rng.js";
import {
  type GeometricTransform,
  type ImageShape,
  type Range,
  checkBatch,
  checkProbability,
  checkRange,
  symmetricRange,
} from "./transform.js";

const RADIANS = Math.PI / 180;

export interface RandomResizedCropOptions {
  /**
   * Range of the crop's area as a fraction of the image. Default [0.08, 1]: torchvision's
   * RandomResizedCrop, used by SimCLR (appendix A), BYOL (table 6) and MoCo v2 at 224×224.
   * At 28×28 a 0.08 crop is an 8-pixel patch of a stroke; the MNIST presets use [0.5, 1].
   */
  scale?: Range;
  /** Range of the crop's aspect ratio (width / height), drawn log-uniformly. Default [3/4, 4/3] (same papers). */
  ratio?: Range;
  /**
   * Rotation of the crop window about its center, degrees; a number d means [-d, d]. Default 0.
   * Rotating and shearing the window rather than the output is what the PyTorch anchor does
   * (one affine_grid per sample: the window's center is drawn in the upright image).
   */
  rotationDegrees?: number | Range;
  /** Shear of the crop window along x, degrees (a number d means [-d, d]). Default 0. */
  shearDegrees?: number | Range;
}

/**
 * Random resized crop: a window of random area and aspect ratio, placed uniformly inside the
 * image, resampled bilinearly to the full image size (torchvision `RandomResizedCrop`, SimCLR's
 * main augmentation). Per sample, in normalized coordinates (the anchor's `augment`):
 * `w = min(1, √(area·ratio·H/W))`, `h = min(1, √(area/ratio·W/H))`, center `c ~ U(±(1−w), ±(1−h))`,
 * input = R(θ)·Shear(t)·diag(w, h)·output + c.
 * NOTE: a window that does not fit is clamped to the image (the anchor's `clamp(max=1)`) where
 * torchvision retries ten times and falls back to a center crop; with scale ≤ 1 and ratios near 1
 * the two agree.
 */
export function randomResizedCrop(options: RandomResizedCropOptions = {}): GeometricTransform {
  const { scale = [0.08, 1], ratio = [3 / 4, 4 / 3] } = options;
  const rotation = symmetricRange(options.rotationDegrees ?? 0);
  const shear = symmetricRange(options.shearDegrees ?? 0);
  const where = "randomResizedCrop";
  checkRange(where, "scale", scale, 0, 1);
  if (!(scale[0] > 0)) throw new Error(`${where}: scale must be above 0, got [${scale.join(", ")}]`);
  checkRange(where, "ratio", ratio, 0);
  if (!(ratio[0] > 0)) throw new Error(`${where}: ratio must be above 0, got [${ratio.join(", ")}]`);
  checkRange(where, "rotationDegrees", rotation, -360, 360);
  checkRange(where, "shearDegrees", shear, -89, 89);
  const logRatio: Range = [Math.log(ratio[0]), Math.log(ratio[1])];
  return {
    kind: "geometric",
    name: where,
    options: { scale, ratio, rotationDegrees: rotation, shearDegrees: shear },
    sampleMaps([n, , h, w]: ImageShape, rng: Rng): Float64Array {
      const maps = new Float64Array(6 * n);
      for (let s = 0; s < n; s++) {
        const area = rng.uniformIn(scale[0], scale[1]);
        const r = Math.exp(rng.uniformIn(logRatio[0], logRatio[1]));
        const cropW = Math.min(1, Math.sqrt((area * r * h) / w));
        const cropH = Math.min(1, Math.sqrt(((area / r) * w) / h));
        const cx = (rng.uniform() * 2 - 1) * (1 - cropW);
        const cy = (rng.uniform() * 2 - 1) * (1 - cropH);
        const theta = rng.uniformIn(rotation[0], rotation[1]) * RADIANS;
        const t = Math.tan(rng.uniformIn(shear[0], shear[1]) * RADIANS);
        const cos = Math.cos(theta);
        const sin = Math.sin(theta);
        maps.set([cos * cropW, (cos * t - sin) * cropH, (cx * w) / 2, sin * cropW, (sin * t + cos) * cropH, (cy * h) / 2], 6 * s);
      }
      return maps;
    },
  };
}

export interface RandomHorizontalFlipOptions {
  /** Chance of flipping a sample. Default 0.5 (torchvision; SimCLR, BYOL, MoCo v2). Digits should not be flipped. */
  probability?: number;
}

/** Mirrors each sample left–right with probability `probability` (exact: no interpolation). */
export function randomHorizontalFlip(options: RandomHorizontalFlipOptions = {}): GeometricTransform {
  const { probability = 0.5 } = options;
  checkProbability("randomHorizontalFlip", "probability", probability);
  return {
    kind: "geometric",
    name: "randomHorizontalFlip",
    options: { probability },
    sampleMaps([n]: ImageShape, rng: Rng): Float64Array {
      const maps = new Float64Array(6 * n);
      for (let s = 0; s < n; s++) maps.set([rng.uniform() < probability ? -1 : 1, 0, 0, 0, 1, 0], 6 * s);
      return maps;
    },
  };
}

export interface RandomAffineOptions {
  /** Rotation, degrees, counter-clockwise positive; a number d means [-d, d]. Default 0. */
  degrees?: number | Range;
  /** Largest shift as fractions of `[width, height]`; shifts are drawn from ±that. Default [0, 0]. */
  translate?: readonly [number, number];
  /** Zoom factor range (above 1 enlarges the content). Default [1, 1]. */
  scale?: Range;
  /** Shear along x, degrees (a number d means [-d, d]). Default 0. */
  shearDegrees?: number | Range;
  /** Shear along y, degrees. Default 0. */
  shearYDegrees?: number | Range;
  /** Chance of transforming a sample (torchvision's RandomApply). Default 1. */
  probability?: number;
}

/**
 * Random affine transform about the image center (torchvision `RandomAffine`): the content is
 * mapped by `T·R(θ)·S·Shear`, so the sampling map is its inverse. Translation is drawn per axis
 * from ±translate·size in pixels.
 */
export function randomAffine(options: RandomAffineOptions = {}): GeometricTransform {
  const where = "randomAffine";
  const degrees = symmetricRange(options.degrees ?? 0);
  const [maxTx, maxTy] = options.translate ?? [0, 0];
  const scale = options.scale ?? [1, 1];
  const shearX = symmetricRange(options.shearDegrees ?? 0);
  const shearY = symmetricRange(options.shearYDegrees ?? 0);
  const probability = options.probability ?? 1;
  checkRange(where, "degrees", degrees, -360, 360);
  checkRange(where, "translate", [Math.min(maxTx, maxTy), Math.max(maxTx, maxTy)], 0, 1);
  checkRange(where, "scale", scale, 0);
  if (!(scale[0] > 0)) throw new Error(`${where}: scale must be above 0, got [${scale.join(", ")}]`);
  checkRange(where, "shearDegrees", shearX, -89, 89);
  checkRange(where, "shearYDegrees", shearY, -89, 89);
  checkProbability(where, "probability", probability);
  return {
    kind: "geometric",
    name: where,
    options: { degrees, translate: [maxTx, maxTy], scale, shearDegrees: shearX, shearYDegrees: shearY, probability },
    sampleMaps([n, , h, w]: ImageShape, rng: Rng): Float64Array {
      const maps = new Float64Array(6 * n);
      for (let s = 0; s < n; s++) {
        if (!(rng.uniform() < probability)) {
          maps.set([1, 0, 0, 0, 1, 0], 6 * s);
          continue;
        }
        const theta = rng.uniformIn(degrees[0], degrees[1]) * RADIANS;
        const tx = rng.uniformIn(-maxTx, maxTx) * w;
        const ty = rng.uniformIn(-maxTy, maxTy) * h;
        const zoom = rng.uniformIn(scale[0], scale[1]);
        const kx = Math.tan(rng.uniformIn(shearX[0], shearX[1]) * RADIANS);
        const ky = Math.tan(rng.uniformIn(shearY[0], shearY[1]) * RADIANS);
        const cos = Math.cos(theta);
        const sin = Math.sin(theta);
        // Forward content map L = R·zoom·[[1, kx], [ky, 1]], with R the on-screen counter-clockwise
        // rotation [[cos, sin], [−sin, cos]] (y points down); sampling uses L⁻¹ and −L⁻¹·T.
        const l00 = zoom * (cos + sin * ky);
        const l01 = zoom * (cos * kx + sin);
        const l10 = zoom * (-sin + cos * ky);
        const l11 = zoom * (-sin * kx + cos);
        const det = l00 * l11 - l01 * l10;
        if (Math.abs(det) < 1e-12) throw new Error(`${where}: a drawn transform is singular (shear ${kx}, ${ky})`);
        const a = l11 / det;
        const b = -l01 / det;
        const c = -l10 / det;
        const d = l00 / det;
        maps.set([a, b, -(a * tx + b * ty), c, d, -(c * tx + d * ty)], 6 * s);
      }
      return maps;
    },
  };
}

/** Per-sample composition `first ∘ second` (apply `first`'s transform to the image, then `second`'s). */
export function composeMaps(first: Float64Array, second: Float64Array): Float64Array {
  // Image after both = I(first(second(p))): the sampling maps multiply in pipeline order.
  const out = new Float64Array(first.length);
  for (let o = 0; o < first.length; o += 6) {
    const a1 = first[o] as number, b1 = first[o + 1] as number, t1 = first[o + 2] as number;
    const c1 = first[o + 3] as number, d1 = first[o + 4] as number, u1 = first[o + 5] as number;
    const a2 = second[o] as number, b2 = second[o + 1] as number, t2 = second[o + 2] as number;
    const c2 = second[o + 3] as number, d2 = second[o + 4] as number, u2 = second[o + 5] as number;
    out[o] = a1 * a2 + b1 * c2;
    out[o + 1] = a1 * b2 + b1 * d2;
    out[o + 2] = a1 * t2 + b1 * u2 + t1;
    out[o + 3] = c1 * a2 + d1 * c2;
    out[o + 4] = c1 * b2 + d1 * d2;
    out[o + 5] = c1 * t2 + d1 * u2 + u1;
  }
  return out;
}

/**
 * Resamples every sample of `src` through its map into a new array: bilinear interpolation,
 * zeros outside the image, pixel centers at half-integers — `grid_sample(mode='bilinear',
 * padding_mode='zeros', align_corners=False)` on `affine_grid` of the same map. Identity and
 * exact mirror maps are copied, so they reproduce the input bit for bit.
 */
export function resampleAffine(src: Float32Array, shape: ImageShape, maps: Float64Array): Float32Array {
  checkBatch("resampleAffine", src, shape);
  const [n, channels, h, w] = shape;
  if (maps.length !== 6 * n) throw new Error(`resampleAffine: ${maps.length} map values for ${n} samples (need ${6 * n})`);
  const plane = h * w;
  const dst = new Float32Array(src.length);
  for (let s = 0; s < n; s++) {
    const o = 6 * s;
    const a = maps[o] as number, b = maps[o + 1] as number, tx = maps[o + 2] as number;
    const c = maps[o + 3] as number, d = maps[o + 4] as number, ty = maps[o + 5] as number;
    const base = s * channels * plane;
    if (b === 0 && c === 0 && tx === 0 && ty === 0 && d === 1 && (a === 1 || a === -1)) {
      if (a === 1) dst.set(src.subarray(base, base + channels * plane), base);
      else mirror(src, dst, base, channels * h, w);
      continue;
    }
    // Input pixel coordinates as a linear function of the output row i and column j:
    // x = a·j + b·i + ex, with centered coordinates X = j + ½ − W/2 and x = X + W/2 − ½.
    const ex = a * (0.5 - w / 2) + b * (0.5 - h / 2) + tx + w / 2 - 0.5;
    const ey = c * (0.5 - w / 2) + d * (0.5 - h / 2) + ty + h / 2 - 0.5;
    for (let i = 0; i < h; i++) {
      let x = b * i + ex;
      let y = d * i + ey;
      let out = base + i * w;
      for (let j = 0; j < w; j++, x += a, y += c, out++) {
        const x0 = Math.floor(x);
        const y0 = Math.floor(y);
        if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) continue; // all four neighbours are padding
        const fx = x - x0;
        const fy = y - y0;
        const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
        const at = base + y0 * w + x0;
        if (x0 >= 0 && y0 >= 0 && x0 < w - 1 && y0 < h - 1) {
          for (let ch = 0, p = at; ch < channels; ch++, p += plane) {
            dst[out + ch * plane] =
              w00 * (src[p] as number) + w01 * (src[p + 1] as number) + w10 * (src[p + w] as number) + w11 * (src[p + w + 1] as number);
          }
          continue;
        }
        // Border: neighbours outside the image count as zero.
        const inX0 = x0 >= 0, inX1 = x0 + 1 < w, inY0 = y0 >= 0, inY1 = y0 + 1 < h;
        for (let ch = 0, p = at; ch < channels; ch++, p += plane) {
          let v = 0;
          if (inY0 && inX0) v += w00 * (src[p] as number);
          if (inY0 && inX1) v += w01 * (src[p + 1] as number);
          if (inY1 && inX0) v += w10 * (src[p + w] as number);
          if (inY1 && inX1) v += w11 * (src[p + w + 1] as number);
          dst[out + ch * plane] = v;
        }
      }
    }
  }
  return dst;
}

/** Copies `rows` rows of width `w` starting at `base`, each reversed. */
function mirror(src: Float32Array, dst: Float32Array, base: number, rows: number, w: number): void {
  for (let r = 0; r < rows; r++) {
    const row = base + r * w;
    for (let j = 0; j < w; j++) dst[row + j] = src[row + w - 1 - j] as number;
  }
}

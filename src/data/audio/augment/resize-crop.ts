import type { Rng } from "../../../random/rng.js";
import { type Range, type Spectrogram, type SpectrogramTransform, checkInteger, checkRange, checkSpectrogram } from "./transform.js";

/** How a crop is resized: PyTorch's `interpolate(mode=…, align_corners=True)`. */
export type ResizeInterpolation = "bicubic" | "bilinear";

/** A rectangle of a clip: bands `top … top + height − 1`, frames `left … left + width − 1`; parts outside the clip read 0. */
export interface CropWindow {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** PyTorch's bicubic coefficient (Keys' cubic convolution with a = −0.75). */
const CUBIC_A = -0.75;

/**
 * Per output index, the input indices and weights of a 1-D resize from `inSize` to `outSize`
 * with `align_corners=True` (the first and last samples of both grids coincide: input position
 * `o · (in − 1)/(out − 1)`), neighbours clamped at the edges as PyTorch does.
 */
function resizeTaps(inSize: number, outSize: number, mode: ResizeInterpolation): { index: Int32Array; weight: Float64Array; taps: number } {
  const taps = mode === "bicubic" ? 4 : 2;
  const index = new Int32Array(outSize * taps);
  const weight = new Float64Array(outSize * taps);
  const scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  const clamp = (i: number): number => (i < 0 ? 0 : i >= inSize ? inSize - 1 : i);
  for (let o = 0; o < outSize; o++) {
    const x = scale * o;
    const i0 = Math.floor(x);
    const t = x - i0;
    const at = o * taps;
    if (mode === "bilinear") {
      index[at] = clamp(i0);
      index[at + 1] = clamp(i0 + 1);
      weight[at] = 1 - t;
      weight[at + 1] = t;
      continue;
    }
    const a = CUBIC_A;
    const near = (d: number): number => ((a + 2) * d - (a + 3)) * d * d + 1; // |d| ≤ 1
    const far = (d: number): number => ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; // 1 < |d| < 2
    const w = [far(t + 1), near(t), near(1 - t), far(2 - t)];
    for (let k = 0; k < 4; k++) {
      index[at + k] = clamp(i0 - 1 + k);
      weight[at + k] = w[k] as number;
    }
  }
  return { index, weight, taps };
}

/**
 * Resizes `[mels, frames]` to `[outMels, outFrames]`, separably: time first, then frequency
 * (`F.interpolate(x, size, mode, align_corners=True)`, the same sums in another order).
 */
export function resizeSpectrogram(clip: Spectrogram, outMels: number, outFrames: number, interpolation: ResizeInterpolation = "bicubic"): Spectrogram {
  checkSpectrogram("resizeSpectrogram", clip);
  checkInteger("resizeSpectrogram", "outMels", outMels, 1);
  checkInteger("resizeSpectrogram", "outFrames", outFrames, 1);
  if (interpolation !== "bicubic" && interpolation !== "bilinear") throw new Error(`resizeSpectrogram: interpolation must be "bicubic" or "bilinear", got ${String(interpolation)}`);
  const { data, mels, frames } = clip;
  const time = resizeTaps(frames, outFrames, interpolation);
  const wide = new Float64Array(mels * outFrames);
  for (let m = 0; m < mels; m++) {
    const row = m * frames;
    for (let o = 0; o < outFrames; o++) {
      let v = 0;
      for (let k = o * time.taps; k < (o + 1) * time.taps; k++) v += (time.weight[k] as number) * (data[row + (time.index[k] as number)] as number);
      wide[m * outFrames + o] = v;
    }
  }
  const freq = resizeTaps(mels, outMels, interpolation);
  const out = new Float32Array(outMels * outFrames);
  for (let o = 0; o < outMels; o++) {
    for (let k = o * freq.taps; k < (o + 1) * freq.taps; k++) {
      const w = freq.weight[k] as number;
      if (w === 0) continue;
      const src = (freq.index[k] as number) * outFrames;
      for (let t = 0; t < outFrames; t++) out[o * outFrames + t] = (out[o * outFrames + t] as number) + w * (wide[src + t] as number);
    }
  }
  return { data: out, mels: outMels, frames: outFrames };
}

/** The window of `clip` (zeros outside it), resized to `[outMels, outFrames]`. */
export function resizeCrop(clip: Spectrogram, window: CropWindow, outMels: number, outFrames: number, interpolation: ResizeInterpolation = "bicubic"): Spectrogram {
  checkSpectrogram("resizeCrop", clip);
  const { top, left, height, width } = window;
  checkInteger("resizeCrop", "window height", height, 1);
  checkInteger("resizeCrop", "window width", width, 1);
  checkInteger("resizeCrop", "window top", top, -Infinity);
  checkInteger("resizeCrop", "window left", left, -Infinity);
  const { data, mels, frames } = clip;
  const crop = new Float32Array(height * width);
  const t0 = Math.max(0, left);
  const t1 = Math.min(frames, left + width);
  for (let r = 0; r < height; r++) {
    const m = top + r;
    if (m < 0 || m >= mels || t1 <= t0) continue;
    crop.set(data.subarray(m * frames + t0, m * frames + t1), r * width + t0 - left);
  }
  return resizeSpectrogram({ data: crop, mels: height, frames: width }, outMels, outFrames, interpolation);
}

export interface RandomResizeCropOptions {
  /**
   * The canvas the crop is drawn from, `[frequency, time]` as multiples of the clip's size, the
   * clip at its center and zeros around it. Default [1.0, 1.5] (BYOL-A, Niizumi et al. 2021, and
   * their code): crops may reach half a clip of silence beyond the clip in time, none in frequency.
   */
  virtualCropScale?: readonly [number, number];
  /** Crop height as a multiple of the clip's bands, drawn uniformly, clamped to the canvas. Default [0.6, 1.5] (BYOL-A). */
  frequencyScale?: Range;
  /** Crop width as a multiple of the clip's frames, drawn uniformly, clamped to the canvas. Default [0.6, 1.5] (BYOL-A). */
  timeScale?: Range;
  /**
   * Default `bicubic`, BYOL-A's code (`F.interpolate(..., mode='bicubic', align_corners=True)`);
   * `bilinear` smooths more and never overshoots the crop's range.
   */
  interpolation?: ResizeInterpolation;
  /** Frames of the output. Default: the clip's own (BYOL-A resizes back to the input size). */
  outFrames?: number;
}

/**
 * BYOL-A's random resize crop on a log-mel spectrogram: a crop of random height and width, placed
 * uniformly on a canvas around the clip, resized back to the clip's size. Stretching the crop in
 * frequency moves harmonics across bands (a pitch change, approximately, on a mel axis) and in
 * time changes the tempo, so this is the speed and pitch perturbation of the spectrogram domain.
 * Draw order per clip, as their `get_params`: height, width, top, left.
 */
export function randomResizeCrop(options: RandomResizeCropOptions = {}): SpectrogramTransform {
  const { virtualCropScale = [1.0, 1.5], frequencyScale = [0.6, 1.5], timeScale = [0.6, 1.5], interpolation = "bicubic", outFrames } = options;
  const where = "randomResizeCrop";
  checkRange(where, "virtualCropScale", [Math.min(...virtualCropScale), Math.max(...virtualCropScale)], 1);
  checkRange(where, "frequencyScale", frequencyScale, 0);
  checkRange(where, "timeScale", timeScale, 0);
  if (interpolation !== "bicubic" && interpolation !== "bilinear") throw new Error(`${where}: interpolation must be "bicubic" or "bilinear", got ${String(interpolation)}`);
  if (outFrames !== undefined) checkInteger(where, "outFrames", outFrames, 1);
  return {
    kind: "spectrogram",
    name: where,
    options: { virtualCropScale, frequencyScale, timeScale, interpolation, outFrames: outFrames ?? "input" },
    apply(clip: Spectrogram, rng: Rng) {
      checkSpectrogram(where, clip);
      const { mels, frames } = clip;
      const canvasH = Math.floor(mels * virtualCropScale[0]);
      const canvasW = Math.floor(frames * virtualCropScale[1]);
      const height = Math.min(canvasH, Math.max(1, Math.floor(rng.uniformIn(frequencyScale[0], frequencyScale[1]) * mels)));
      const width = Math.min(canvasW, Math.max(1, Math.floor(rng.uniformIn(timeScale[0], timeScale[1]) * frames)));
      const i = canvasH > height ? rng.int(canvasH - height + 1) : 0;
      const j = canvasW > width ? rng.int(canvasW - width + 1) : 0;
      // The clip sits at the canvas's center, offset as in their code ((canvas − size) // 2).
      const window = { top: i - Math.floor((canvasH - mels) / 2), left: j - Math.floor((canvasW - frames) / 2), height, width };
      return resizeCrop(clip, window, mels, outFrames ?? frames, interpolation);
    },
  };
}

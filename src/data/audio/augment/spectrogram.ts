import type { Rng } from "../../../random/rng.js";
import {
  type Range,
  type Spectrogram,
  type SpectrogramTransform,
  checkInteger,
  checkRange,
  checkSpectrogram,
  mean,
} from "./transform.js";

// Log-mel augmentations of one clip's [mels, frames] spectrogram (natural logs of mel power,
// possibly normalized). As for waveforms, each random transform draws its parameters and calls an
// exported pure function of them.

/**
 * Frames `start … start + frames − 1` of every band, `padValue` where the window leaves the clip.
 * A negative `start` pads in front, so one function crops a long clip and places a short one.
 */
export function windowFrames(clip: Spectrogram, frames: number, start: number, padValue: number): Spectrogram {
  checkSpectrogram("windowFrames", clip);
  checkInteger("windowFrames", "frames", frames, 1);
  checkInteger("windowFrames", "start", start, -Infinity);
  const { data, mels, frames: inFrames } = clip;
  const out = new Float32Array(mels * frames).fill(padValue);
  const from = Math.max(0, start);
  const to = Math.min(inFrames, start + frames);
  if (to > from) {
    for (let m = 0; m < mels; m++) out.set(data.subarray(m * inFrames + from, m * inFrames + to), m * frames + from - start);
  }
  return { data: out, mels, frames };
}

export interface RandomTimeCropOptions {
  /** Frames of the crop. Default: the frames of the view being made (`audioViews`' `outFrames`). */
  frames?: number;
  /**
   * What a clip shorter than `frames` is padded with. Default `min`, the clip's smallest value:
   * the nearest it has to silence, whether or not it is normalized (a literal log(eps) = −15.9
   * would be far below a normalized clip's range).
   */
  padValue?: number | "min";
}

/** A window of frames at a uniformly random offset: a random segment in time (COLA's positives, BYOL-A's input crop). */
export function randomTimeCrop(options: RandomTimeCropOptions = {}): SpectrogramTransform {
  const { frames, padValue = "min" } = options;
  const where = "randomTimeCrop";
  if (frames !== undefined) checkInteger(where, "frames", frames, 1);
  if (padValue !== "min" && !Number.isFinite(padValue)) throw new Error(`${where}: padValue must be "min" or a finite number, got ${padValue}`);
  return {
    kind: "spectrogram",
    name: where,
    options: { frames: frames ?? "outFrames", padValue },
    apply(clip, rng, context) {
      const length = frames ?? context.outFrames;
      const slack = clip.frames - length;
      const start = Math.min(0, slack) + rng.int(Math.abs(slack) + 1);
      const pad = padValue === "min" ? (slack < 0 ? minimum(clip.data) : 0) : padValue;
      return windowFrames(clip, length, start, pad);
    },
  };
}

/** Natural-log units per decibel of power: `ln(10) / 10`. */
export const NATS_PER_DB = Math.LN10 / 10;

/** The clip plus a constant: a gain in the log domain. */
export function addOffset(clip: Spectrogram, offset: number): Spectrogram {
  const out = new Float32Array(clip.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (clip.data[i] as number) + offset;
  return { ...clip, data: out };
}

export interface RandomLogGainOptions {
  /** Range of the power gain in dB. Default [−18, 6], Kaldi's volume perturbation (as `randomGain` on waveforms). */
  gainDb?: Range;
  /**
   * The standard deviation the spectrograms were divided by when normalized, so that a gain of
   * g dB adds `g · ln(10)/10 / normalizationStd`. Default 1 (not normalized).
   */
  normalizationStd?: number;
}

/** A random gain on a log-mel spectrogram: adds `g · ln(10)/10` to every value (log power scales by 10^(g/10)). */
export function randomLogGain(options: RandomLogGainOptions = {}): SpectrogramTransform {
  const { gainDb = [-18, 6], normalizationStd = 1 } = options;
  checkRange("randomLogGain", "gainDb", gainDb);
  if (!(normalizationStd > 0 && Number.isFinite(normalizationStd))) throw new Error(`randomLogGain: normalizationStd must be a finite number above 0, got ${normalizationStd}`);
  return {
    kind: "spectrogram",
    name: "randomLogGain",
    options: { gainDb, normalizationStd },
    apply: (clip, rng) => addOffset(clip, (rng.uniformIn(gainDb[0], gainDb[1]) * NATS_PER_DB) / normalizationStd),
  };
}

/** Which axis a mask covers a band of. */
export type MaskAxis = "time" | "frequency";

/** The clip with frames (or mel bands) `start … start + width − 1` set to `value`. */
export function maskBand(clip: Spectrogram, axis: MaskAxis, start: number, width: number, value: number): Spectrogram {
  const { mels, frames } = clip;
  const size = axis === "time" ? frames : mels;
  checkInteger("maskBand", "width", width, 0);
  if (!(Number.isInteger(start) && start >= 0 && start + width <= size)) {
    throw new Error(`maskBand: a ${axis} mask [${start}, ${start + width}) must lie within [0, ${size})`);
  }
  const out = clip.data.slice();
  if (axis === "frequency") out.fill(value, start * frames, (start + width) * frames);
  else for (let m = 0; m < mels; m++) out.fill(value, m * frames + start, m * frames + start + width);
  return { ...clip, data: out };
}

/** What a masked value becomes: the clip's mean, or 0. */
export type MaskValue = "mean" | "zero";

export interface SpecAugmentMaskingOptions {
  /** Masks per clip. Default 2: SpecAugment's LibriSpeech-double policy (Park et al. 2019, table 1: mF = mT = 2). */
  count?: number;
  /**
   * Largest mask width (bands or frames), drawn uniformly from 0 … max (inclusive), the start so
   * that the mask lies within the clip. Defaults from the paper's LD policy: T = 100 frames (of
   * 10 ms) for time masks; F = 27 bands of 80 for frequency masks, scaled to the clip's bands
   * (round(27 · mels / 80): 22 of 64), as the image presets scale the papers' crops to 28 × 28.
   */
  maxWidth?: number;
  /**
   * Time masks only: the largest width as a fraction of the clip's frames, the paper's p = 0.2
   * ("a time mask cannot be wider than p times the number of time steps"). Default 0.2; ignored
   * for frequency masks.
   */
  maxFraction?: number;
  /**
   * Default `mean`, the clip's mean before masking. Park et al. set masked values to zero on
   * features normalized to mean zero, i.e. to the mean; on unnormalized natural-log mel power, 0
   * is log(1), a loud value, and would paint a bright stripe instead of removing information.
   */
  value?: MaskValue;
}

function masking(axis: MaskAxis, options: SpecAugmentMaskingOptions): SpectrogramTransform {
  const where = axis === "time" ? "timeMasking" : "frequencyMasking";
  const { count = 2, maxWidth, maxFraction = 0.2, value = "mean" } = options;
  checkInteger(where, "count", count, 0);
  if (maxWidth !== undefined) checkInteger(where, "maxWidth", maxWidth, 0);
  if (!(maxFraction >= 0 && maxFraction <= 1)) throw new Error(`${where}: maxFraction must be in [0, 1], got ${maxFraction}`);
  if (value !== "mean" && value !== "zero") throw new Error(`${where}: value must be "mean" or "zero", got ${String(value)}`);
  return {
    kind: "spectrogram",
    name: where,
    options: axis === "time" ? { count, maxWidth: maxWidth ?? 100, maxFraction, value } : { count, maxWidth: maxWidth ?? "27 of 80 bands", value },
    apply(clip, rng) {
      checkSpectrogram(where, clip);
      const size = axis === "time" ? clip.frames : clip.mels;
      const widest = maxWidth ?? (axis === "time" ? 100 : Math.round((27 * clip.mels) / 80));
      const limit = Math.min(widest, size, axis === "time" ? Math.floor(maxFraction * size) : size);
      const fill = value === "mean" ? mean(clip.data) : 0;
      let out: Spectrogram = { ...clip, data: clip.data.slice() };
      for (let k = 0; k < count; k++) {
        const width = rng.int(limit + 1);
        const start = rng.int(size - width + 1);
        out = maskBand(out, axis, start, width, fill);
      }
      return out;
    },
  };
}

/** SpecAugment time masking (Park et al. 2019): `count` bands of consecutive frames set to the clip's mean. */
export function timeMasking(options: SpecAugmentMaskingOptions = {}): SpectrogramTransform {
  return masking("time", options);
}

/** SpecAugment frequency masking (Park et al. 2019): `count` bands of consecutive mel channels set to the clip's mean. */
export function frequencyMasking(options: SpecAugmentMaskingOptions = {}): SpectrogramTransform {
  return masking("frequency", options);
}

/** The clip plus a linear ramp in time from `head` (first frame) to `tail` (last frame): `torch.linspace(head, tail, T)`. */
export function linearFade(clip: Spectrogram, head: number, tail: number): Spectrogram {
  checkSpectrogram("linearFade", clip);
  const { data, mels, frames } = clip;
  const step = frames > 1 ? (tail - head) / (frames - 1) : 0;
  const ramp = Float64Array.from({ length: frames }, (_, t) => head + step * t);
  const out = new Float32Array(data.length);
  for (let m = 0, i = 0; m < mels; m++) for (let t = 0; t < frames; t++, i++) out[i] = (data[i] as number) + (ramp[t] as number);
  return { data: out, mels, frames };
}

export interface RandomLinearFaderOptions {
  /**
   * The ramp's ends are drawn from U(−gain, gain), in the clip's log units. Default 1.0: BYOL-A v2
   * (Niizumi et al. 2023, `RandomLinearFader(gain=1.0)` in their code), on normalized log-mel.
   */
  gain?: number;
}

/**
 * BYOL-A v2's random linear fader: adds a linear ramp in time whose two ends are drawn
 * independently, a fade-in, fade-out or loudness tilt of the whole clip (in the log domain).
 */
export function randomLinearFader(options: RandomLinearFaderOptions = {}): SpectrogramTransform {
  const { gain = 1.0 } = options;
  if (!(gain >= 0 && Number.isFinite(gain))) throw new Error(`randomLinearFader: gain must be a finite number ≥ 0, got ${gain}`);
  return {
    kind: "spectrogram",
    name: "randomLinearFader",
    options: { gain },
    apply(clip, rng) {
      const head = rng.uniformIn(-gain, gain);
      const tail = rng.uniformIn(-gain, gain);
      return linearFade(clip, head, tail);
    },
  };
}

function minimum(values: Float32Array): number {
  let low = Infinity;
  for (let i = 0; i < values.length; i++) if ((values[i] as number) < low) low = values[i] as number;
  return low;
}

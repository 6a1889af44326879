import type { Rng } from "../../../random/rng.js";
import type { MelScale } from "../audio-features.js";
import { hzToMel, melEdgesHz } from "../mel-scale.js";
import { NATS_PER_DB } from "./spectrogram.js";
import { type Range, type Spectrogram, type SpectrogramTransform, checkRange, checkSpectrogram } from "./transform.js";

// Perturbations of who is speaking, not of what is said: the speaker's vocal tract length moves
// the formants (and the pitch) up or down the frequency axis, and the voice's (and channel's)
// spectral envelope colours every band by its own gain. Two views that differ in both leave an
// encoder only what they share, the word. NANSY (Choi et al. 2021) and ContentVec (Qian et al.
// 2022) perturb waveforms this way (formant shift, pitch randomization, a random parametric
// equalizer) to learn speaker-free content; here they act on the log-mel spectrogram directly,
// so cached features need no resynthesis.

/** Where the mel bands of a spectrogram sit: the features' band edges (BYOL-A's defaults: 60–7,800 Hz, HTK). */
export interface MelBands {
  readonly fMin: number;
  readonly fMax: number;
  readonly scale: MelScale;
}

const BYOL_A_BANDS: MelBands = { fMin: 60, fMax: 7800, scale: "htk" };

/**
 * The clip with every frequency scaled by `factor` (> 1 moves formants and harmonics up, as a
 * shorter vocal tract does): band m takes the value the clip has at `centre(m) / factor`,
 * interpolated linearly between band centres on the mel axis and held at the edge bands beyond
 * the range. VTLP (Jaitly & Hinton 2013) on mel features instead of the linear spectrum.
 */
export function warpFrequency(clip: Spectrogram, factor: number, bands: MelBands = BYOL_A_BANDS): Spectrogram {
  checkSpectrogram("warpFrequency", clip);
  if (!(factor > 0 && Number.isFinite(factor))) throw new Error(`warpFrequency: factor must be a finite number above 0, got ${factor}`);
  const { data, mels, frames } = clip;
  const edges = melEdgesHz(bands.fMin, bands.fMax, mels, bands.scale);
  const firstMel = hzToMel(edges[1] as number, bands.scale);
  const melStep = mels > 1 ? hzToMel(edges[2] as number, bands.scale) - firstMel : 1;
  const out = new Float32Array(data.length);
  for (let m = 0; m < mels; m++) {
    const source = (hzToMel((edges[m + 1] as number) / factor, bands.scale) - firstMel) / melStep;
    const at = Math.min(mels - 1, Math.max(0, source));
    const below = Math.floor(at);
    const above = Math.min(mels - 1, below + 1);
    const w = at - below;
    for (let t = 0; t < frames; t++) {
      out[m * frames + t] = (1 - w) * (data[below * frames + t] as number) + w * (data[above * frames + t] as number);
    }
  }
  return { data: out, mels, frames };
}

/** The clip with `gains[m]` (log units) added to every frame of band m: a fixed equalizer. */
export function shapeSpectrum(clip: Spectrogram, gains: Float64Array): Spectrogram {
  checkSpectrogram("shapeSpectrum", clip);
  const { data, mels, frames } = clip;
  if (gains.length !== mels) throw new Error(`shapeSpectrum: ${gains.length} gains for ${mels} bands`);
  const out = new Float32Array(data.length);
  for (let m = 0; m < mels; m++) {
    const g = gains[m] as number;
    for (let t = 0, i = m * frames; t < frames; t++, i++) out[i] = (data[i] as number) + g;
  }
  return { data: out, mels, frames };
}

export interface VoicePerturbationOptions {
  /** The frequency scale's range, drawn log-uniformly. Default [0.85, 1.18]: about ±16%, VTLP's and NANSY's formant-shift ratio range (1.4 at most) cut to what keeps vowels apart. */
  warp?: Range;
  /** The equalizer's peaks: count, and the largest gain of each in dB, drawn from U(−gainDb, gainDb). Default 4 peaks of up to 8 dB. */
  peaks?: number;
  peakGainDb?: number;
  /** The widths of the peaks in bands (the standard deviation of a Gaussian bump), drawn uniformly. Default [2, 8]. */
  peakWidth?: Range;
  /** A tilt across all bands, its two ends drawn from U(−tiltDb, tiltDb). Default 6 dB. */
  tiltDb?: number;
  /** What the spectrograms were divided by when normalized (1 if not), so that a gain in dB adds `dB · ln(10)/10 / normalizationStd`. */
  normalizationStd?: number;
  /** Where the bands sit. Default BYOL-A's features. */
  bands?: MelBands;
}

/**
 * A random voice: a frequency warp (vocal tract length) and then a random smooth equalizer
 * (spectral envelope: a tilt plus Gaussian peaks over the bands), both drawn per call.
 */
export function randomVoicePerturbation(options: VoicePerturbationOptions = {}): SpectrogramTransform {
  const where = "randomVoicePerturbation";
  const { warp = [0.85, 1.18], peaks = 4, peakGainDb = 8, peakWidth = [2, 8], tiltDb = 6, normalizationStd = 1, bands = BYOL_A_BANDS } = options;
  checkRange(where, "warp", warp);
  checkRange(where, "peakWidth", peakWidth);
  if (!(warp[0] > 0)) throw new Error(`${where}: warp must be above 0, got [${warp.join(", ")}]`);
  if (!(Number.isInteger(peaks) && peaks >= 0)) throw new Error(`${where}: peaks must be an integer ≥ 0, got ${peaks}`);
  for (const [name, value] of [["peakGainDb", peakGainDb], ["tiltDb", tiltDb]] as const) {
    if (!(value >= 0 && Number.isFinite(value))) throw new Error(`${where}: ${name} must be a finite number ≥ 0, got ${value}`);
  }
  if (!(normalizationStd > 0 && Number.isFinite(normalizationStd))) throw new Error(`${where}: normalizationStd must be a finite number above 0, got ${normalizationStd}`);
  const unit = NATS_PER_DB / normalizationStd;
  return {
    kind: "spectrogram",
    name: where,
    options: { warp, peaks, peakGainDb, peakWidth, tiltDb, normalizationStd, bands },
    apply(clip, rng) {
      const factor = Math.exp(rng.uniformIn(Math.log(warp[0]), Math.log(warp[1])));
      return shapeSpectrum(warpFrequency(clip, factor, bands), randomEnvelope(clip.mels, rng, peaks, peakGainDb * unit, peakWidth, tiltDb * unit));
    },
  };
}

function randomEnvelope(mels: number, rng: Rng, peaks: number, peakGain: number, width: Range, tilt: number): Float64Array {
  const low = rng.uniformIn(-tilt, tilt);
  const high = rng.uniformIn(-tilt, tilt);
  const gains = Float64Array.from({ length: mels }, (_, m) => low + ((high - low) * m) / Math.max(1, mels - 1));
  for (let k = 0; k < peaks; k++) {
    const gain = rng.uniformIn(-peakGain, peakGain);
    const centre = rng.uniformIn(0, mels - 1);
    const sigma = rng.uniformIn(width[0], width[1]);
    for (let m = 0; m < mels; m++) gains[m] = (gains[m] as number) + gain * Math.exp(-((m - centre) ** 2) / (2 * sigma * sigma));
  }
  return gains;
}

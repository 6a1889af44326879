import type { MelScale } from "./audio-features.js";

/** Hz → mel on the HTK scale (`2595 log10(1 + f / 700)`) or Slaney's (linear below 1 kHz, logarithmic above), as torchaudio. */
export function hzToMel(hz: number, scale: MelScale): number {
  if (scale === "htk") return 2595 * Math.log10(1 + hz / 700);
  if (hz < SLANEY_MIN_LOG_HZ) return hz / SLANEY_HZ_PER_MEL;
  return SLANEY_MIN_LOG_MEL + Math.log(hz / SLANEY_MIN_LOG_HZ) / SLANEY_LOG_STEP;
}

/** The inverse of `hzToMel`. */
export function melToHz(mel: number, scale: MelScale): number {
  if (scale === "htk") return 700 * (10 ** (mel / 2595) - 1);
  if (mel < SLANEY_MIN_LOG_MEL) return mel * SLANEY_HZ_PER_MEL;
  return SLANEY_MIN_LOG_HZ * Math.exp(SLANEY_LOG_STEP * (mel - SLANEY_MIN_LOG_MEL));
}

// Slaney's Auditory Toolbox scale, as librosa and torchaudio define it.
const SLANEY_HZ_PER_MEL = 200 / 3;
const SLANEY_MIN_LOG_HZ = 1000;
const SLANEY_MIN_LOG_MEL = SLANEY_MIN_LOG_HZ / SLANEY_HZ_PER_MEL;
const SLANEY_LOG_STEP = Math.log(6.4) / 27;

export interface MelFilterbankOptions {
  readonly sampleRate: number;
  readonly nFft: number;
  readonly mels: number;
  readonly fMin: number;
  readonly fMax: number;
  readonly scale: MelScale;
  /** "slaney" divides each triangle by its width in Hz / 2 (equal area); null keeps peaks at 1. */
  readonly norm: "slaney" | null;
}

/**
 * Triangular mel filters as torchaudio's `melscale_fbanks(nFft / 2 + 1, fMin, fMax, mels,
 * sampleRate, norm, scale)`: `[nFreqs, mels]` row-major (value (k, m) at `k * mels + m`), bin k at
 * `k · floor(sampleRate / 2) / (nFreqs − 1)` Hz, `mels + 2` edges evenly spaced in mel between
 * fMin and fMax. Computed in float64, returned as float32.
 */
export function melFilterbank(options: MelFilterbankOptions): Float32Array {
  const { sampleRate, nFft, mels, fMin, fMax, scale, norm } = options;
  if (!Number.isInteger(nFft) || nFft < 2) throw new Error(`melFilterbank: nFft must be an integer ≥ 2, got ${nFft}`);
  if (!Number.isInteger(mels) || mels < 1) throw new Error(`melFilterbank: mels must be a positive integer, got ${mels}`);
  if (!(fMin >= 0 && fMin < fMax)) throw new Error(`melFilterbank: need 0 ≤ fMin < fMax, got ${fMin}, ${fMax}`);
  const nFreqs = (nFft >> 1) + 1;
  const edges = melEdgesHz(fMin, fMax, mels, scale);
  // NOTE: torchaudio spaces the bins up to sample_rate // 2 (integer division), not sampleRate / 2.
  const top = Math.floor(sampleRate / 2);
  const out = new Float32Array(nFreqs * mels);
  for (let k = 0; k < nFreqs; k++) {
    const hz = (top * k) / (nFreqs - 1);
    for (let m = 0; m < mels; m++) {
      const lower = edges[m] as number;
      const centre = edges[m + 1] as number;
      const upper = edges[m + 2] as number;
      const rising = (hz - lower) / (centre - lower);
      const falling = (upper - hz) / (upper - centre);
      let weight = Math.max(0, Math.min(rising, falling));
      if (norm === "slaney") weight *= 2 / (upper - lower);
      out[k * mels + m] = weight;
    }
  }
  return out;
}

/** The `mels + 2` filter edges in Hz: evenly spaced in mel from fMin to fMax. */
export function melEdgesHz(fMin: number, fMax: number, mels: number, scale: MelScale): Float64Array {
  const low = hzToMel(fMin, scale);
  const high = hzToMel(fMax, scale);
  const edges = new Float64Array(mels + 2);
  for (let i = 0; i < mels + 2; i++) edges[i] = melToHz(low + ((high - low) * i) / (mels + 1), scale);
  return edges;
}

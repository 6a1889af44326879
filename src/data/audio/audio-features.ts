/**
 * What a clip's features are: the sample rate it is brought to, its fixed length, and the
 * log-mel spectrogram taken of it. One `AudioFeatures` object decides every number of the
 * pipeline (reading, resampling, fitting, featurizing, caching), so two runs with equal features
 * see equal inputs.
 */

/** Mel scale of the filterbank's centre frequencies (torchaudio's `mel_scale`). */
export type MelScale = "htk" | "slaney";

/** The log-mel features of fixed-length mono clips. */
export interface AudioFeatures {
  /** Rate every clip is resampled to, in Hz. */
  readonly sampleRate: number;
  /** FFT size (a power of two): `nFft / 2 + 1` frequency bins. */
  readonly nFft: number;
  /** Periodic Hann window length, ≤ `nFft` (centred in the FFT frame when shorter). */
  readonly winLength: number;
  /** Samples between frame starts. */
  readonly hopLength: number;
  /** Mel bands. */
  readonly mels: number;
  /** Lowest and highest filterbank edge, in Hz. */
  readonly fMin: number;
  readonly fMax: number;
  readonly melScale: MelScale;
  /** Added to the mel power before the natural log, so silence stays finite. */
  readonly logEpsilon: number;
  /** Length every clip is cropped or padded to, in seconds. */
  readonly clipSeconds: number;
}

/**
 * BYOL-A's features (Niizumi et al. 2021, `config.yaml`): 16 kHz, a 64 ms window (1024) every
 * 10 ms (160), 64 mel bands from 60 to 7,800 Hz on torchaudio's default HTK scale without
 * filter normalization, power spectrum, `(x + torch.finfo().eps).log()`, 1 s clips
 * (1 + 16000 / 160 = 101 frames with torch.stft's centred reflect padding).
 */
export const BYOL_A_FEATURES: AudioFeatures = {
  sampleRate: 16_000,
  nFft: 1024,
  winLength: 1024,
  hopLength: 160,
  mels: 64,
  fMin: 60,
  fMax: 7800,
  melScale: "htk",
  // NOTE: float32's machine epsilon, as BYOL-A: log(0 + eps) = -15.9 for digital silence.
  logEpsilon: 1.1920929e-7,
  clipSeconds: 1,
};

/** A one-line error naming the bad field when `features` cannot be computed; returns them unchanged. */
export function checkFeatures(features: AudioFeatures): AudioFeatures {
  const { sampleRate, nFft, winLength, hopLength, mels, fMin, fMax, melScale, logEpsilon, clipSeconds } = features;
  const fail = (what: string): never => {
    throw new Error(`audio features: ${what}`);
  };
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) fail(`sampleRate must be a positive integer, got ${sampleRate}`);
  if (!Number.isInteger(nFft) || nFft < 4 || (nFft & (nFft - 1)) !== 0) fail(`nFft must be a power of two ≥ 4, got ${nFft}`);
  if (!Number.isInteger(winLength) || winLength < 1 || winLength > nFft) fail(`winLength must be an integer in [1, nFft = ${nFft}], got ${winLength}`);
  if (!Number.isInteger(hopLength) || hopLength < 1) fail(`hopLength must be a positive integer, got ${hopLength}`);
  if (!Number.isInteger(mels) || mels < 1) fail(`mels must be a positive integer, got ${mels}`);
  if (!(fMin >= 0 && fMin < fMax && fMax <= sampleRate / 2)) fail(`need 0 ≤ fMin < fMax ≤ sampleRate / 2 = ${sampleRate / 2}, got fMin ${fMin}, fMax ${fMax}`);
  if (melScale !== "htk" && melScale !== "slaney") fail(`melScale must be "htk" or "slaney", got ${String(melScale)}`);
  if (!(logEpsilon > 0) || !Number.isFinite(logEpsilon)) fail(`logEpsilon must be a positive number, got ${logEpsilon}`);
  if (!(clipSeconds > 0) || !Number.isFinite(clipSeconds)) fail(`clipSeconds must be a positive number, got ${clipSeconds}`);
  if (Math.round(clipSeconds * sampleRate) < 1) fail(`a clip of ${clipSeconds} s at ${sampleRate} Hz has no samples`);
  return features;
}

/** Samples in one clip: `round(clipSeconds × sampleRate)` (16,000 for BYOL-A). */
export function clipSamples(features: AudioFeatures): number {
  return Math.round(features.clipSeconds * features.sampleRate);
}

/** STFT frames of `samples` samples with centred padding: `1 + floor(samples / hop)`. */
export function frameCount(samples: number, hopLength: number): number {
  return 1 + Math.floor(samples / hopLength);
}

/** Frames of one clip's spectrogram (101 for BYOL-A's 1 s at hop 160). */
export function clipFrames(features: AudioFeatures): number {
  return frameCount(clipSamples(features), features.hopLength);
}

/**
 * `wave` brought to exactly `clipSamples(features)` samples. A longer wave is cropped to its
 * loudest window of that length (the largest sum of squares, the earliest on ties), so a word in
 * a longer recording is kept whole wherever it sits; a shorter one is zero-padded on both sides
 * (the extra sample, if odd, on the right). Returns a new array (or `wave` itself when it already
 * has the length).
 */
export function fitClip(wave: Float32Array, features: AudioFeatures): Float32Array {
  const length = clipSamples(features);
  const n = wave.length;
  if (n === length) return wave;
  if (n < length) {
    const out = new Float32Array(length);
    out.set(wave, (length - n) >> 1);
    return out;
  }
  const start = loudestWindow(wave, length);
  return wave.slice(start, start + length);
}

/** Start of the `length`-sample window of `wave` with the most energy. */
export function loudestWindow(wave: Float32Array, length: number): number {
  // NOTE: a running sum in float64, re-summed every 2^16 steps, so the drift of adding and
  // removing squares stays far below a sample's energy even for long recordings.
  let energy = 0;
  for (let i = 0; i < length; i++) energy += (wave[i] as number) ** 2;
  let best = energy;
  let bestStart = 0;
  for (let start = 1; start + length <= wave.length; start++) {
    if ((start & 0xffff) === 0) {
      energy = 0;
      for (let i = start; i < start + length; i++) energy += (wave[i] as number) ** 2;
    } else {
      energy += (wave[start + length - 1] as number) ** 2 - (wave[start - 1] as number) ** 2;
    }
    if (energy > best * (1 + 1e-12) + 1e-30) {
      best = energy;
      bestStart = start;
    }
  }
  return bestStart;
}

/**
 * A stable string naming `features`, for caches: equal features give equal keys, and any change
 * (or a change of the featurizer's algorithm, the `v1`) gives another.
 */
export function featuresKey(features: AudioFeatures): string {
  const f = checkFeatures(features);
  return [
    "logmel-v1",
    `sr${f.sampleRate}`,
    `nfft${f.nFft}`,
    `win${f.winLength}`,
    `hop${f.hopLength}`,
    `mels${f.mels}`,
    `f${f.fMin}-${f.fMax}`,
    f.melScale,
    `eps${f.logEpsilon}`,
    `clip${f.clipSeconds}`,
  ].join("_");
}

/** One mean and one standard deviation over every value of a dataset's log-mel spectrograms (BYOL-A's normalization). */
export interface LogMelStats {
  readonly mean: number;
  readonly std: number;
}

/** The mean and (population) standard deviation of every value in `spectrograms` (one array or many). */
export function logMelStats(spectrograms: Float32Array | readonly Float32Array[]): LogMelStats {
  const parts = spectrograms instanceof Float32Array ? [spectrograms] : spectrograms;
  let count = 0;
  let sum = 0;
  for (const part of parts) {
    count += part.length;
    for (let i = 0; i < part.length; i++) sum += part[i] as number;
  }
  if (count === 0) throw new Error("logMelStats: no values");
  const mean = sum / count;
  // NOTE: two passes (mean first, then squared deviations), not E[x²] − E[x]²: log-mel values
  // sit around −5 with a spread of a few units, where the one-pass form loses digits.
  let squares = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) squares += ((part[i] as number) - mean) ** 2;
  }
  return { mean, std: Math.sqrt(squares / count) };
}

/**
 * `(x − mean) / std` of every value, into `out` (a new array by default; `values` itself to
 * normalize in place). A constant dataset (std 0) is only centred.
 */
export function normalizeLogMel(values: Float32Array, stats: LogMelStats, out: Float32Array = new Float32Array(values.length)): Float32Array {
  checkStats(stats);
  if (out.length !== values.length) throw new Error(`normalizeLogMel: out has ${out.length} values, the input ${values.length}`);
  const scale = stats.std > 0 ? 1 / stats.std : 1;
  for (let i = 0; i < values.length; i++) out[i] = ((values[i] as number) - stats.mean) * scale;
  return out;
}

/** A one-line error unless `stats` are finite numbers with std ≥ 0. */
export function checkStats(stats: LogMelStats): LogMelStats {
  if (!Number.isFinite(stats.mean) || !Number.isFinite(stats.std) || stats.std < 0) {
    throw new Error(`log-mel statistics must be a finite mean and a std ≥ 0, got mean ${stats.mean}, std ${stats.std}`);
  }
  return stats;
}

import FFT from "fft.js";
import { type AudioFeatures, checkFeatures, featuresKey, frameCount } from "./audio-features.js";
import { melFilterbank } from "./mel-scale.js";

/** A log-mel spectrogram, row-major `[mels, frames]` (value (m, t) at `m * frames + t`). */
export interface LogMelSpectrogram {
  readonly values: Float32Array;
  readonly mels: number;
  readonly frames: number;
}

/**
 * The log-mel spectrogram of `wave` (mono, at `features.sampleRate`), equal to torchaudio's
 * `MelSpectrogram(sample_rate, n_fft, win_length, hop_length, f_min, f_max, n_mels, power=2,
 * mel_scale, center=True, pad_mode="reflect", norm=None)` followed by `log(x + logEpsilon)`:
 * frames of `nFft` samples every `hopLength`, the signal reflect-padded by `nFft / 2` on both
 * sides (so frame t is centred on sample `t · hop`), a periodic Hann window of `winLength`
 * centred in the frame, |FFT|², triangular mel filters (`melFilterbank`), natural log.
 * `1 + floor(samples / hop)` frames.
 *
 * A wave shorter than `nFft / 2 + 1` samples (where torch.stft refuses to reflect) is reflected
 * again at each end, as numpy's `pad(mode="reflect")` does.
 */
export function logMelSpectrogram(wave: Float32Array, features: AudioFeatures): LogMelSpectrogram {
  return logMelExtractor(features).compute(wave);
}

/** One extractor per features (its FFT tables, window, filters and buffers), kept for reuse. */
export function logMelExtractor(features: AudioFeatures): LogMelExtractor {
  const key = featuresKey(features);
  let extractor = extractors.get(key);
  if (extractor === undefined) {
    extractor = new LogMelExtractor(features);
    if (extractors.size >= MAX_EXTRACTORS) extractors.delete(extractors.keys().next().value as string);
    extractors.set(key, extractor);
  }
  return extractor;
}

const MAX_EXTRACTORS = 8;
const extractors = new Map<string, LogMelExtractor>();

/**
 * The featurizer of one `AudioFeatures`, built once: the FFT's twiddle tables, the window, the
 * mel filters as their non-zero runs, and the frame and spectrum buffers, all reused from call
 * to call (so computing a spectrogram allocates only its output). Not reentrant: one per thread.
 */
export class LogMelExtractor {
  readonly features: AudioFeatures;
  readonly #fft: FFT;
  /** `nFft` window values: the periodic Hann of `winLength`, centred, zero elsewhere. */
  readonly #window: Float64Array;
  /** First and one-past-last non-zero window index. */
  readonly #windowStart: number;
  readonly #windowEnd: number;
  readonly #frame: Float64Array;
  readonly #spectrum: Float64Array;
  readonly #power: Float64Array;
  /** Filter m covers bins `[#filterBin[m], #filterBin[m] + #filterLength[m])` with weights from `#filterWeights[#filterOffset[m]]`. */
  readonly #filterBin: Int32Array;
  readonly #filterLength: Int32Array;
  readonly #filterOffset: Int32Array;
  readonly #filterWeights: Float64Array;
  #padded = new Float64Array(0);

  constructor(features: AudioFeatures) {
    this.features = checkFeatures(features);
    const { nFft, winLength, sampleRate, mels, fMin, fMax, melScale } = features;
    this.#fft = new FFT(nFft);
    this.#window = new Float64Array(nFft);
    this.#windowStart = (nFft - winLength) >> 1;
    this.#windowEnd = this.#windowStart + winLength;
    // periodic Hann (torch.hann_window's default): the N-point window of a period of N samples
    for (let i = 0; i < winLength; i++) this.#window[this.#windowStart + i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / winLength);
    this.#frame = new Float64Array(nFft);
    this.#spectrum = new Float64Array(2 * nFft);
    const nFreqs = (nFft >> 1) + 1;
    this.#power = new Float64Array(nFreqs);

    // Each triangle touches a few bins of the 513: keep only those (~2 multiply-adds per bin in all).
    const dense = melFilterbank({ sampleRate, nFft, mels, fMin, fMax, scale: melScale, norm: null });
    this.#filterBin = new Int32Array(mels);
    this.#filterLength = new Int32Array(mels);
    this.#filterOffset = new Int32Array(mels);
    const weights: number[] = [];
    for (let m = 0; m < mels; m++) {
      let first = -1;
      let last = -1;
      for (let k = 0; k < nFreqs; k++) {
        if ((dense[k * mels + m] as number) > 0) {
          if (first < 0) first = k;
          last = k;
        }
      }
      this.#filterOffset[m] = weights.length;
      if (first < 0) continue; // a band narrower than a bin: all zero, as torchaudio's (which warns)
      this.#filterBin[m] = first;
      this.#filterLength[m] = last - first + 1;
      for (let k = first; k <= last; k++) weights.push(dense[k * mels + m] as number);
    }
    this.#filterWeights = Float64Array.from(weights);
  }

  get mels(): number {
    return this.features.mels;
  }

  /** Frames of a wave of `samples` samples. */
  frames(samples: number): number {
    return frameCount(samples, this.features.hopLength);
  }

  /** The log-mel spectrogram of `wave`, into `out` (`mels × frames` values) when given. */
  compute(wave: Float32Array, out?: Float32Array): LogMelSpectrogram {
    const { nFft, hopLength, mels, logEpsilon } = this.features;
    if (wave.length === 0) throw new Error("logMelSpectrogram: the wave has no samples");
    const frames = this.frames(wave.length);
    const values = out ?? new Float32Array(mels * frames);
    if (values.length !== mels * frames) throw new Error(`logMelSpectrogram: out has ${values.length} values, [${mels}, ${frames}] needs ${mels * frames}`);
    const padded = this.#pad(wave, nFft >> 1);
    const window = this.#window;
    const frame = this.#frame;
    const spectrum = this.#spectrum;
    const power = this.#power;
    const nFreqs = power.length;
    const filterBin = this.#filterBin;
    const filterLength = this.#filterLength;
    const filterOffset = this.#filterOffset;
    const filterWeights = this.#filterWeights;
    const start = this.#windowStart;
    const end = this.#windowEnd;
    for (let t = 0; t < frames; t++) {
      const base = t * hopLength;
      for (let i = start; i < end; i++) frame[i] = (padded[base + i] as number) * (window[i] as number);
      this.#fft.realTransform(spectrum, frame);
      // realTransform fills bins 0..nFft/2 (the rest is the mirror image we do not need)
      for (let k = 0; k < nFreqs; k++) {
        const re = spectrum[2 * k] as number;
        const im = spectrum[2 * k + 1] as number;
        power[k] = re * re + im * im;
      }
      for (let m = 0; m < mels; m++) {
        const bin = filterBin[m] as number;
        const length = filterLength[m] as number;
        const offset = filterOffset[m] as number;
        let energy = 0;
        for (let j = 0; j < length; j++) energy += (power[bin + j] as number) * (filterWeights[offset + j] as number);
        // NOTE: log(x + eps), not log(max(x, eps)): BYOL-A's form, smooth at silence.
        values[m * frames + t] = Math.log(energy + logEpsilon);
      }
    }
    return { values, mels, frames };
  }

  /** `wave` with `pad` reflected samples on each side, in a buffer reused between calls. */
  #pad(wave: Float32Array, pad: number): Float64Array {
    const n = wave.length;
    const length = n + 2 * pad;
    if (this.#padded.length < length) this.#padded = new Float64Array(length);
    const padded = this.#padded;
    for (let i = 0; i < n; i++) padded[pad + i] = wave[i] as number;
    for (let i = 0; i < pad; i++) {
      padded[pad - 1 - i] = wave[reflectIndex(-1 - i, n)] as number;
      padded[pad + n + i] = wave[reflectIndex(n + i, n)] as number;
    }
    return padded;
  }
}

/** Index of sample `j` of a signal of `n` samples extended by reflection (without repeating the edge), periodically. */
function reflectIndex(j: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const r = ((j % period) + period) % period;
  return r < n ? r : period - r;
}

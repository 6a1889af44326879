import type { Rng } from "../../../random/rng.js";
import { type Range, type WaveTransform, checkInteger, checkRange } from "./transform.js";

// Waveform augmentations of one 16 kHz mono clip. Each random transform draws its parameters from
// the generator it is given and calls a pure function of those parameters, exported too, so a
// test or a caller can apply an exact value.

/** Samples per second the defaults assume (the audio contract's rate). */
export const SAMPLE_RATE = 16_000;

/**
 * The `length` samples of `wave` starting at `start`, zeros where that window leaves the clip:
 * `out[k] = wave[start + k]`. A negative `start` pads in front, so one function both crops a long
 * clip (`0 ≤ start ≤ L − length`) and places a short one (`L − length ≤ start ≤ 0`).
 */
export function windowWave(wave: Float32Array, length: number, start: number): Float32Array {
  checkInteger("windowWave", "length", length, 1);
  checkInteger("windowWave", "start", start, -Infinity);
  const out = new Float32Array(length);
  const from = Math.max(0, start);
  const to = Math.min(wave.length, start + length);
  if (to > from) out.set(wave.subarray(from, to), from - start);
  return out;
}

export interface RandomWaveCropOptions {
  /**
   * Samples of the crop. Default 16,000: the 1 s clips of the audio contract (Speech Commands'
   * clip length; BYOL-A crops 0.95 s, COLA 0.96 s). A shorter clip is zero-padded, placed at random.
   */
  length?: number;
}

/** A window of `length` samples at a uniformly random offset (a random segment; COLA's and BYOL-A's crop in time). */
export function randomWaveCrop(options: RandomWaveCropOptions = {}): WaveTransform {
  const { length = SAMPLE_RATE } = options;
  checkInteger("randomWaveCrop", "length", length, 1);
  return {
    kind: "wave",
    name: "randomWaveCrop",
    options: { length },
    apply(wave, rng) {
      const slack = wave.length - length;
      // Offsets from min(0, slack) to max(0, slack), inclusive: every placement equally likely.
      const start = Math.min(0, slack) + rng.int(Math.abs(slack) + 1);
      return windowWave(wave, length, start);
    },
  };
}

/** `wave · 10^(gainDb / 20)`: a gain in decibels of amplitude. */
export function applyGain(wave: Float32Array, gainDb: number): Float32Array {
  const factor = 10 ** (gainDb / 20);
  const out = new Float32Array(wave.length);
  for (let i = 0; i < wave.length; i++) out[i] = (wave[i] as number) * factor;
  return out;
}

export interface RandomGainOptions {
  /**
   * Range of the gain in dB, drawn uniformly. Default [−18, 6]: Kaldi's volume perturbation
   * (`perturb_data_dir_volume.sh` scales by U(0.125, 2), i.e. −18 to +6 dB).
   */
  gainDb?: Range;
}

/** Multiplies the clip by a random gain (loudness is not what a keyword or a voice is). */
export function randomGain(options: RandomGainOptions = {}): WaveTransform {
  const { gainDb = [-18, 6] } = options;
  checkRange("randomGain", "gainDb", gainDb);
  return {
    kind: "wave",
    name: "randomGain",
    options: { gainDb },
    apply: (wave, rng) => applyGain(wave, rng.uniformIn(gainDb[0], gainDb[1])),
  };
}

/** Mean square of the values: the power that an SNR compares. */
export function power(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] as number) ** 2;
  return values.length === 0 ? 0 : sum / values.length;
}

/**
 * `wave + g · noise` with `g` chosen so that `10·log10(P(wave) / P(g · noise)) = snrDb`, P the
 * mean square. `noise` has the clip's length. A silent clip or silent noise is returned unchanged
 * (no gain reaches the SNR).
 */
export function addNoiseAtSnr(wave: Float32Array, noise: Float32Array, snrDb: number): Float32Array {
  if (noise.length !== wave.length) throw new Error(`addNoiseAtSnr: noise has ${noise.length} samples, the clip ${wave.length}`);
  if (!Number.isFinite(snrDb)) throw new Error(`addNoiseAtSnr: snrDb must be finite, got ${snrDb}`);
  const signalPower = power(wave);
  const noisePower = power(noise);
  if (signalPower === 0 || noisePower === 0) return wave.slice();
  const g = Math.sqrt(signalPower / (noisePower * 10 ** (snrDb / 10)));
  const out = new Float32Array(wave.length);
  for (let i = 0; i < wave.length; i++) out[i] = (wave[i] as number) + g * (noise[i] as number);
  return out;
}

export interface AdditiveNoiseOptions {
  /**
   * Range of the signal-to-noise ratio in dB, drawn uniformly. Default [0, 15]: the noise SNRs of
   * Kaldi's MUSAN augmentation for x-vectors (Snyder et al. 2018: 0, 5, 10 and 15 dB).
   */
  snrDb?: Range;
  /**
   * Noise clips to add (e.g. recorded backgrounds), one drawn per use, a random stretch of it
   * (looped when shorter than the clip). Default: none, i.e. white gaussian noise.
   */
  noises?: readonly Float32Array[];
}

/**
 * Adds noise at a random SNR: white gaussian noise, or a random stretch of one of `noises`. The
 * SNR is measured on the drawn noise itself (its actual power, not its expected power), so the
 * result has exactly the drawn SNR.
 */
export function additiveNoise(options: AdditiveNoiseOptions = {}): WaveTransform {
  const { snrDb = [0, 15], noises = [] } = options;
  checkRange("additiveNoise", "snrDb", snrDb);
  noises.forEach((n, k) => {
    if (n.length === 0) throw new Error(`additiveNoise: noise clip ${k} is empty`);
  });
  return {
    kind: "wave",
    name: "additiveNoise",
    options: { snrDb, noises: noises.length },
    apply(wave, rng) {
      const snr = rng.uniformIn(snrDb[0], snrDb[1]);
      let noise: Float32Array;
      if (noises.length === 0) noise = rng.normalArray(wave.length);
      else {
        const source = noises[rng.int(noises.length)] as Float32Array;
        noise = loopedStretch(source, wave.length, rng.int(source.length));
      }
      return addNoiseAtSnr(wave, noise, snr);
    },
  };
}

/** `length` samples of `source` from `start`, wrapping around its end. */
function loopedStretch(source: Float32Array, length: number, start: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0, j = start; i < length; i++, j = j + 1 === source.length ? 0 : j + 1) out[i] = source[j] as number;
  return out;
}

/** How a shift fills the samples it uncovers: the clip's other end (`circular`) or silence (`zero`). */
export type ShiftMode = "circular" | "zero";

/** The clip moved `shift` samples later (earlier when negative): `out[i] = wave[i − shift]`. */
export function shiftWave(wave: Float32Array, shift: number, mode: ShiftMode): Float32Array {
  checkInteger("shiftWave", "shift", shift, -Infinity);
  const n = wave.length;
  if (mode === "zero") return windowWave(wave, n, -shift);
  const out = new Float32Array(n);
  if (n === 0) return out;
  const s = ((shift % n) + n) % n;
  out.set(wave.subarray(n - s), 0);
  out.set(wave.subarray(0, n - s), s);
  return out;
}

export interface RandomTimeShiftOptions {
  /**
   * Largest shift in seconds, either way; drawn uniformly in whole samples. Default 0.1 s: the
   * Speech Commands training script (Warden 2018, `--time_shift_ms=100`).
   */
  maxShiftSeconds?: number;
  /** Default `zero`, as Speech Commands (a keyword shifted off the end is not heard again at the start). */
  mode?: ShiftMode;
  /** Samples per second of the clips. Default 16,000. */
  sampleRate?: number;
}

/** Shifts the clip in time by a random number of samples, keeping its length. */
export function randomTimeShift(options: RandomTimeShiftOptions = {}): WaveTransform {
  const { maxShiftSeconds = 0.1, mode = "zero", sampleRate = SAMPLE_RATE } = options;
  const where = "randomTimeShift";
  if (!(maxShiftSeconds >= 0 && Number.isFinite(maxShiftSeconds))) throw new Error(`${where}: maxShiftSeconds must be a finite number ≥ 0, got ${maxShiftSeconds}`);
  if (mode !== "zero" && mode !== "circular") throw new Error(`${where}: mode must be "zero" or "circular", got ${String(mode)}`);
  checkInteger(where, "sampleRate", sampleRate, 1);
  const maxShift = Math.round(maxShiftSeconds * sampleRate);
  return {
    kind: "wave",
    name: where,
    options: { maxShiftSeconds, mode, sampleRate },
    apply: (wave, rng) => shiftWave(wave, rng.int(2 * maxShift + 1) - maxShift, mode),
  };
}

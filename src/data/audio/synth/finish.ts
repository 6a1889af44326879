import { Rng } from "../../../random/rng.js";
import type { Synthesized } from "./engine.js";

/** Additive white Gaussian noise at a signal-to-noise ratio, drawn from its own seed. */
export interface NoiseSpec {
  readonly snrDb: number;
  readonly seed: number;
}

/** What happens to an engine's output before it is written. */
export interface FinishOptions {
  /** The peak level after normalization, in dB below full scale (−6 → peak at 0.5). */
  readonly peakDbfs: number;
  readonly noise: NoiseSpec | null;
}

/**
 * Silence trimming: 10 ms frames quieter than 40 dB below the loudest frame are silence, and
 * 20 ms of margin are kept on each side so that soft onsets (/f/, /h/) and releases survive.
 * gnuspeech pads a word with ~0.3 s of silence, espeak-ng and flite with less.
 */
export const TRIM = { frameSeconds: 0.01, thresholdDb: -40, marginSeconds: 0.02 } as const;

/** The utterance as written: trimmed, with noise when asked, peak-normalized, as 16-bit samples. */
export function finishUtterance(raw: Synthesized, options: FinishOptions, what: string): Int16Array {
  const x = new Float32Array(raw.samples.length);
  for (let i = 0; i < x.length; i++) x[i] = (raw.samples[i] as number) / 32768;
  const speech = trimSilence(x, raw.sampleRate);
  if (speech === null) throw new Error(`${what}: the synthesizer produced silence`);
  if (options.noise !== null) addNoise(speech, options.noise.snrDb, new Rng(options.noise.seed));
  peakNormalize(speech, options.peakDbfs);
  return toInt16(speech);
}

/** The samples between the first and the last frame above `TRIM.thresholdDb` of the loudest, with margins; null if all silent. */
export function trimSilence(x: Float32Array, sampleRate: number): Float32Array | null {
  const frame = Math.max(1, Math.round(TRIM.frameSeconds * sampleRate));
  const frames = Math.ceil(x.length / frame);
  const power = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    const end = Math.min(x.length, (f + 1) * frame);
    for (let i = f * frame; i < end; i++) sum += (x[i] as number) * (x[i] as number);
    power[f] = sum / (end - f * frame);
  }
  const loudest = power.reduce((a, b) => Math.max(a, b), 0);
  if (loudest === 0) return null;
  const threshold = loudest * 10 ** (TRIM.thresholdDb / 10);
  let first = 0;
  while ((power[first] as number) < threshold) first++;
  let last = frames - 1;
  while ((power[last] as number) < threshold) last--;
  const margin = Math.round(TRIM.marginSeconds * sampleRate);
  return x.slice(Math.max(0, first * frame - margin), Math.min(x.length, (last + 1) * frame + margin));
}

/** Adds white Gaussian noise in place so that mean(signal²) / mean(noise²) = 10^(snrDb / 10). */
export function addNoise(x: Float32Array, snrDb: number, rng: Rng): void {
  let power = 0;
  for (const v of x) power += v * v;
  power /= x.length;
  const std = Math.sqrt(power / 10 ** (snrDb / 10));
  const noise = rng.normalArray(x.length, 0, std);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + (noise[i] as number);
}

/** Scales in place so that the largest |sample| is 10^(peakDbfs / 20). */
export function peakNormalize(x: Float32Array, peakDbfs: number): void {
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  if (peak === 0) return;
  const gain = 10 ** (peakDbfs / 20) / peak;
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * gain;
}

/** [-1, 1] → 16-bit, rounded and clipped. */
export function toInt16(x: Float32Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round((x[i] as number) * 32767)));
  return out;
}

import { readFileSync } from "node:fs";
import { Rng } from "../../../../src/random/rng.js";
import type { Spectrogram } from "../../../../src/data/audio/augment/index.js";

/** Written by test/fixtures/audio/augment/torch_reference.py (torch 1.13, torchaudio 0.13.1). */
const fixture = JSON.parse(readFileSync(new URL("../../../fixtures/audio/augment/torch-reference.json", import.meta.url), "utf8")) as Record<string, unknown>;

/** One array of the torch fixture, e.g. `reference("resize_bicubic_9x15")`. */
export function reference(key: string): number[] {
  const value = fixture[key];
  if (!Array.isArray(value)) throw new Error(`torch-reference.json has no array ${key}`);
  return value as number[];
}

/** BYOL-A's log_mixup_exp on two [3, 5] clips. */
export const mixupReference = fixture.mixup as { x: number[]; b: number[]; lambda: number; mixed: number[] };

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** A sine of `frequency` Hz at 16 kHz, amplitude `amplitude`. */
export function sine(samples: number, frequency = 440, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: samples }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / 16000));
}

/** A log-mel-like clip: N(−4, 2²) values, seeded. */
export function randomClip(mels: number, frames: number, seed = 1): Spectrogram {
  return { data: new Rng(seed).normalArray(mels * frames, -4, 2), mels, frames };
}

/** Column t of a clip's band m. */
export function at(clip: Spectrogram, m: number, t: number): number {
  return clip.data[m * clip.frames + t] as number;
}

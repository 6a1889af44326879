import type { Rng } from "../../../random/rng.js";
import type { MixupBank } from "./mixup.js";

export { type Range, checkProbability, checkRange } from "../../image/augment/transform.js";

/** `[N, 1, mels, frames]` of a batch of log-mel spectrograms (the `logmel` field of the audio contract). */
export type SpectrogramBatchShape = readonly [number, 1, number, number];

/**
 * One clip's log-mel spectrogram, `[mels, frames]` row-major: value (m, t) at `m · frames + t`,
 * band 0 the lowest. Values are natural logs of mel power, possibly normalized.
 */
export interface Spectrogram {
  readonly data: Float32Array;
  readonly mels: number;
  readonly frames: number;
}

/** What a view's transforms may need beyond the clip: the view's length and BYOL-A's bank of past clips. */
export interface ViewContext {
  /** Frames of the view `audioViews` is making; a time crop without its own `frames` crops to this. */
  readonly outFrames: number;
  /** Past clips to mix with (BYOL-A's mixup), or null when the caller keeps none. */
  readonly bank: MixupBank | null;
}

/** A log-mel augmentation of one clip: returns a new spectrogram (possibly of other frames), never writes its input. */
export interface SpectrogramTransform {
  readonly kind: "spectrogram";
  readonly name: string;
  /** The options in effect, defaults filled in (for logs, reports and tests). */
  readonly options: Readonly<Record<string, unknown>>;
  apply(clip: Spectrogram, rng: Rng, context: ViewContext): Spectrogram;
}

/** Spectrogram transforms applied in order to one clip: one view. */
export type SpectrogramPipeline = readonly SpectrogramTransform[];

/** A waveform augmentation of one clip (16 kHz mono samples): returns a new array, never writes its input. */
export interface WaveTransform {
  readonly kind: "wave";
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
  apply(wave: Float32Array, rng: Rng): Float32Array;
}

/** Waveform transforms applied in order to one clip. */
export type WavePipeline = readonly WaveTransform[];

/** Throws unless `clip` is a `[mels, frames]` spectrogram of positive integer sizes that its data fills. */
export function checkSpectrogram(where: string, clip: Spectrogram): void {
  const { data, mels, frames } = clip;
  if (!(Number.isInteger(mels) && mels > 0 && Number.isInteger(frames) && frames > 0)) {
    throw new Error(`${where}: a spectrogram needs positive integer [mels, frames], got [${mels}, ${frames}]`);
  }
  if (data.length !== mels * frames) throw new Error(`${where}: ${data.length} values do not fill [${mels}, ${frames}] (${mels * frames})`);
}

/** Throws unless `shape` is `[N, 1, M, T]` of positive integers matching `data.length`. */
export function checkSpectrogramBatch(where: string, data: Float32Array, shape: SpectrogramBatchShape): void {
  if (shape.length !== 4 || shape[1] !== 1 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${where}: shape must be [N, 1, mels, frames] of positive integers, got [${shape.join(", ")}]`);
  }
  const size = shape[0] * shape[2] * shape[3];
  if (data.length !== size) throw new Error(`${where}: ${data.length} values do not fill shape [${shape.join(", ")}] (${size})`);
}

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInteger(where: string, name: string, value: number, min: number): void {
  if (!(Number.isInteger(value) && value >= min)) throw new Error(`${where}: ${name} must be an integer ≥ ${min}, got ${value}`);
}

/** The mean of all values (in double precision). */
export function mean(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return values.length === 0 ? 0 : sum / values.length;
}

/**
 * Applies `transform` with probability `probability` (torchvision's `RandomApply`), else passes
 * the clip through unchanged. The coin is drawn before the transform's own draws, always.
 */
export function randomApply<T extends SpectrogramTransform | WaveTransform>(transform: T, probability: number): T {
  if (!(probability >= 0 && probability <= 1)) throw new Error(`randomApply(${transform.name}): probability must be in [0, 1], got ${probability}`);
  const name = `randomApply(${transform.name})`;
  const options = { ...transform.options, probability };
  if (transform.kind === "wave") {
    const wave: WaveTransform = {
      kind: "wave",
      name,
      options,
      apply: (x, rng) => (rng.uniform() < probability ? transform.apply(x, rng) : x.slice()),
    };
    return wave as T;
  }
  const spectrogram: SpectrogramTransform = {
    kind: "spectrogram",
    name,
    options,
    apply: (clip, rng, context) => (rng.uniform() < probability ? transform.apply(clip, rng, context) : { ...clip, data: clip.data.slice() }),
  };
  return spectrogram as T;
}

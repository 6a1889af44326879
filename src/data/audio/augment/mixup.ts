import type { Rng } from "../../../random/rng.js";
import { type Spectrogram, type SpectrogramTransform, checkInteger, checkSpectrogram } from "./transform.js";

/** float32 machine epsilon, BYOL-A's floor inside the log (`torch.finfo().eps`). */
const FLOAT32_EPS = 1.1920929e-7;

/**
 * BYOL-A's log-mixup-exp (Niizumi et al. 2021, eq. 1): `x' = log((1 − λ)·exp(x) + λ·exp(b) + eps)`,
 * mixing two log-mel spectrograms as powers rather than as logs, with eps = 1.19e-7 as in their
 * code. `x` and `background` have the same shape.
 */
export function logMixupExp(clip: Spectrogram, background: Spectrogram, lambda: number): Spectrogram {
  checkSpectrogram("logMixupExp", clip);
  if (background.mels !== clip.mels || background.frames !== clip.frames) {
    throw new Error(`logMixupExp: the background is [${background.mels}, ${background.frames}], the clip [${clip.mels}, ${clip.frames}]`);
  }
  if (!(lambda >= 0 && lambda <= 1)) throw new Error(`logMixupExp: lambda must be in [0, 1], got ${lambda}`);
  const x = clip.data;
  const b = background.data;
  const out = new Float32Array(x.length);
  // NOTE: computed in double precision, where exp overflows only above 709, far beyond log-mel values.
  for (let i = 0; i < x.length; i++) out[i] = Math.log((1 - lambda) * Math.exp(x[i] as number) + lambda * Math.exp(b[i] as number) + FLOAT32_EPS);
  return { ...clip, data: out };
}

/** A `MixupBank` as plain data, to save in a checkpoint and restore with `MixupBank.fromState`. */
export interface MixupBankState {
  readonly capacity: number;
  readonly mels: number;
  readonly frames: number;
  /** Clips held, ≤ capacity. */
  readonly size: number;
  /** The slot the next clip overwrites once the bank is full (the oldest clip). */
  readonly next: number;
  /** `size` clips of `[mels, frames]`, slot order. */
  readonly clips: Float32Array;
}

/**
 * BYOL-A's memory bank of past clips for mixup: a FIFO of the last `capacity` clips seen (their
 * code keeps 2,048; v2 keeps 512). It is explicit state, like the generator: `audioViews` reads
 * it and pushes each sample's clip after making that sample's views, so a run's views are a
 * function of (seed, data, step) once the bank is saved with the checkpoint (`state()`) and
 * restored on resume (`fromState`). Slots are allocated as the bank fills.
 */
export class MixupBank {
  readonly capacity: number;
  readonly mels: number;
  readonly frames: number;
  #clips: Float32Array[] = [];
  #next = 0;

  constructor(capacity: number, mels: number, frames: number) {
    checkInteger("MixupBank", "capacity", capacity, 1);
    checkInteger("MixupBank", "mels", mels, 1);
    checkInteger("MixupBank", "frames", frames, 1);
    this.capacity = capacity;
    this.mels = mels;
    this.frames = frames;
  }

  /** Clips held. */
  get size(): number {
    return this.#clips.length;
  }

  /** Stores a copy of `clip`, replacing the oldest one once full. */
  push(clip: Spectrogram): void {
    this.#check("MixupBank.push", clip);
    if (this.#clips.length < this.capacity) {
      this.#clips.push(clip.data.slice());
      return;
    }
    (this.#clips[this.#next] as Float32Array).set(clip.data);
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** A uniformly drawn clip held (a view: do not write), or null while the bank is empty. */
  draw(rng: Rng): Spectrogram | null {
    if (this.#clips.length === 0) return null;
    return { data: this.#clips[rng.int(this.#clips.length)] as Float32Array, mels: this.mels, frames: this.frames };
  }

  /** Throws unless `clip` has the bank's shape. */
  #check(where: string, clip: Spectrogram): void {
    checkSpectrogram(where, clip);
    if (clip.mels !== this.mels || clip.frames !== this.frames) {
      throw new Error(`${where}: the bank holds [${this.mels}, ${this.frames}] clips, got [${clip.mels}, ${clip.frames}]`);
    }
  }

  /** A copy of the bank as plain data. */
  state(): MixupBankState {
    const size = this.#clips.length;
    const clip = this.mels * this.frames;
    const clips = new Float32Array(size * clip);
    this.#clips.forEach((c, k) => clips.set(c, k * clip));
    return { capacity: this.capacity, mels: this.mels, frames: this.frames, size, next: this.#next, clips };
  }

  /** The bank `state()` described, checked field by field. */
  static fromState(state: MixupBankState): MixupBank {
    const bank = new MixupBank(state.capacity, state.mels, state.frames);
    const { size, next, clips } = state;
    const clip = state.mels * state.frames;
    if (!(Number.isInteger(size) && size >= 0 && size <= state.capacity)) throw new Error(`MixupBank.fromState: size ${size} is not within [0, ${state.capacity}]`);
    const nextOk = Number.isInteger(next) && (size < state.capacity ? next === 0 : next >= 0 && next < size);
    if (!nextOk) throw new Error(`MixupBank.fromState: next slot ${next} does not fit a bank of ${size} clips of ${state.capacity}`);
    if (clips.length !== size * clip) throw new Error(`MixupBank.fromState: ${clips.length} values for ${size} clips of [${state.mels}, ${state.frames}]`);
    for (let k = 0; k < size; k++) bank.#clips.push(clips.slice(k * clip, (k + 1) * clip));
    bank.#next = next;
    return bank;
  }
}

export interface MixupWithBackgroundOptions {
  /**
   * λ ~ U(0, ratio). Default 0.4: BYOL-A (Niizumi et al. 2021, "α = 0.4"; their v2 uses 0.2).
   */
  ratio?: number;
  /** Mix with log-mixup-exp (default, BYOL-A) or linearly in the log domain, `(1 − λ)·x + λ·b` (their ablation). */
  logMixupExp?: boolean;
}

/**
 * BYOL-A's mixup with a background sound: mixes the clip with a random past clip of the bank
 * (`ViewContext.bank`), λ ~ U(0, ratio), so the clip's foreground sound is kept and its background
 * changes. With the bank empty (the first clip of a run) the clip passes unchanged, as in BYOL-A.
 * Without a bank (null context) this throws: mixup needs the caller to keep one.
 */
export function mixupWithBackground(options: MixupWithBackgroundOptions = {}): SpectrogramTransform {
  const { ratio = 0.4, logMixupExp: useLogMixupExp = true } = options;
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`mixupWithBackground: ratio must be in [0, 1], got ${ratio}`);
  return {
    kind: "spectrogram",
    name: "mixupWithBackground",
    options: { ratio, logMixupExp: useLogMixupExp },
    apply(clip, rng, context) {
      if (context.bank === null) throw new Error("mixupWithBackground: needs a MixupBank of past clips (audioViews' bank argument)");
      const lambda = ratio * rng.uniform();
      const background = context.bank.draw(rng);
      if (background === null) return { ...clip, data: clip.data.slice() };
      if (useLogMixupExp) return logMixupExp(clip, background, lambda);
      if (background.mels !== clip.mels || background.frames !== clip.frames) {
        throw new Error(`mixupWithBackground: the bank holds [${background.mels}, ${background.frames}] clips, the view's clip is [${clip.mels}, ${clip.frames}]`);
      }
      const out = new Float32Array(clip.data.length);
      for (let i = 0; i < out.length; i++) out[i] = (1 - lambda) * (clip.data[i] as number) + lambda * (background.data[i] as number);
      return { ...clip, data: out };
    },
  };
}

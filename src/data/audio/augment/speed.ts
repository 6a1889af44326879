import type { Rng } from "../../../random/rng.js";
import { type Range, type WaveTransform, checkRange } from "./transform.js";

/** How `changeSpeed` reads the clip between its samples. */
export type SpeedInterpolation = "sinc" | "linear";

/** Zero crossings of the sinc on each side (torchaudio's `lowpass_filter_width` default). */
const SINC_ZERO_CROSSINGS = 6;
/** The low-pass cutoff as a fraction of the lower Nyquist rate (torchaudio's `rolloff` default). */
const ROLLOFF = 0.99;

/**
 * The clip played `factor` times as fast: tempo and pitch both scale by `factor` and the length
 * becomes `ceil(L / factor)` (sox's `speed`, Kaldi's and torchaudio's speed perturbation). Output
 * sample j reads the clip at position `j · factor`:
 * - `sinc` (default): band-limited interpolation with a Hann-windowed sinc, cutoff
 *   `0.99 · min(1, 1/factor)` of Nyquist and 6 zero crossings; equal to
 *   `torchaudio.functional.resample(x, orig, new)` when `factor = orig / new`. Speeding up needs
 *   the low-pass: content above the new Nyquist would otherwise fold back as aliases.
 * - `linear`: linear interpolation, cheaper, with that aliasing (and a slight high-cut).
 */
export function changeSpeed(wave: Float32Array, factor: number, interpolation: SpeedInterpolation = "sinc"): Float32Array {
  if (!(factor > 0 && Number.isFinite(factor))) throw new Error(`changeSpeed: factor must be a finite number above 0, got ${factor}`);
  // Factor 1 is the clip itself, as torchaudio returns equal rates untouched (the 0.99 rolloff would low-pass it).
  if (factor === 1) return wave.slice();
  const n = wave.length;
  // NOTE: the 1e-9 keeps an exact ratio (e.g. 11/10 on 10·k samples) from gaining a sample to rounding.
  const length = Math.max(n === 0 ? 0 : 1, Math.ceil(n / factor - 1e-9));
  const out = new Float32Array(length);
  if (interpolation === "linear") {
    for (let j = 0; j < length; j++) {
      const x = j * factor;
      const i = Math.floor(x);
      const f = x - i;
      const a = i < n ? (wave[i] as number) : 0;
      const b = i + 1 < n ? (wave[i + 1] as number) : 0;
      out[j] = a + f * (b - a);
    }
    return out;
  }
  if (interpolation !== "sinc") throw new Error(`changeSpeed: interpolation must be "sinc" or "linear", got ${String(interpolation)}`);
  const cutoff = ROLLOFF * Math.min(1, 1 / factor);
  const reach = SINC_ZERO_CROSSINGS / cutoff; // input samples each side where the kernel is non-zero
  for (let j = 0; j < length; j++) {
    const x = j * factor;
    const from = Math.max(0, Math.ceil(x - reach));
    const to = Math.min(n - 1, Math.floor(x + reach));
    let sum = 0;
    for (let i = from; i <= to; i++) {
      const t = cutoff * (i - x); // in periods of the cutoff
      const window = Math.cos((Math.PI * t) / (2 * SINC_ZERO_CROSSINGS)) ** 2;
      const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
      sum += (wave[i] as number) * sinc * window;
    }
    out[j] = cutoff * sum;
  }
  return out;
}

export interface SpeedPerturbationOptions {
  /**
   * Range of the speed factor, drawn uniformly. Default [0.9, 1.1]: Ko et al. 2015 ("Audio
   * augmentation for speech recognition"), who use the three factors 0.9, 1.0 and 1.1.
   */
  factorRange?: Range;
  /** Draw the factor from these values instead (Ko et al.: [0.9, 1.0, 1.1]). Default: none, the range. */
  factorChoices?: readonly number[];
  /** Default `sinc` (band-limited, as torchaudio). */
  interpolation?: SpeedInterpolation;
}

/**
 * Speed perturbation: resamples the clip by a random factor, which changes its length (follow it
 * with a crop to fix the length again). A pitch change without a tempo change is left to the
 * log-mel domain (`randomResizeCrop`'s frequency axis), a true pitch shift being expensive.
 */
export function speedPerturbation(options: SpeedPerturbationOptions = {}): WaveTransform {
  const { factorRange = [0.9, 1.1], factorChoices = [], interpolation = "sinc" } = options;
  const where = "speedPerturbation";
  checkRange(where, "factorRange", factorRange, 0);
  if (!(factorRange[0] > 0)) throw new Error(`${where}: factorRange must be above 0, got [${factorRange.join(", ")}]`);
  for (const f of factorChoices) if (!(f > 0 && Number.isFinite(f))) throw new Error(`${where}: factorChoices must be finite numbers above 0, got ${f}`);
  if (interpolation !== "sinc" && interpolation !== "linear") throw new Error(`${where}: interpolation must be "sinc" or "linear", got ${String(interpolation)}`);
  const choices = [...factorChoices];
  return {
    kind: "wave",
    name: where,
    options: { factorRange, factorChoices: choices, interpolation },
    apply(wave: Float32Array, rng: Rng) {
      const factor = choices.length > 0 ? (choices[rng.int(choices.length)] as number) : rng.uniformIn(factorRange[0], factorRange[1]);
      return changeSpeed(wave, factor, interpolation);
    },
  };
}

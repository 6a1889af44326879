import { type MfccOptions, mfccWithDeltas } from "../data/audio/mfcc.js";
import { accuracy } from "./accuracy.js";
import { type DtwNearestNeighbourOptions, dtwNearestNeighbour, frameMajor } from "./dtw.js";
import { labelSubsets, meanSd, takeLabels } from "./label-subsets.js";
import type { PerClassProbe } from "./protocol.js";

/**
 * The classic speech baselines on pretext's log-mel clips:
 * - "mfcc": each clip summarized by the mean and standard deviation over frames of its MFCCs
 *   (and deltas), a fixed vector for the linear probe (`linearProbe`, logistic regression on
 *   standardized features) or any other probe;
 * - "dtw": the clips' MFCC frame sequences matched by dynamic time warping, 1-nearest neighbour.
 */
export interface MfccFeatureOptions extends MfccOptions {
  /**
   * Rounds of deltas (`computeDeltas`) stacked under the MFCCs: 0, 1 (Δ), 2 (Δ and ΔΔ). Default 2,
   * the classic 39-value frame of 13 MFCCs (HTK's MFCC_D_A, Kaldi's add-deltas): the standard
   * deviations of Δ and ΔΔ say how fast the spectrum moves, which the MFCCs' own statistics do
   * not. Measured on the synthetic digits (espeak-ng labels; tests: flite / held-out espeak-ng
   * voices), 1 / 5 / 32 labels per class: statistics + linear probe 23.5 / 32.1 / 34.4% and
   * 39.1 / 58.9 / 68.8% with 2 rounds against 19.4 / 31.6 / 33.8% and 37.8 / 57.4 / 63.1% with
   * none; DTW 40.1 / 57.0 / 60.6% and 85.5 / 97.5 / 99.4% against 36.6 / 51.5 / 54.4% and
   * 70.6 / 90.0 / 96.3%.
   */
  readonly deltas?: 0 | 1 | 2;
  /** Window of each delta round; 5 as torchaudio's `compute_deltas` (N = 2). */
  readonly deltaWindow?: number;
}

const DEFAULTS = { coefficients: 13, deltas: 2, deltaWindow: 5 } as const;

/** Values per frame of `mfccSequences`: coefficients · (1 + deltas). */
export function mfccFrameDim(options: MfccFeatureOptions = {}): number {
  return (options.coefficients ?? DEFAULTS.coefficients) * (1 + (options.deltas ?? DEFAULTS.deltas));
}

/** Width of `mfccStatistics`' vectors: a mean and a standard deviation per row of the MFCC frame. */
export function mfccDim(options: MfccFeatureOptions = {}): number {
  return 2 * mfccFrameDim(options);
}

/**
 * The "mfcc" baseline encoder: per clip, the mean over frames of every MFCC (and delta) row, then
 * each row's population standard deviation.
 *
 * @param logMels `[n, mels, frames]` row-major, natural-log mel power (n samples' `logmel` fields)
 * @returns `[n, mfccDim(options)]`: row i is `[mean_0 … mean_{R−1}, std_0 … std_{R−1}]`
 */
export function mfccStatistics(logMels: Float32Array, n: number, mels: number, frames: number, options: MfccFeatureOptions = {}): Float32Array {
  const rows = mfccFrameDim(options);
  const out = new Float32Array(n * 2 * rows);
  forEachClip("mfccStatistics", logMels, n, mels, frames, options, (features, i) => {
    const base = i * 2 * rows;
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let t = 0; t < frames; t++) mean += features[r * frames + t] as number;
      mean /= frames;
      let sq = 0;
      for (let t = 0; t < frames; t++) sq += ((features[r * frames + t] as number) - mean) ** 2;
      out[base + r] = mean;
      out[base + rows + r] = Math.sqrt(sq / frames);
    }
  });
  return out;
}

/**
 * Each clip's MFCC (and delta) frames, frame major `[frames, mfccFrameDim(options)]`: what
 * `dtwNearestNeighbour` takes.
 *
 * @param logMels `[n, mels, frames]` row-major, natural-log mel power
 */
export function mfccSequences(logMels: Float32Array, n: number, mels: number, frames: number, options: MfccFeatureOptions = {}): Float32Array[] {
  const rows = mfccFrameDim(options);
  const out: Float32Array[] = [];
  forEachClip("mfccSequences", logMels, n, mels, frames, options, (features) => out.push(frameMajor(features, rows, frames)));
  return out;
}

export interface DtwBaselineOptions {
  /** Labels per class of the few-label settings (1, 5 as the speech issue's budgets). */
  readonly perClass?: readonly number[];
  /** Seeded draws per setting (seeds seed … seed + draws − 1), the protocol's `labelSubsets`. */
  readonly draws?: number;
  readonly seed?: number;
  /** Also match against every train sequence. */
  readonly includeAll?: boolean;
  readonly dtw?: DtwNearestNeighbourOptions;
}

export interface DtwBaselineResult {
  /** Test accuracy with every train sequence as a template, or null when `includeAll` is off. */
  readonly all: number | null;
  readonly perClass: readonly PerClassProbe[];
  readonly seconds: number;
}

/**
 * The "dtw" baseline under the evaluation protocol: DTW 1-nearest neighbour with the templates
 * of exactly the label subsets the probes use, `labelSubsets(trainLabels, k, draws, seed,
 * numClasses)` for each k of `perClass`, and with every train sequence; accuracy on the test set.
 */
export async function dtwBaseline(
  train: { readonly sequences: readonly Float32Array[]; readonly labels: Int32Array },
  test: { readonly sequences: readonly Float32Array[]; readonly labels: Int32Array },
  dim: number,
  numClasses: number,
  options: DtwBaselineOptions = {},
): Promise<DtwBaselineResult> {
  const start = performance.now();
  const { perClass = [1, 5], draws = 5, seed = 0, includeAll = true } = options;
  if (test.sequences.length !== test.labels.length) throw new Error(`dtwBaseline: ${test.sequences.length} test sequences but ${test.labels.length} labels`);
  const scored = async (sequences: readonly Float32Array[], labels: Int32Array) =>
    accuracy(await dtwNearestNeighbour({ sequences, labels }, test.sequences, dim, options.dtw), test.labels);
  const all = includeAll ? await scored(train.sequences, train.labels) : null;
  const results: PerClassProbe[] = [];
  for (const k of perClass) {
    const accuracies: number[] = [];
    for (const indices of labelSubsets(train.labels, k, draws, seed, numClasses)) {
      accuracies.push(await scored(Array.from(indices, (i) => train.sequences[i] as Float32Array), takeLabels(train.labels, indices)));
    }
    results.push({ perClass: k, accuracy: meanSd(accuracies), draws: "seeded" });
  }
  return { all, perClass: results, seconds: (performance.now() - start) / 1000 };
}

function forEachClip(
  where: string,
  logMels: Float32Array,
  n: number,
  mels: number,
  frames: number,
  options: MfccFeatureOptions,
  visit: (features: Float32Array, index: number) => void,
): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${where}: n must be a count of clips, got ${n}`);
  const size = mels * frames;
  if (logMels.length !== n * size) throw new Error(`${where}: ${logMels.length} values are not ${n} clips of [${mels}, ${frames}] (${n * size})`);
  const { deltas = DEFAULTS.deltas, deltaWindow = DEFAULTS.deltaWindow } = options;
  for (let i = 0; i < n; i++) {
    try {
      visit(mfccWithDeltas(logMels.subarray(i * size, (i + 1) * size), mels, frames, deltas, options, deltaWindow), i);
    } catch (error) {
      throw new Error(`${where}: clip ${i}: ${(error as Error).message}`);
    }
  }
}

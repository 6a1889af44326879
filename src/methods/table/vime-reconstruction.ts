import { corruptionMask, marginalCorruption } from "../../data/augment/table/feature-corruption.js";
import { ArrayDataset, type Dataset } from "../../data/dataset.js";
import { embedDataset, releaseEmbeddings } from "../../eval/embed.js";
import { Sequential, type UnaryModule } from "../../nn/index.js";
import { Rng } from "../../random/rng.js";
import { rowWidth } from "./table-views.js";
import type { VimeHeads } from "./vime.js";

/** How well VIME's feature estimator restores one feature where it was corrupted. */
export interface FeatureReconstruction {
  readonly feature: string;
  /** Mean squared error of the reconstruction on the rows where this feature was replaced (null when none was). */
  readonly mse: number | null;
  /**
   * The same rows' error of imputing the feature's mean (`ReconstructionErrorOptions.means`): the
   * error of a model that learned nothing about this feature. mse / meanImputationMse < 1 is what
   * the other features told the model.
   */
  readonly meanImputationMse: number | null;
  /** How many rows had this feature replaced. */
  readonly corrupted: number;
}

export interface ReconstructionErrorOptions {
  /** p_m of the corruption; the run's own (VIME's 0.3 by default). */
  readonly maskProbability: number;
  /** Seeds the mask and the donors, so a report is reproducible. */
  readonly seed: number;
  /**
   * Each feature's mean for the mean-imputation baseline: the training rows' (a standardized
   * number's is 0, a one-hot level's is its frequency). Default: the mean of the rows measured.
   */
  readonly means?: Float32Array;
}

/** Per-feature means of `[n, d]` rows. */
export function featureMeans(rows: Dataset): Float32Array {
  const d = rowWidth(rows.spec, "featureMeans");
  const sums = new Float64Array(d);
  for (let i = 0; i < rows.length; i++) {
    const row = rows.get(i).fields[rows.spec.input] as Float32Array;
    for (let j = 0; j < d; j++) sums[j] = (sums[j] as number) + (row[j] as number);
  }
  return Float32Array.from(sums, (s) => s / Math.max(1, rows.length));
}

/**
 * Per-feature reconstruction error of a VIME run on held-out rows: each row is corrupted as in
 * pretraining (each feature replaced with probability p_m by another row's value), the encoder
 * and the feature head restore it, and the error is measured where the value actually changed.
 * Features the rest of the row predicts (letter's x-box from its width) score far under their mean
 * imputation; independent ones (noise columns) score at it.
 */
export async function vimeReconstructionErrors(encoder: UnaryModule, heads: VimeHeads, rows: Dataset, featureNames: readonly string[], options: ReconstructionErrorOptions): Promise<FeatureReconstruction[]> {
  const d = rowWidth(rows.spec, "vimeReconstructionErrors");
  if (featureNames.length !== d) throw new Error(`vimeReconstructionErrors: ${featureNames.length} feature names for rows of ${d} features`);
  const n = rows.length;
  const means = options.means ?? featureMeans(rows);
  if (means.length !== d) throw new Error(`vimeReconstructionErrors: ${means.length} means for rows of ${d} features`);
  const clean = new Float32Array(n * d);
  for (let i = 0; i < n; i++) clean.set(rows.get(i).fields[rows.spec.input] as Float32Array, i * d);
  const rng = new Rng(options.seed);
  const { corrupted, changed } = marginalCorruption(clean, n, d, corruptionMask(n, d, { probability: options.maskProbability }, rng), rng);
  const restore = new Sequential([encoder, heads.feature]);
  const restored = await embedDataset(restore, new ArrayDataset({ spec: rows.spec, fields: { [rows.spec.input]: corrupted } }), { bind: "constant" });
  await releaseEmbeddings(restore);
  const squared = new Float64Array(d);
  const meanSquared = new Float64Array(d);
  const counts = new Int32Array(d);
  for (let i = 0; i < n * d; i++) {
    if (changed[i] !== 1) continue;
    const j = i % d;
    const truth = clean[i] as number;
    const error = (restored.data[i] as number) - truth;
    squared[j] = (squared[j] as number) + error * error;
    const offMean = truth - (means[j] as number);
    meanSquared[j] = (meanSquared[j] as number) + offMean * offMean;
    counts[j] = (counts[j] as number) + 1;
  }
  return featureNames.map((feature, j) => {
    const c = counts[j] as number;
    return { feature, mse: c === 0 ? null : (squared[j] as number) / c, meanImputationMse: c === 0 ? null : (meanSquared[j] as number) / c, corrupted: c };
  });
}

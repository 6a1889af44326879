import type { Dataset } from "../data/index.js";
import type { UnaryModule } from "../nn/index.js";
import { Rng } from "../random/rng.js";
import { clusteringScores } from "./clustering-metrics.js";
import { type EmbedOptions, type Embeddings, embedDataset, rawFeatures } from "./embed.js";
import { type FinetuneOptions, finetune, trainFromScratch } from "./finetune.js";
import type { KMeansOptions } from "./kmeans.js";
import { type KnnOptions, knnAccuracy } from "./knn.js";
import { type LabelDraws, type MeanSd, checkLabelDraws, labelSubsets, meanSd, subsetDataset, takeLabels, takeRows } from "./label-subsets.js";
import { type LinearProbeOptions, type LinearProbeResult, linearProbe } from "./linear-probe.js";

export interface ProtocolOptions {
  /** Labels per class of the few-label probes; 1, 10, 100 as the semi-supervised SSL tables. */
  readonly perClass?: readonly number[];
  /** Seeded draws per few-label setting (seeds seed … seed + draws − 1); 5 as the anchor. */
  readonly draws?: number;
  readonly seed?: number;
  /**
   * Given draws for some of the `perClass` settings, used instead of the seeded ones (all of them:
   * `draws` and `seed` then apply only to the other settings). Indices into the train dataset;
   * map draws stored against a parent dataset with `drawsInSubset`. Each entry's `perClass` must
   * be one of `perClass`.
   */
  readonly labelDraws?: readonly LabelDraws[];
  /** Also probe with every train label (off to save time on a large raw-pixel set). */
  readonly linearAll?: boolean;
  readonly linearProbe?: LinearProbeOptions;
  /** kNN with every train label as a neighbour (default true; off when only other probes are asked for). */
  readonly knnAll?: boolean;
  readonly knn?: KnnOptions;
  /** k-means NMI/ARI on the test embeddings (default true). */
  readonly clustering?: boolean;
  /** k-means on the test embeddings with this many clusters (default: the number of classes). */
  readonly clusters?: number;
  readonly kmeans?: KMeansOptions;
  readonly embed?: EmbedOptions;
}

/** Few-label linear probe accuracy over draws. */
export interface PerClassProbe {
  readonly perClass: number;
  readonly accuracy: MeanSd;
  /** Where the labelled examples came from: seeded draws, or `ProtocolOptions.labelDraws`. */
  readonly draws: "seeded" | "given";
}

export interface EvaluationResult {
  /** Embedding width. */
  readonly dim: number;
  /** The linear probe on every train label, or null when `linearAll` is off. */
  readonly linearAll: LinearProbeResult | null;
  readonly linearPerClass: readonly PerClassProbe[];
  /** kNN accuracy on the test set with every train label as a neighbour, or null when `knnAll` is off. */
  readonly knn: number | null;
  /** k-means on the test embeddings against the test labels, or null when `clustering` is off. */
  readonly clustering: { readonly nmi: number; readonly ari: number } | null;
  /** Wall time of each part, in seconds. */
  readonly seconds: { readonly embed: number; readonly linear: number; readonly knn: number; readonly kmeans: number; readonly total: number };
}

const DEFAULTS = { perClass: [1, 10, 100], draws: 5, seed: 0 } as const;

/**
 * The standard downstream protocol on a frozen encoder (eval mode): embed train and test, then
 * the linear probe with all train labels and with k ∈ `perClass` labels per class (`draws`
 * seeded draws each, mean ± sd), kNN with all train labels, and k-means NMI/ARI on the test set.
 */
export async function evaluateEncoder(encoder: UnaryModule, data: { train: Dataset; test: Dataset }, options: ProtocolOptions = {}): Promise<EvaluationResult> {
  const start = performance.now();
  // Frozen once: baking the weights in lets ONNX Runtime fold batch norm (see EmbedOptions.bind).
  const embed = { bind: "constant", ...options.embed } as const;
  const train = await embedDataset(encoder, data.train, embed);
  const test = await embedDataset(encoder, data.test, embed);
  const embedSeconds = (performance.now() - start) / 1000;
  return evaluateEmbeddings(train, test, labelsOf(data.train), labelsOf(data.test), numClassesOf(data), options, embedSeconds);
}

/** The same protocol on given features (raw pixels, or embeddings computed elsewhere). */
/** kNN's default neighbours (knn.ts), capped by the labelled set's size. */
const KNN_K = 20;

export async function evaluateEmbeddings(
  train: Embeddings,
  test: Embeddings,
  trainLabels: Int32Array,
  testLabels: Int32Array,
  numClasses: number,
  options: ProtocolOptions = {},
  embedSeconds = 0,
): Promise<EvaluationResult> {
  const { perClass = DEFAULTS.perClass, linearAll = true } = options;
  if (train.dim !== test.dim) throw new Error(`evaluateEmbeddings: train is ${train.dim}-d, test ${test.dim}-d`);
  for (const entry of options.labelDraws ?? []) {
    if (!perClass.includes(entry.perClass)) throw new Error(`labelDraws: draws given for ${entry.perClass}/class, but perClass is [${perClass.join(", ")}]`);
  }
  const subsets = fewLabelSubsets(trainLabels, numClasses, perClass, options.draws ?? DEFAULTS.draws, options);
  const dim = train.dim;
  const testSet = { features: test.data, labels: testLabels };
  const t0 = performance.now();
  const all = linearAll ? await linearProbe({ features: train.data, labels: trainLabels }, testSet, dim, numClasses, options.linearProbe) : null;
  const linearPerClass: PerClassProbe[] = [];
  for (const k of perClass) {
    const accuracies: number[] = [];
    const { draws, indices: drawn } = subsets.get(k) as FewLabelSubsets;
    for (const indices of drawn) {
      const subset = { features: takeRows(train.data, dim, indices), labels: takeLabels(trainLabels, indices) };
      // The scaler sees the whole (unlabeled) train pool, as the anchor's StandardScaler does.
      const r = await linearProbe(subset, testSet, dim, numClasses, { standardizeWith: train.data, ...options.linearProbe });
      accuracies.push(r.accuracy);
    }
    linearPerClass.push({ perClass: k, accuracy: meanSd(accuracies), draws });
  }
  const t1 = performance.now();
  // A labelled set smaller than k (a handful of clips per word) votes with every example.
  const k = Math.min(options.knn?.k ?? KNN_K, trainLabels.length);
  const knn = options.knnAll === false ? null : await knnAccuracy({ features: train.data, labels: trainLabels }, testSet, dim, numClasses, { ...options.knn, k });
  const t2 = performance.now();
  const clustering = options.clustering === false ? null : clusteringScores(test.data, dim, testLabels, options.clusters ?? numClasses, { seed: options.seed ?? DEFAULTS.seed, ...options.kmeans });
  const t3 = performance.now();
  return {
    dim,
    linearAll: all,
    linearPerClass,
    knn,
    clustering,
    seconds: {
      embed: embedSeconds,
      linear: (t1 - t0) / 1000,
      knn: (t2 - t1) / 1000,
      kmeans: (t3 - t2) / 1000,
      total: embedSeconds + (t3 - t0) / 1000,
    },
  };
}

export interface BaselineOptions extends ProtocolOptions {
  /** Builds the encoder architecture under test from a seeded RNG. */
  readonly makeEncoder: (rng: Rng) => UnaryModule;
  /** Seeds the random encoder's init; the method's own seed + 1 gives a fresh one. */
  readonly encoderSeed?: number;
  /**
   * The encoder trained supervised from random init on only k labels per class (the same draws
   * as the probes: the first `draws` of them, given draws included), or false to skip it: it
   * trains a network per draw, the slow part.
   */
  readonly supervised?: false | { readonly perClass?: readonly number[]; readonly draws?: number; readonly finetune?: FinetuneOptions };
  /** Also evaluate the raw inputs (pixels, table rows; default true). Token ids are not features: text has none. */
  readonly rawFeatures?: boolean;
}

export interface BaselineResults {
  /** Null when `rawFeatures` is off. */
  readonly rawFeatures: EvaluationResult | null;
  readonly randomEncoder: EvaluationResult;
  /** Test accuracy of the supervised-from-scratch encoder per k, over draws. */
  readonly supervised: readonly PerClassProbe[];
}

/**
 * The baselines reported beside a method, on the same protocol: raw pixels; a randomly
 * initialized encoder of the same architecture (batch norm in eval mode with its initial
 * running statistics, mean 0 and variance 1 — a strong baseline with batch norm); and the same
 * architecture trained supervised on only the k labels (`finetune` from random init).
 */
export async function baselines(data: { train: Dataset; test: Dataset }, options: BaselineOptions): Promise<BaselineResults> {
  const trainLabels = labelsOf(data.train);
  const testLabels = labelsOf(data.test);
  const numClasses = numClassesOf(data);
  let raw: EvaluationResult | null = null;
  if (options.rawFeatures !== false) {
    const start = performance.now();
    const trainPixels = rawFeatures(data.train);
    const testPixels = rawFeatures(data.test);
    const rawSeconds = (performance.now() - start) / 1000;
    raw = await evaluateEmbeddings(trainPixels, testPixels, trainLabels, testLabels, numClasses, options, rawSeconds);
  }
  const randomEncoder = await evaluateEncoder(options.makeEncoder(new Rng(options.encoderSeed ?? 1)), data, options);
  const supervised: PerClassProbe[] = [];
  if (options.supervised !== false) {
    const { perClass = [10], draws = 3, finetune = {} } = options.supervised ?? {};
    const seed = options.seed ?? DEFAULTS.seed;
    const subsets = fewLabelSubsets(trainLabels, numClasses, perClass, draws, options);
    for (const k of perClass) {
      const accuracies: number[] = [];
      const { draws: source, indices: drawn } = subsets.get(k) as FewLabelSubsets;
      if (drawn.length < draws) throw new Error(`baselines: the supervised baseline wants ${draws} draws of ${k}/class but ${drawn.length} were given`);
      for (const [d, indices] of drawn.slice(0, draws).entries()) {
        const labeled = subsetDataset(data.train, indices);
        accuracies.push((await trainFromScratch(options.makeEncoder, labeled, data.test, { seed: seed + d, ...finetune })).accuracy);
      }
      supervised.push({ perClass: k, accuracy: meanSd(accuracies), draws: source });
    }
  }
  return { rawFeatures: raw, randomEncoder, supervised };
}

export interface FinetuneProtocolOptions {
  /** Labels per class; each gets the same draws as the linear probe's (`ProtocolOptions`). */
  readonly perClass: readonly number[];
  readonly draws?: number;
  readonly seed?: number;
  readonly labelDraws?: readonly LabelDraws[];
  /** The fine-tuning recipe; its seed is replaced by `seed` + the draw's index. */
  readonly finetune?: FinetuneOptions;
}

/**
 * Fine-tuning with few labels: for each k of `perClass` and each draw (the linear probe's), the
 * pretrained encoder with a new linear head, trained end to end on the draw's k labels per class
 * and scored on the test set. The encoder's weights are restored after every draw.
 */
export async function finetunePerClass(encoder: UnaryModule, data: { train: Dataset; test: Dataset }, options: FinetuneProtocolOptions): Promise<PerClassProbe[]> {
  const trainLabels = labelsOf(data.train);
  const seed = options.seed ?? DEFAULTS.seed;
  const subsets = fewLabelSubsets(trainLabels, numClassesOf(data), options.perClass, options.draws ?? DEFAULTS.draws, options);
  const results: PerClassProbe[] = [];
  for (const k of options.perClass) {
    const { draws, indices: drawn } = subsets.get(k) as FewLabelSubsets;
    const accuracies: number[] = [];
    for (const [d, indices] of drawn.entries()) {
      accuracies.push((await finetune(encoder, subsetDataset(data.train, indices), data.test, { ...options.finetune, seed: seed + d })).accuracy);
    }
    results.push({ perClass: k, accuracy: meanSd(accuracies), draws });
  }
  return results;
}

/** One line per result: "linear all 94.5% | 10/class 74.5 ± 1.3% | kNN 89.5% | NMI 0.51 ARI 0.38". */
export function formatEvaluation(r: EvaluationResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const parts = [`linear all ${r.linearAll === null ? "—" : pct(r.linearAll.accuracy)}`];
  for (const p of r.linearPerClass) parts.push(`${p.perClass}/class ${(100 * p.accuracy.mean).toFixed(1)} ± ${(100 * p.accuracy.sd).toFixed(1)}%`);
  if (r.knn !== null) parts.push(`kNN ${pct(r.knn)}`);
  if (r.clustering !== null) parts.push(`NMI ${r.clustering.nmi.toFixed(3)} ARI ${r.clustering.ari.toFixed(3)}`);
  parts.push(`${r.seconds.total.toFixed(1)} s`);
  return parts.join(" | ");
}

interface FewLabelSubsets {
  readonly draws: PerClassProbe["draws"];
  readonly indices: readonly Int32Array[];
}

/**
 * The labelled subsets of each of `perClass`: all of `options.labelDraws` for that k where given
 * (every entry is checked, used or not), else `seededDraws` draws from `options.seed`.
 */
function fewLabelSubsets(
  trainLabels: Int32Array,
  numClasses: number,
  perClass: readonly number[],
  seededDraws: number,
  options: ProtocolOptions,
): Map<number, FewLabelSubsets> {
  const seed = options.seed ?? DEFAULTS.seed;
  const given = new Map<number, FewLabelSubsets>();
  for (const entry of options.labelDraws ?? []) {
    if (given.has(entry.perClass)) throw new Error(`labelDraws: two entries for ${entry.perClass}/class`);
    given.set(entry.perClass, { draws: "given", indices: checkLabelDraws(trainLabels, entry, numClasses) });
  }
  return new Map(perClass.map((k) => [k, given.get(k) ?? { draws: "seeded", indices: labelSubsets(trainLabels, k, seededDraws, seed, numClasses) }]));
}

function labelsOf(dataset: Dataset): Int32Array {
  if (dataset.labels === undefined) throw new Error("evaluation needs labeled train and test datasets");
  return dataset.labels;
}

function numClassesOf(data: { train: Dataset; test: Dataset }): number {
  const n = data.train.numClasses ?? data.test.numClasses;
  if (n === undefined) throw new Error("evaluation needs datasets with numClasses");
  return n;
}

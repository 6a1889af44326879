import { ArrayDataset } from "../dataset.js";
import { audioSpec } from "../sample.js";
import { type AudioFeatures, BYOL_A_FEATURES, type LogMelStats, checkFeatures, checkStats, clipFrames, logMelStats, normalizeLogMel } from "./audio-features.js";
import { indexAudio } from "./audio-index.js";
import { LogMelCache, defaultAudioCacheDir } from "./feature-cache.js";
import { featurizeFiles } from "./featurize-pool.js";

export { AUDIO_EXTENSIONS, MANIFEST_EXTENSIONS, isAudioFolder } from "./audio-index.js";

export interface AudioFolderOptions {
  /** How clips are featurized. Default BYOL-A's (`BYOL_A_FEATURES`): 64 × 101 log-mel of 1 s at 16 kHz. */
  features?: AudioFeatures;
  /** The feature cache's root, or null for no cache. Default `defaultAudioCacheDir()`. */
  cacheDir?: string | null;
  /**
   * The statistics to normalize with, e.g. the training set's (`train.stats`) for a test set.
   * Default: this set's own.
   */
  stats?: LogMelStats;
  /** Called as clips are featurized. */
  onProgress?: (progress: AudioFolderProgress) => void;
  /**
   * Skip clips that cannot be read (and list them in `summary`) instead of failing. Default true:
   * a corpus of thousands of files rarely has none, and one bad file should not stop a run.
   */
  skipUnreadable?: boolean;
  /** Worker threads for decoding and featurizing. Default: every core. */
  threads?: number;
}

export interface AudioFolderProgress {
  readonly done: number;
  readonly total: number;
}

/** What reading a folder found. */
export interface AudioFolderSummary {
  readonly clips: number;
  readonly skipped: number;
  readonly skippedFiles: readonly { readonly file: string; readonly reason: string }[];
  /** Clips read back from the cache, and computed (and stored). */
  readonly cached: number;
  readonly computed: number;
  /** Cache entries found damaged and recomputed. */
  readonly corruptEntries: number;
}

/**
 * Clips of a folder or manifest as log-mel spectrograms in memory: an `ArrayDataset` of spec
 * `audioSpec(mels, frames)` (values normalized by `stats`), with the source file of each sample,
 * the statistics used, and what was skipped. `subset` gives plain `ArrayDataset`s.
 */
export type AudioFolderDataset = ArrayDataset & {
  /** The file behind each sample, in index order. */
  readonly paths: readonly string[];
  /** The mean and std the values were normalized with (this set's unless given). */
  readonly stats: LogMelStats;
  readonly features: AudioFeatures;
  readonly summary: AudioFolderSummary;
  /** Lines to show a person: the skipped files, a cache that could not be written. */
  readonly warnings: readonly string[];
};

/**
 * Reads every clip of `path` into memory as log-mel features. `path` is a folder of class
 * subfolders of `.wav` files (labels from the sorted folder names), a folder of `.wav` files
 * (unlabeled, searched recursively), or a manifest: CSV/TSV rows `path,label` (a header naming
 * `path` and `label` columns, or path then label without one) or JSONL lines
 * `{"path": ..., "label": ...}`, paths relative to the manifest, labels optional (all or none).
 *
 * Each clip is decoded, downmixed to mono, resampled to `features.sampleRate`, fitted to
 * `clipSeconds` (`fitClip`), featurized (`logMelSpectrogram`) through the feature cache, and
 * normalized by `stats`. Unreadable clips are skipped and summarized (`summary`, `warnings`);
 * none readable is an error naming the first.
 */
export async function audioFolderDataset(path: string, options: AudioFolderOptions = {}): Promise<AudioFolderDataset> {
  const features = checkFeatures(options.features ?? BYOL_A_FEATURES);
  const { skipUnreadable = true, onProgress } = options;
  if (options.stats !== undefined) checkStats(options.stats);
  const cacheRoot = options.cacheDir === undefined ? defaultAudioCacheDir() : options.cacheDir;
  const index = await indexAudio(path);
  const total = index.files.length;
  const warnings: string[] = [];
  let usableCache = cacheRoot;
  if (cacheRoot !== null) {
    try {
      await new LogMelCache(cacheRoot, features).describe();
    } catch (error) {
      warnings.push(`the feature cache ${cacheRoot} cannot be written (${reasonOf(error)}); features are computed every run`);
      usableCache = null;
    }
  }
  onProgress?.({ done: 0, total });
  const results = await featurizeFiles(index.files, {
    features,
    cacheRoot: usableCache,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(onProgress === undefined ? {} : { onProgress: (done: number) => onProgress({ done, total }) }),
  });

  const kept: number[] = [];
  const skippedFiles: { file: string; reason: string }[] = [];
  let cached = 0;
  let corruptEntries = 0;
  let cacheError: string | null = null;
  results.forEach((result, i) => {
    const file = index.files[i] as string;
    if (!result.ok) {
      if (!skipUnreadable) throw new Error(`${file}: unreadable audio (${result.reason}); fix or remove it, or skip unreadable files (skipUnreadable)`);
      skippedFiles.push({ file, reason: result.reason });
      return;
    }
    kept.push(i);
    if (result.cached) cached++;
    if (result.corruptEntry) corruptEntries++;
    if (result.cacheError !== undefined) cacheError ??= result.cacheError;
  });
  if (kept.length === 0) {
    const first = skippedFiles[0] as { file: string; reason: string };
    throw new Error(`${path}: none of its ${total} clips is readable (first: ${first.file}: ${first.reason})`);
  }

  const mels = features.mels;
  const frames = clipFrames(features);
  const size = mels * frames;
  const values = new Float32Array(kept.length * size);
  kept.forEach((i, row) => {
    const result = results[i];
    if (result?.ok === true) values.set(result.values, row * size);
  });
  const stats = options.stats ?? logMelStats(values);
  normalizeLogMel(values, stats, values);

  const summary: AudioFolderSummary = { clips: kept.length, skipped: skippedFiles.length, skippedFiles, cached, computed: kept.length - cached, corruptEntries };
  const skipLine = describeSkips(summary);
  if (skipLine !== null) warnings.push(skipLine);
  if (cacheError !== null) warnings.push(`the feature cache ${usableCache} could not be written (${cacheError}); features are computed every run`);

  const labels = index.labels === null ? undefined : Int32Array.from(kept, (i) => index.labels?.[i] as number);
  const dataset = new ArrayDataset({
    spec: audioSpec(mels, frames),
    fields: { logmel: values },
    ...(labels === undefined || index.classNames === null ? {} : { labels, numClasses: index.classNames.length, classNames: index.classNames }),
  });
  return Object.assign(dataset, { paths: kept.map((i) => index.files[i] as string), stats, features, summary, warnings });
}

/**
 * One line about skipped clips for a person, or null when none was: how many, and the first
 * `shown` with their reasons, e.g. "skipped 2 of 120 clips: a.wav (truncated: …); b.wav (…)".
 */
export function describeSkips(summary: AudioFolderSummary, shown = 3): string | null {
  if (summary.skipped === 0) return null;
  const listed = summary.skippedFiles.slice(0, shown).map((s) => `${s.file} (${s.reason})`);
  const more = summary.skipped - listed.length;
  return `skipped ${summary.skipped} of ${summary.clips + summary.skipped} clips that cannot be read: ${listed.join("; ")}${more > 0 ? `; and ${more} more` : ""}`;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.trim() ?? message;
}

import { existsSync } from "node:fs";
import type { AudioFolderDataset, AudioFolderOptions } from "../data/audio/audio-folder.js";
import type { ArrayDataset, Dataset } from "../data/dataset.js";
import { PACKAGED_TEXT, resolveDataSpec } from "../data/resolve-data-spec.js";
import { TABLE_BENCHMARKS } from "../data/table/benchmarks.js";
import type { TableDataset, TableOptions } from "../data/table/table-encoding.js";
import type { TextSource } from "../data/text/text-source.js";
import type { Tokenizer } from "../data/text/tokenizer/tokenizer.js";
import { type TextLoading, loadTextData } from "./text-data.js";
import { CliError, ExitCode, errorMessage } from "./errors.js";

/** The bundled digits' name as a data spec. */
export const BUNDLED_MNIST = "mnist";
/** Fashion-MNIST, the second image benchmark, where Debian's dataset-fashion-mnist (or `$FASHION_DIR`) has it. */
export const FASHION_MNIST = "fashion-mnist";

/** Image folders up to this many bytes of float32 pixels are decoded into memory at load. */
const MATERIALIZE_BYTES = 2 ** 31;

/** Datasets of a run: what pretraining sees, and (when known) the held-out split for evaluation. */
export interface LoadedData {
  /** The pretraining set (for `mnist`: the 9,000-image train split; the test split is never trained on). */
  readonly train: Dataset;
  /** The fixed held-out split that goes with this spec, or null when the user must give one. */
  readonly test: Dataset | null;
  /** For text: the source's texts, the tokenizer that made the ids, and notes for the user. */
  readonly text: LoadedText | null;
  /** For audio: the clips' files, features and normalization statistics. */
  readonly audio?: AudioFolderDataset;
  /** The file behind each training sample, when the data is a folder of files. */
  readonly paths?: readonly string[];
  /** For a table: the training rows with their encoding (statistics, levels, classes) and warnings. */
  readonly table?: TableDataset;
}

export interface LoadedText {
  readonly source: TextSource;
  readonly tokenizer: Tokenizer;
  readonly warnings: readonly string[];
}

export interface LoadOptions {
  /** The flag the spec came from, for messages (default `--data`). */
  readonly flag?: string;
  /** For a CSV of documents: the column with the texts. */
  readonly textColumn?: string | null;
  /** How text becomes datasets; a text spec without it is an error (the command does not take text). */
  readonly text?: TextLoading;
  /** For audio: the run's features and normalization statistics (a training set computes its own when absent), the cache, progress. */
  readonly audio?: AudioFolderOptions;
  /** For a table: column types, columns left out, and a finished run's encoding (its training statistics). */
  readonly table?: Omit<TableOptions, "labelColumn">;
}

/** The names of the data `--data` takes, for messages. */
export const DATA_USAGE = "give mnist, fashion-mnist, moby-dick, fortunes, sotu, an IDX file, a folder (of images, .txt or .wav files), a .txt, .jsonl, .csv or .arff file, or a table benchmark (letter, credit-g)";

/**
 * Loads a data spec with `resolveDataSpec`: `mnist` (the bundled digits, fixed stratified
 * 9,000/1,000 split), the packaged text corpora, an IDX images file, a folder, a text file or a
 * CSV file. Errors become one line naming the flag.
 */
export async function loadData(spec: string, labels: string | null, options: LoadOptions = {}): Promise<LoadedData> {
  const flag = options.flag ?? "--data";
  const named = spec === BUNDLED_MNIST || spec === FASHION_MNIST || spec in PACKAGED_TEXT || spec in TABLE_BENCHMARKS;
  if (!named && !existsSync(spec)) throw new CliError(`${flag} ${spec}: no such file or folder; ${DATA_USAGE}`);
  const lower = spec.toLowerCase();
  if (labels !== null && !named && !lower.endsWith(".csv") && !lower.endsWith(".tsv") && !lower.endsWith(".arff") && !lower.endsWith(".jsonl") && !existsSync(labels)) {
    throw new CliError(`labels ${labels}: no such file; give the labels file of ${spec}`);
  }
  let resolved: Awaited<ReturnType<typeof resolveDataSpec>>;
  try {
    resolved = await resolveDataSpec(spec, {
      ...(labels === null ? {} : { labels }),
      ...(options.textColumn ? { textColumn: options.textColumn } : {}),
      ...(options.audio === undefined ? {} : { audio: options.audio }),
      ...(options.table === undefined ? {} : { csv: options.table }),
    });
  } catch (e) {
    throw new CliError(`${flag} ${spec}: ${errorMessage(e)}`, ExitCode.failure);
  }
  if (resolved.kind === "mnist" || resolved.kind === "fashion-mnist") return { train: resolved.train, test: resolved.test, text: null };
  if (resolved.kind === "text") {
    if (options.text === undefined) throw new CliError(`${flag} ${spec} is text; this command takes images or tables`);
    const { train, test, tokenizer, warnings } = await loadTextData(resolved.source, options.text);
    return { train, test, text: { source: resolved.source, tokenizer, warnings } };
  }
  if (resolved.kind === "table") return { train: resolved.train, test: resolved.test, text: null, table: resolved.train };
  if (resolved.kind === "csv") return { train: resolved.dataset, test: null, text: null, table: resolved.dataset };
  if (resolved.kind === "audio") return { train: resolved.dataset, test: null, text: null, audio: resolved.dataset, paths: resolved.dataset.paths };
  if (resolved.kind === "folder") {
    // NOTE: evaluation, embedding and the views grid read samples synchronously, so a folder that
    // fits in memory is decoded once up front; a larger one streams (pretraining only).
    const folder = resolved.dataset;
    const [c, h, w] = folder.sampleShape;
    const paths = Array.from({ length: folder.length }, (_, i) => folder.file(i));
    if (folder.length * c * h * w * 4 <= MATERIALIZE_BYTES) return { train: await folder.materialize(), test: null, text: null, paths };
    return { train: folder, test: null, text: null, paths };
  }
  return { train: resolved.dataset, test: null, text: null };
}

/**
 * `n` evenly spaced samples of a dataset (`--limit`), or the dataset itself. Evenly spaced rather
 * than the first n, because a file (and the bundled split) may be sorted by class.
 */
export function limitDataset(dataset: Dataset, n: number | null): Dataset {
  if (n === null || n >= dataset.length) return dataset;
  if (!isArrayDataset(dataset)) throw new CliError("--limit works on in-memory datasets (mnist, IDX, CSV, text documents) only");
  return dataset.subset(Int32Array.from({ length: n }, (_, i) => Math.floor((i * dataset.length) / n)));
}

function isArrayDataset(d: Dataset): d is ArrayDataset {
  return typeof (d as Partial<ArrayDataset>).subset === "function";
}

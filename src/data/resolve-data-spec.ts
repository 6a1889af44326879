import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { extname } from "node:path";
import { constants, gunzipSync } from "node:zlib";
import { type AudioFolderDataset, type AudioFolderOptions, MANIFEST_EXTENSIONS, audioFolderDataset, isAudioFolder } from "./audio/audio-folder.js";
import type { ArrayDataset } from "./dataset.js";
import { type CsvDataset, type CsvDatasetOptions, csvDataset } from "./table/csv.js";
import { arffDataset } from "./table/arff.js";
import { TABLE_BENCHMARKS, benchmarkSplit } from "./table/benchmarks.js";
import type { TableDataset } from "./table/table-encoding.js";
import { findIdxLabels, isGzip, isIdxHeader, loadIdx } from "./image/idx.js";
import { IMAGE_EXTENSIONS, type ImageFolderDataset, type ImageFolderOptions, imageFolderDataset } from "./image/image-folder.js";
import { fashionMnistSplit } from "./image/fashion-mnist.js";
import { type MnistSplitOptions, mnistSplit } from "./image/mnist.js";
import { fortunes } from "./text/corpora/fortunes.js";
import { mobyDick } from "./text/corpora/moby-dick.js";
import { sotu } from "./text/corpora/sotu.js";
import { TEXT_EXTENSIONS, csvDocuments, isTextFolder, jsonlDocuments, textFileCorpus, textFolder } from "./text/text-readers.js";
import type { TextSource } from "./text/text-source.js";
import type { Modality } from "./sample.js";

export interface DataSpecOptions {
  /**
   * For an IDX images file, its labels file (default: the sibling `*-idx1-ubyte[.gz]` if there
   * is one, else unlabeled); for a CSV, the label column's name. Folders take their labels from
   * class subfolders, and `mnist` has its own, so there it is an error.
   */
  labels?: string;
  /** For a folder: decoding options. Default 28x28 grayscale, the shape of the default MNIST recipes. */
  image?: Partial<ImageFolderOptions>;
  /** For a CSV: encoding options (`labels` sets `labelColumn`). */
  csv?: Omit<CsvDatasetOptions, "labelColumn">;
  /** For `mnist`: the split. */
  mnist?: MnistSplitOptions;
  /** For a CSV of texts: the column holding them (a CSV without one is a table). */
  textColumn?: string;
  /** For audio (a folder of .wav files or a manifest): features, normalization statistics, cache, progress. */
  audio?: AudioFolderOptions;
}

/** What a `--data` spec resolved to. */
export type ResolvedData =
  | { readonly kind: "mnist"; readonly train: ArrayDataset; readonly test: ArrayDataset }
  | { readonly kind: "fashion-mnist"; readonly train: ArrayDataset; readonly test: ArrayDataset }
  | { readonly kind: "idx"; readonly dataset: ArrayDataset; readonly file: string; readonly labelsFile: string | null }
  | { readonly kind: "folder"; readonly dataset: ImageFolderDataset; readonly file: string }
  | { readonly kind: "csv"; readonly dataset: CsvDataset; readonly file: string }
  | { readonly kind: "table"; readonly train: TableDataset; readonly test: TableDataset | null; readonly file: string }
  | { readonly kind: "text"; readonly source: TextSource; readonly file: string | null }
  | { readonly kind: "audio"; readonly dataset: AudioFolderDataset; readonly file: string };

/** The text corpora that ship with pretext's dependencies (fortunes with Debian's package), by the name `--data` takes. */
export const PACKAGED_TEXT: Readonly<Record<string, () => TextSource>> = { "moby-dick": mobyDick, fortunes, sotu };

const USAGE = "--data takes mnist, fashion-mnist, moby-dick, fortunes, sotu, an IDX file, a folder of images, of .txt files or of .wav files, a .txt, .jsonl, .csv or .arff file (or a manifest of audio paths), or a table benchmark (letter, credit-g)";
/** Enough decompressed bytes to see an IDX magic number inside a gzip stream. */
const PEEK_BYTES = 4096;

/**
 * Resolves a `--data` spec: `mnist` (the bundled digits, split into train/test; a folder that
 * happens to be called mnist is `./mnist`), `fashion-mnist` (its own 60,000/10,000 split, from
 * Debian's package or `$FASHION_DIR`), the packaged text corpora `moby-dick`, `fortunes`
 * and `sotu` (with their fixed splits), an IDX images file (plain or gzipped, recognized by its
 * magic bytes whatever its name), a directory (text when it holds `.txt` files, directly or in
 * class subfolders; audio when it holds `.wav` files, see `audioFolderDataset`; otherwise an
 * image folder, see `imageFolderDataset`), a CSV/JSONL manifest of `.wav` paths, a `.txt` file (a
 * corpus), a `.jsonl` file of `{"text", "label"}` lines, or a `.csv`/`.tsv` file (a table, or
 * documents with `textColumn`). Anything else is a one-line error saying what `--data` takes.
 */
export async function resolveDataSpec(spec: string, options: DataSpecOptions = {}): Promise<ResolvedData> {
  const { labels } = options;
  if (spec === "mnist") {
    if (labels !== undefined) throw new Error(`--labels does not apply to mnist, which has its own labels`);
    return { kind: "mnist", ...mnistSplit(options.mnist) };
  }
  if (spec === "fashion-mnist" && !existsSync(spec)) {
    if (labels !== undefined) throw new Error(`--labels does not apply to fashion-mnist, which has its own labels`);
    return { kind: "fashion-mnist", ...fashionMnistSplit() };
  }
  if (spec in TABLE_BENCHMARKS && !existsSync(spec)) {
    if (labels !== undefined && labels !== TABLE_BENCHMARKS[spec]?.labelColumn) throw new Error(`--label-column does not apply to ${spec}, whose label column is ${TABLE_BENCHMARKS[spec]?.labelColumn}`);
    const { encoding: _fitted, ...csv } = options.csv ?? {};
    return { kind: "table", ...benchmarkSplit(spec, csv), file: spec };
  }
  const packaged = PACKAGED_TEXT[spec];
  if (packaged !== undefined && !existsSync(spec)) {
    if (labels !== undefined) throw new Error(`--labels does not apply to ${spec}, which has its own labels or none`);
    return { kind: "text", source: packaged(), file: null };
  }
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(spec);
  } catch {
    throw new Error(`no such file or directory: ${spec}; ${USAGE}`);
  }
  if (info.isDirectory()) {
    if (labels !== undefined) throw new Error(`--labels does not apply to a folder (${spec}): its labels are its class subfolders`);
    if (isTextFolder(spec)) return { kind: "text", source: textFolder(spec), file: spec };
    if (isAudioFolder(spec)) return { kind: "audio", dataset: await audioFolderDataset(spec, options.audio), file: spec };
    const { size = [28, 28], channels = 1, ...rest } = options.image ?? {};
    return { kind: "folder", dataset: await imageFolderDataset(spec, { ...rest, size, channels }), file: spec };
  }
  const { head, gzipped } = peek(spec);
  if (isIdxHeader(head)) {
    if (head[3] === 1) throw new Error(`${spec} is an IDX labels file (1 dimension); pass the images file (*-idx3-ubyte) to --data and this one to --labels`);
    const labelsFile = labels ?? findIdxLabels(spec) ?? null;
    if (labelsFile !== null) {
      try {
        statSync(labelsFile);
      } catch {
        throw new Error(`no such file or directory: ${labelsFile} (the labels for ${spec})`);
      }
    }
    const dataset = loadIdx(spec, labelsFile === null ? {} : { labels: labelsFile });
    return { kind: "idx", dataset, file: spec, labelsFile };
  }
  const ext = extname(spec.replace(/\.gz$/i, "")).toLowerCase();
  if (!gzipped && isAudioManifest(spec, head)) {
    if (labels !== undefined) throw new Error(`--labels does not apply to an audio manifest (${spec}): its labels are its label column`);
    return { kind: "audio", dataset: await audioFolderDataset(spec, options.audio), file: spec };
  }
  if (TEXT_EXTENSIONS.includes(ext) || ext === ".jsonl") {
    if (gzipped) throw new Error(`${spec}: gzipped text is not supported; gunzip it first`);
    if (ext !== ".jsonl" && labels !== undefined) throw new Error(`--labels does not apply to a text corpus (${spec}); give labeled documents as .jsonl, a .csv with a text column or class subfolders of .txt files`);
    return { kind: "text", source: ext === ".jsonl" ? jsonlDocuments(spec, labels === undefined ? {} : { labelKey: labels }) : textFileCorpus(spec), file: spec };
  }
  if ((ext === ".csv" || ext === ".tsv") && options.textColumn !== undefined) {
    if (gzipped) throw new Error(`${spec}: gzipped CSV is not supported; gunzip it first`);
    return { kind: "text", source: csvDocuments(spec, options.textColumn, labels, ext === ".tsv" ? "\t" : ","), file: spec };
  }
  if (ext === ".csv" || ext === ".tsv") {
    if (gzipped) throw new Error(`${spec}: gzipped CSV is not supported; gunzip it first`);
    const csv = { ...(ext === ".tsv" ? { delimiter: "\t" } : {}), ...options.csv, ...(labels === undefined ? {} : { labelColumn: labels }) };
    return { kind: "csv", dataset: csvDataset(spec, csv), file: spec };
  }
  if (ext === ".arff") {
    if (gzipped) throw new Error(`${spec}: gzipped ARFF is not supported; gunzip it first`);
    const { delimiter: _csvOnly, ...table } = options.csv ?? {};
    return { kind: "table", train: arffDataset(spec, { ...table, ...(labels === undefined ? {} : { labelColumn: labels }) }), test: null, file: spec };
  }
  if (IMAGE_EXTENSIONS.includes(ext)) throw new Error(`${spec} is a single image; ${USAGE}: pass the folder that holds it`);
  throw new Error(`${spec}: not an IDX file (no IDX magic number${gzipped ? " inside the gzip" : ""}) nor a .txt, .jsonl or .csv; ${USAGE}`);
}

/** The first bytes of a file, decompressed when it is gzipped. */
function peek(file: string): { head: Uint8Array; gzipped: boolean } {
  const fd = openSync(file, "r");
  const buffer = new Uint8Array(PEEK_BYTES);
  let n: number;
  try {
    n = readSync(fd, buffer, 0, PEEK_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const head = buffer.subarray(0, n);
  if (!isGzip(head)) return { head, gzipped: false };
  try {
    // NOTE: Z_SYNC_FLUSH lets zlib return what a partial stream decodes to instead of failing
    // with "unexpected end of file": only the first bytes are read.
    return { head: gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }), gzipped: true };
  } catch (error) {
    throw new Error(`${file}: corrupt gzip data (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * The modality a `--data` spec resolves to, decided from its name and (for a folder) its files
 * alone, without reading the data: a command picks the tokenizer, the context and the encoder
 * before it loads it. Files that do not exist are left to `resolveDataSpec` to report.
 */
export function specModality(spec: string, options: { textColumn?: string } = {}): Modality {
  if (spec === "mnist" || spec === "fashion-mnist") return "image";
  if (spec in PACKAGED_TEXT && !existsSync(spec)) return "text";
  if (existsSync(spec) && statSync(spec).isDirectory()) return isTextFolder(spec) ? "text" : isAudioFolder(spec) ? "audio" : "image";
  if (existsSync(spec) && statSync(spec).isFile() && MANIFEST_EXTENSIONS.includes(extname(spec).toLowerCase()) && isAudioManifest(spec, peekHead(spec))) return "audio";
  const ext = extname(spec.replace(/\.gz$/i, "")).toLowerCase();
  if (TEXT_EXTENSIONS.includes(ext) || ext === ".jsonl") return "text";
  if (ext === ".csv" || ext === ".tsv") return options.textColumn === undefined ? "table" : "text";
  if (ext === ".arff" || (spec in TABLE_BENCHMARKS && !existsSync(spec))) return "table";
  return "image";
}

/** The first bytes of a file for `specModality`, or none when they cannot be read (`resolveDataSpec` then says why). */
function peekHead(file: string): Uint8Array {
  try {
    return peek(file).head;
  } catch {
    return new Uint8Array(0);
  }
}

/**
 * Whether a file is a manifest of audio clips: a `.csv`, `.tsv` or `.jsonl` whose first record
 * names a `.wav` file (a `path` column or key, or a first field ending in `.wav`). A CSV table or
 * JSONL of texts never does.
 */
function isAudioManifest(file: string, head: Uint8Array): boolean {
  if (!MANIFEST_EXTENSIONS.includes(extname(file).toLowerCase())) return false;
  const lines = new TextDecoder().decode(head).split(/\r?\n/).filter((l) => l.trim() !== "");
  const wav = /\.wav"?\s*$/i;
  if (extname(file).toLowerCase() === ".jsonl") {
    try {
      const first: unknown = JSON.parse(lines[0] ?? "");
      return typeof first === "object" && first !== null && typeof (first as { path?: unknown }).path === "string" && wav.test((first as { path: string }).path);
    } catch {
      return false;
    }
  }
  const delimiter = extname(file).toLowerCase() === ".tsv" ? "\t" : ",";
  return lines.slice(0, 2).some((l) => wav.test((l.split(delimiter)[0] ?? "").trim()));
}

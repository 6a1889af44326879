import { join, resolve } from "node:path";
import { spectrogramGridPng } from "../data/audio/spectrogram-grid.js";
import type { Dataset } from "../data/dataset.js";
import { spectrogramShape } from "../data/sample.js";
import { embedDataset } from "../eval/embed.js";
import { writeFileAtomic } from "../io/write-atomic.js";
import type { Encoder } from "../methods/method.js";
import type { AudioClipRef, AudioExamples, AudioNeighbours } from "../report/audio-run.js";
import { nearestNeighbours } from "../report/retrieval.js";
import type { RunFolder } from "./run-folder.js";

/** Test clips shown with their nearest neighbours in the report (5 × (1 + 5) = 30 clips, the report's default cap on embedded audio). */
const QUERIES = 5;
const NEIGHBOURS = 5;
/** Spectrograms per row of the per-class strip. */
const STRIP_COLUMNS = 5;

export interface AudioNeighbourOptions {
  readonly queries: number;
  readonly neighbours: number;
}

/**
 * The nearest neighbours (cosine, the query itself excluded, ties to the lower index) of
 * `queries` evenly spaced test clips (0, n/q, 2n/q, …), so a test folder sorted by class shows
 * several classes.
 * @param embeddings `[n, dim]` row-major, aligned with `paths` (and `labels` when given).
 */
export function audioNeighbours(
  embeddings: Float32Array,
  dim: number,
  paths: readonly string[],
  labels: Int32Array | undefined,
  classNames: readonly string[] | undefined,
  options: AudioNeighbourOptions = { queries: QUERIES, neighbours: NEIGHBOURS },
): AudioNeighbours[] {
  const n = paths.length;
  if (embeddings.length !== n * dim) throw new Error(`audio examples: ${embeddings.length / dim} embeddings for ${n} clip paths`);
  if (n < 2) return [];
  const count = Math.min(options.queries, n);
  const queries = Array.from({ length: count }, (_, q) => Math.floor((q * n) / count));
  const clip = (i: number): AudioClipRef => ({ path: paths[i] as string, label: labelOf(i, labels, classNames) });
  const set = { embeddings, n, d: dim, labels: labels ?? new Int32Array(n), images: null };
  return nearestNeighbours(set, queries, options.neighbours).map((r) => ({
    query: clip(r.query),
    neighbours: r.neighbours.map((m) => ({ ...clip(m.index), similarity: m.similarity })),
  }));
}

function labelOf(i: number, labels: Int32Array | undefined, classNames: readonly string[] | undefined): string | null {
  if (labels === undefined) return null;
  const y = labels[i] as number;
  return classNames?.[y] ?? String(y);
}

/** The first test clip of each class, in class order (classes without a test clip are left out). */
function firstOfEachClass(labels: Int32Array | undefined): number[] {
  if (labels === undefined) return [];
  const first = new Map<number, number>();
  labels.forEach((y, i) => {
    if (!first.has(y)) first.set(y, i);
  });
  return [...first.entries()].sort((a, b) => a[0] - b[0]).map(([, i]) => i);
}

/**
 * Writes what the report shows of an audio run's test clips: `clips.json` (the clips' files,
 * absolute, aligned with embeddings.safetensors, as `texts.json` is for text), `audio-examples.json`
 * (the nearest neighbours of a few evenly spaced test clips in the encoder's embedding, with label,
 * similarity and file) and `class-spectrograms.png` (one test clip of each class, the strip
 * `audio-examples.json`'s `classes` names; labeled test sets only).
 * @param paths the source file of each test sample, in index order (`AudioFolderDataset.paths`).
 */
export async function writeAudioExamples(run: RunFolder, encoder: Encoder, test: Dataset, paths: readonly string[], classNames?: readonly string[]): Promise<void> {
  if (paths.length !== test.length) throw new Error(`audio examples: ${paths.length} clip paths for ${test.length} test clips`);
  const files = paths.map((p) => resolve(p));
  await writeFileAtomic(join(run.dir, "clips.json"), `${JSON.stringify(files)}\n`);
  const names = classNames ?? test.classNames;
  const emb = await embedDataset(encoder, test);
  const neighbours = audioNeighbours(emb.data, emb.dim, files, test.labels, names);
  const strip = firstOfEachClass(test.labels);
  if (strip.length > 0) await writeFileAtomic(join(run.dir, "class-spectrograms.png"), await classStrip(test, strip));
  const classes = strip.map((i) => ({ path: files[i] as string, label: labelOf(i, test.labels, names) }));
  await writeFileAtomic(join(run.dir, "audio-examples.json"), `${JSON.stringify({ neighbours, classes } satisfies AudioExamples, null, 1)}\n`);
}

/** The log-mel of each chosen clip, `STRIP_COLUMNS` to a row, each drawn with its own range. */
async function classStrip(test: Dataset, indices: readonly number[]): Promise<Buffer> {
  const [mels, frames] = spectrogramShape(test.spec, "the per-class spectrogram strip");
  const size = mels * frames;
  const values = new Float32Array(indices.length * size);
  indices.forEach((i, k) => values.set((test.get(i).fields.logmel as Float32Array).subarray(0, size), k * size));
  return spectrogramGridPng(values, [indices.length, 1, mels, frames], { columns: Math.min(STRIP_COLUMNS, indices.length), scale: 1 });
}

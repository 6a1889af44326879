import { createHash } from "node:crypto";
import type { Dataset } from "../data/dataset.js";
import type { Sample } from "../data/sample.js";
import { embedDataset } from "../eval/embed.js";
import type { UnaryModule } from "../nn/index.js";
import { ANN_MIN_ROWS, type EmbeddingStore, type ItemBatch } from "./embedding-store.js";
import { plannedRows } from "./store-manifest.js";

/** One split to index: its samples, and what is known of each item beyond its input. */
export interface IndexSource {
  readonly split: string;
  readonly dataset: Dataset;
  /** The file behind each item, when the data came from files. */
  readonly paths?: readonly string[] | null;
  /** Each item's text, for text data. */
  readonly texts?: readonly string[] | null;
}

export interface IndexProgress {
  readonly done: number;
  readonly total: number;
  /** Rows found already stored when the run started (a resumed index). */
  readonly resumedAt: number;
}

export interface IndexOptions {
  /** Items read and embedded at a time: memory is O(chunk) whatever the data set's size. */
  readonly chunk?: number;
  /**
   * Rows appended to the table at a time (whole chunks, default 16,384: 8 MB of 128-d vectors).
   * Each append is a LanceDB commit that adds a fragment, and a commit costs more the more
   * fragments the table has: appending every 1,024 rows took 7 ms at 100 fragments and 27–45 ms
   * at 400, and 10^6 items ran at 1,422 items/s against 2,513 for 10^4 (bench/mining.ts).
   */
  readonly writeRows?: number;
  /** Samples per encoder run. */
  readonly batchSize?: number;
  /** "auto" (default): an IVF-PQ index once the table holds `ANN_MIN_ROWS` rows. */
  readonly ann?: "auto" | "always" | "never";
  readonly onProgress?: (p: IndexProgress) => void;
}

export interface IndexResult {
  readonly rows: number;
  readonly written: number;
  readonly resumedAt: number;
  readonly annIndex: boolean;
}

/**
 * Embeds `sources` (in order, ids consecutive across them as the store's manifest plans) and
 * appends them to `store` a chunk at a time. A store that already holds rows resumes after its
 * longest run of ids 0..m−1 with no gap or duplicate; rows past that (which an interrupted run of
 * another layout could leave) are deleted first, so a killed index ends with every id exactly
 * once. LanceDB commits each append atomically, so a kill loses at most the rows not yet written
 * (`writeRows`).
 */
export async function indexDatasets(store: EmbeddingStore, encoder: UnaryModule, sources: readonly IndexSource[], options: IndexOptions = {}): Promise<IndexResult> {
  const { chunk = 1024, batchSize = 256, ann = "auto", writeRows = 16_384 } = options;
  const total = plannedRows(store.manifest);
  const lengths = sources.map((s) => s.dataset.length);
  if (lengths.length !== store.manifest.splits.length || store.manifest.splits.some((s, i) => s.length !== lengths[i])) {
    throw new Error(`${store.dir}: indexed ${describe(store.manifest.splits)}, but the data now has ${describe(sources.map((s, i) => ({ name: s.split, length: lengths[i] as number })))}; index into a new --db`);
  }
  const resumedAt = await validPrefix(store);
  let done = resumedAt;
  options.onProgress?.({ done, total, resumedAt });
  for (const [s, source] of sources.entries()) {
    const { firstId, length, name } = store.manifest.splits[s] as (typeof store.manifest.splits)[number];
    const pending: ItemBatch[] = [];
    const flush = async () => {
      if (pending.length > 0) await store.append(concatBatches(pending.splice(0), store.dim));
    };
    for (let start = Math.max(0, done - firstId); start < length; start += chunk) {
      const rows = Math.min(chunk, length - start);
      const indices = Int32Array.from({ length: rows }, (_, i) => start + i);
      const samples = await loadSamples(source.dataset, indices);
      const field = source.dataset.spec.input;
      const view: Dataset = { length: rows, spec: source.dataset.spec, get: (i) => samples[i] as Sample };
      const embedded = await embedDataset(encoder, view, { batchSize: Math.min(batchSize, rows) });
      const labels = source.dataset.labels;
      pending.push({
        firstId: firstId + start,
        split: name,
        indices,
        labels: labels === undefined ? null : labels.slice(start, start + rows),
        paths: source.paths?.slice(start, start + rows) ?? null,
        texts: source.texts?.slice(start, start + rows) ?? null,
        hashes: samples.map((x) => contentHash(x, field)),
        vectors: embedded.data,
      });
      if (pending.reduce((n, b) => n + b.indices.length, 0) >= writeRows) await flush();
      done = firstId + start + rows;
      options.onProgress?.({ done, total, resumedAt });
    }
    await flush();
  }
  const stored = await store.count();
  if (stored !== total) throw new Error(`${store.dir}: holds ${stored} rows after indexing, not the ${total} planned`);
  // Compaction rewrites the table, and LanceDB holds much of it in memory meanwhile (10^6 rows of
  // 128-d: RSS 312 -> 533 MB, against a flat ~300 MB while appending): worth it only when appends
  // left many fragments, which every query must open (62 at 10^6 rows of 16,384 per append).
  if ((await store.fragmentCount()) > COMPACT_ABOVE_FRAGMENTS) await store.compact();
  const wantAnn = ann === "always" || (ann === "auto" && total >= ANN_MIN_ROWS);
  if (wantAnn && (store.manifest.annIndex === null || store.manifest.annIndex.rows !== total)) await store.buildAnnIndex();
  await store.updateManifest({ complete: true });
  return { rows: total, written: total - resumedAt, resumedAt, annIndex: store.manifest.annIndex !== null };
}

/** An index left with more fragments than this is compacted at the end. */
export const COMPACT_ABOVE_FRAGMENTS = 128;

/** Consecutive batches of one split as one. */
function concatBatches(batches: readonly ItemBatch[], dim: number): ItemBatch {
  if (batches.length === 1) return batches[0] as ItemBatch;
  const rows = batches.reduce((n, b) => n + b.indices.length, 0);
  const vectors = new Float32Array(rows * dim);
  const indices = new Int32Array(rows);
  const labels = batches[0]?.labels === null ? null : new Int32Array(rows);
  let at = 0;
  for (const b of batches) {
    vectors.set(b.vectors, at * dim);
    indices.set(b.indices, at);
    if (labels !== null && b.labels !== null) labels.set(b.labels, at);
    at += b.indices.length;
  }
  const column = <T>(pick: (b: ItemBatch) => readonly T[] | null): T[] | null => (batches[0] !== undefined && pick(batches[0]) === null ? null : batches.flatMap((b) => [...(pick(b) ?? [])]));
  return {
    firstId: (batches[0] as ItemBatch).firstId,
    split: (batches[0] as ItemBatch).split,
    indices,
    labels,
    paths: column((b) => b.paths),
    texts: column((b) => b.texts),
    hashes: batches.flatMap((b) => [...b.hashes]),
    vectors,
  };
}

/**
 * The number m of rows whose ids are exactly 0..m−1; anything stored beyond (a duplicate, an id
 * after a gap) is deleted so appending from m leaves no duplicates and no gaps.
 */
async function validPrefix(store: EmbeddingStore): Promise<number> {
  const ids = await store.storedIds();
  let m = 0;
  while (m < ids.length && ids[m] === m) m++;
  if (m < ids.length) await store.deleteFrom(m);
  return m;
}

async function loadSamples(dataset: Dataset, indices: Int32Array): Promise<Sample[]> {
  if (dataset.loadBatch !== undefined) return dataset.loadBatch(indices);
  return Array.from(indices, (i) => dataset.get(i));
}

/**
 * SHA-256 (128 bits shown) of the input as the encoder sees it: decoded and resized pixels, token
 * ids, log-mel frames, table rows. Two files with the same picture in different formats share a
 * hash; it is the exact-duplicate key of `duplicates`.
 */
export function contentHash(sample: Sample, field: string): string {
  const values = sample.fields[field];
  if (values === undefined) throw new Error(`a sample has no "${field}" field`);
  return createHash("sha256").update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)).digest("hex").slice(0, 32);
}

function describe(splits: readonly { name: string; length: number }[]): string {
  return splits.map((s) => `${s.name} ${s.length}`).join(", ");
}

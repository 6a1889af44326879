import { existsSync, readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { Table as ArrowTable, FixedSizeList, Schema } from "apache-arrow";
import type { Table } from "@lancedb/lancedb";
import { arrow, lancedb } from "./lancedb.js";
import { type StoreManifest, STORE_MANIFEST, plannedRows, readManifest, writeManifest } from "./store-manifest.js";

const TABLE = "items";

/** How much of a text item the table keeps for display. */
export const TEXT_CHARS = 500;

/**
 * Tables above this many rows get an IVF-PQ index by default; below it exact search is fast
 * enough (measured: 10^5 rows of 128 dimensions in ~35 ms per query) and exactly right. LanceDB's
 * own guidance is the same order: an index pays from about 100,000 vectors.
 */
export const ANN_MIN_ROWS = 100_000;

/** Items to append: consecutive ids from `firstId`, one row each. */
export interface ItemBatch {
  readonly firstId: number;
  readonly split: string;
  /** Each item's position in its split (its index in the data set). */
  readonly indices: Int32Array;
  readonly labels: Int32Array | null;
  readonly paths: readonly (string | null)[] | null;
  /** For text: each item's text (the start of it, `TEXT_CHARS`), shown by search and the report. */
  readonly texts: readonly (string | null)[] | null;
  /** Content hash of each item's input (exact duplicates share one). */
  readonly hashes: readonly string[];
  /** `[rows, dim]` row-major. */
  readonly vectors: Float32Array;
}

/** Every row of a store in id order, the shape the mining functions take. */
export interface StoredItems {
  readonly ids: Int32Array;
  readonly splits: readonly string[];
  readonly indices: Int32Array;
  /** -1 where an item has no label. */
  readonly labels: Int32Array;
  readonly paths: readonly (string | null)[];
  readonly texts: readonly (string | null)[];
  readonly hashes: readonly string[];
  readonly vectors: Float32Array;
  readonly dim: number;
}

export interface SearchOptions {
  readonly k: number;
  /** A LanceDB SQL filter over the columns (`label = 3`, `split = 'test'`). */
  readonly where?: string;
  /** Compare with every row even when an ANN index exists. */
  readonly exact?: boolean;
  /** IVF partitions probed (default 40: 4% of the √N partitions at 10^6 rows, 13% at 10^5). */
  readonly nprobes?: number;
  /**
   * Re-rank refineFactor × k PQ candidates by their full vectors (default 20). With 8 sub-vectors
   * on 10^5 clustered 128-d vectors (bench/mining.ts) recall@10 was 0.63 at LanceDB's usual 4 and
   * 0.998 at 10 for +0.6 ms; at 10^6, 0.60 / 0.88 / 0.999 at 20 / 50 / 100, and 0.998 at 20 with the
   * dim/4 sub-vectors `buildAnnIndex` now uses.
   */
  readonly refineFactor?: number;
}

export interface SearchHit {
  readonly id: number;
  readonly split: string;
  readonly index: number;
  readonly label: number | null;
  readonly path: string | null;
  readonly text: string | null;
  /** Cosine similarity to the query. */
  readonly similarity: number;
}

/**
 * A folder holding one LanceDB table of item embeddings and the manifest that says which encoder
 * made them and from what data (`store-manifest.ts`). Columns: `id` (the global ordinal, from 0),
 * `split`, `index` (the position in its split), `label` (null when unlabeled), `path`, `text`, `hash`,
 * `vector` (float32 × dim; compared by cosine).
 */
export class EmbeddingStore {
  readonly dir: string;
  #manifest: StoreManifest;
  readonly #table: Table;

  private constructor(dir: string, manifest: StoreManifest, table: Table) {
    this.dir = dir;
    this.#manifest = manifest;
    this.#table = table;
  }

  get manifest(): StoreManifest {
    return this.#manifest;
  }

  get dim(): number {
    return this.#manifest.encoder.dim;
  }

  /** Makes a new store in `dir`, which must not exist or be empty. */
  static async create(dir: string, manifest: StoreManifest): Promise<EmbeddingStore> {
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw new Error(existsSync(`${dir}/${STORE_MANIFEST}`) ? `${dir}: already a pretext index` : `${dir}: not empty and not a pretext index; give an empty or new folder`);
    }
    await mkdir(dir, { recursive: true });
    const db = await lancedb.connect(dir);
    const table = await db.createEmptyTable(TABLE, itemSchema(manifest.encoder.dim));
    // The manifest goes last: a folder with one is a store whose table exists.
    await writeManifest(dir, manifest);
    return new EmbeddingStore(dir, manifest, table);
  }

  static async open(dir: string): Promise<EmbeddingStore> {
    const manifest = readManifest(dir);
    const db = await lancedb.connect(dir);
    if (!(await db.tableNames()).includes(TABLE)) throw new Error(`${dir}: its table "${TABLE}" is missing; index again into a new folder`);
    return new EmbeddingStore(dir, manifest, await db.openTable(TABLE));
  }

  async count(): Promise<number> {
    return this.#table.countRows();
  }

  /** The ids in the table, sorted. */
  async storedIds(): Promise<Int32Array> {
    const t = await this.#table.query().select(["id"]).toArrow();
    const ids = Int32Array.from(column(t, "id"), Number);
    return ids.sort();
  }

  async append(batch: ItemBatch): Promise<void> {
    await this.#table.add(itemTable(this.dim, batch));
  }

  /** Deletes rows with id ≥ `id` (a resumed index rewrites them). */
  async deleteFrom(id: number): Promise<void> {
    await this.#table.delete(`id >= ${id}`);
  }

  async updateManifest(change: Partial<Pick<StoreManifest, "complete" | "annIndex">>): Promise<void> {
    this.#manifest = { ...this.#manifest, ...change };
    await writeManifest(this.dir, this.#manifest);
  }

  /** Fragments of the table: one per append until `compact` merges them. */
  async fragmentCount(): Promise<number> {
    return (await this.#table.stats()).fragmentStats.numFragments;
  }

  /** Compacts the many small fragments that streaming appends leave. */
  async compact(): Promise<void> {
    await this.#table.optimize({ cleanupOlderThan: new Date() });
  }

  /**
   * Builds the IVF-PQ index over the vectors: √rows partitions and dim/4 sub-vectors (4 dimensions
   * per 8-bit code, 32 bytes per 128-d vector). LanceDB's usual dim/16 codes too coarsely: on 10^6
   * clustered 128-d vectors (the data of bench/mining.ts) recall@10 at 40 probes and
   * refine 20 was 0.60 with 8 sub-vectors, 0.88 with 16 and 0.998 with 32, whose queries were also
   * the fastest (5.2 against 8.2 ms: fewer candidates to re-rank for the same recall); the build took
   * the same ~135 s on 2 cores.
   */
  async buildAnnIndex(options: { readonly subVectors?: number } = {}): Promise<void> {
    const rows = await this.count();
    const partitions = Math.max(1, Math.round(Math.sqrt(rows)));
    const subVectors = largestDivisorAtMost(this.dim, options.subVectors ?? Math.max(1, Math.round(this.dim / 4)));
    await this.#table.createIndex("vector", {
      config: lancedb.Index.ivfPq({ distanceType: "cosine", numPartitions: partitions, numSubVectors: subVectors }),
      replace: true,
    });
    await this.updateManifest({ annIndex: { kind: "ivf_pq", rows, partitions, subVectors } });
  }

  /** Reads every row (or those passing `where`) in id order. */
  async readAll(where?: string): Promise<StoredItems> {
    let query = this.#table.query().select(["id", "split", "index", "label", "path", "text", "hash", "vector"]);
    if (where !== undefined) query = query.where(where);
    const t = await query.toArrow();
    const n = t.numRows;
    // NOTE: an empty result comes back without columns.
    if (n === 0) return { ids: new Int32Array(0), splits: [], indices: new Int32Array(0), labels: new Int32Array(0), paths: [], texts: [], hashes: [], vectors: new Float32Array(0), dim: this.dim };
    const ids = column(t, "id");
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Number(ids[a]) - Number(ids[b]));
    const dim = this.dim;
    const flat = vectorValues(t, dim);
    const split = column(t, "split");
    const index = column(t, "index");
    const label = column(t, "label");
    const path = column(t, "path");
    const text = column(t, "text");
    const hash = column(t, "hash");
    const vectors = new Float32Array(n * dim);
    order.forEach((row, i) => vectors.set(flat.subarray(row * dim, (row + 1) * dim), i * dim));
    return {
      ids: Int32Array.from(order, (r) => Number(ids[r])),
      splits: order.map((r) => String(split[r])),
      indices: Int32Array.from(order, (r) => Number(index[r])),
      labels: Int32Array.from(order, (r) => (label[r] === null ? -1 : Number(label[r]))),
      paths: order.map((r) => (path[r] === null ? null : String(path[r]))),
      texts: order.map((r) => (text[r] === null ? null : String(text[r]))),
      hashes: order.map((r) => String(hash[r])),
      vectors,
      dim,
    };
  }

  /** The stored vector of item `id`, or null when there is none. */
  async vectorOf(id: number): Promise<Float32Array | null> {
    const t = await this.#table.query().where(`id = ${id}`).select(["vector"]).limit(1).toArrow();
    return t.numRows === 0 ? null : vectorValues(t, this.dim).slice(0, this.dim);
  }

  /** The `k` items most cosine-similar to `query`, most similar first. */
  async search(query: Float32Array, options: SearchOptions): Promise<SearchHit[]> {
    if (query.length !== this.dim) throw new Error(`a query of ${query.length} values cannot be compared with this index's ${this.dim}-dimensional vectors`);
    let q = this.#table.vectorSearch(query).distanceType("cosine").select(["id", "split", "index", "label", "path", "text"]).limit(options.k);
    if (options.where !== undefined) q = q.where(options.where);
    if (options.exact === true || this.#manifest.annIndex === null) q = q.bypassVectorIndex();
    else q = q.nprobes(options.nprobes ?? 40).refineFactor(options.refineFactor ?? 20);
    const t = await q.toArrow();
    const ids = column(t, "id");
    const split = column(t, "split");
    const index = column(t, "index");
    const label = column(t, "label");
    const path = column(t, "path");
    const text = column(t, "text");
    const distance = column(t, "_distance");
    const hits: SearchHit[] = [];
    for (let r = 0; r < t.numRows; r++) {
      hits.push({
        id: Number(ids[r]),
        split: String(split[r]),
        index: Number(index[r]),
        label: label[r] === null ? null : Number(label[r]),
        path: path[r] === null ? null : String(path[r]),
        text: text[r] === null ? null : String(text[r]),
        similarity: 1 - Number(distance[r]),
      });
    }
    // Equal similarities in id order, so results do not depend on fragment layout.
    return hits.sort((a, b) => b.similarity - a.similarity || a.id - b.id);
  }

  /** True when every planned row is stored. */
  async isComplete(): Promise<boolean> {
    return this.#manifest.complete && (await this.count()) === plannedRows(this.#manifest);
  }

  close(): void {
    this.#table.close();
  }
}

function itemSchema(dim: number): Schema {
  const { Field, FixedSizeList, Float32, Int32, Int64, Schema, Utf8 } = arrow;
  return new Schema([
    new Field("id", new Int64(), false),
    new Field("split", new Utf8(), false),
    new Field("index", new Int64(), false),
    new Field("label", new Int32(), true),
    new Field("path", new Utf8(), true),
    new Field("text", new Utf8(), true),
    new Field("hash", new Utf8(), false),
    // NOTE: LanceDB's sanitizer rebuilds the list's child field as nullable; declaring it so keeps the schemas equal.
    new Field("vector", new FixedSizeList(dim, new Field("item", new Float32(), true)), false),
  ]);
}

function itemTable(dim: number, b: ItemBatch): ArrowTable {
  const { RecordBatch, Struct, Table, Utf8, makeData, makeVector, vectorFromArray } = arrow;
  const rows = b.indices.length;
  if (b.vectors.length !== rows * dim) throw new Error(`append: ${b.vectors.length} vector values are not ${rows} rows of ${dim}`);
  if (b.hashes.length !== rows || [b.labels, b.paths, b.texts].some((c) => c !== null && c.length !== rows)) {
    throw new Error(`append: the columns of a batch of ${rows} items disagree in length`);
  }
  const schema = itemSchema(dim);
  const vectorType = schema.fields[7]?.type as FixedSizeList;
  const children = [
    makeVector(BigInt64Array.from({ length: rows }, (_, i) => BigInt(b.firstId + i))),
    vectorFromArray(Array.from({ length: rows }, () => b.split), new Utf8()),
    makeVector(BigInt64Array.from(b.indices, (i) => BigInt(i))),
    b.labels === null ? vectorFromArray(new Array<null>(rows).fill(null), new arrow.Int32()) : makeVector(b.labels),
    vectorFromArray(b.paths === null ? new Array<null>(rows).fill(null) : [...b.paths], new Utf8()),
    vectorFromArray(b.texts === null ? new Array<null>(rows).fill(null) : b.texts.map((s) => (s === null ? null : s.slice(0, TEXT_CHARS))), new Utf8()),
    vectorFromArray([...b.hashes], new Utf8()),
    makeVector(makeData({ type: vectorType, length: rows, nullCount: 0, child: makeData({ type: new arrow.Float32(), length: rows * dim, data: b.vectors }) })),
  ].map((v) => v.data[0] as NonNullable<(typeof v.data)[0]>);
  return new Table(schema, new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children })));
}

/** A column's values as a plain array (BigInts for int64, null where null). */
function column(t: ArrowTable, name: string): unknown[] {
  const c = t.getChild(name);
  // NOTE: LanceDB returns an empty result without its columns.
  if (c === null && t.numRows === 0) return [];
  if (c === null) throw new Error(`the index table has no column "${name}"`);
  return c.toArray() as unknown[];
}

/** The `vector` column's floats, `[rows, dim]` row-major. */
function vectorValues(t: ArrowTable, dim: number): Float32Array {
  const out = new Float32Array(t.numRows * dim);
  let at = 0;
  const c = t.getChild("vector");
  if (c === null) throw new Error('the index table has no column "vector"');
  for (const chunk of c.data) {
    const child = chunk.children[0];
    if (child === undefined) continue;
    // A list slice offsets the parent in lists; the child's own offset is in floats.
    const start = child.offset + chunk.offset * dim;
    const values = (child.values as Float32Array).subarray(start, start + chunk.length * dim);
    out.set(values, at);
    at += values.length;
  }
  return out;
}

function largestDivisorAtMost(n: number, most: number): number {
  for (let d = Math.min(n, most); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

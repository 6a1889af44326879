import { l2NormalizeRows, similarityProgram } from "../eval/knn.js";
import { type CompileOptions, type HostTensor, hostTensor } from "../runtime/index.js";
import { TopKSelector } from "./top-k.js";

/**
 * The k most cosine-similar items of each query, most similar first, ties to the lower index.
 * Query q's j-th neighbour is `indices[q * k + j]` (a row of the searched embeddings) with cosine
 * similarity `similarities[q * k + j]`.
 */
export interface Neighbours {
  readonly k: number;
  /** `[queries * k]` */
  readonly indices: Int32Array;
  /** `[queries * k]`, non-increasing within each query. */
  readonly similarities: Float32Array;
}

export interface ExactNeighboursOptions {
  /** Neighbours per query: 10, the k of retrieval precision@10. */
  readonly k?: number;
  /**
   * Bound on query rows × searched rows of one similarity block, the floats ORT returns per run
   * (8M floats = 32 MB: memory O(block × n), never O(n²)).
   */
  readonly blockSize?: number;
  readonly compile?: CompileOptions;
}

export interface SelfNeighboursOptions extends ExactNeighboursOptions {
  /** Only these rows as queries (each still excluded from its own list); default every row. */
  readonly rows?: Int32Array;
}

const DEFAULTS = { k: 10, blockSize: 8_000_000 } as const;

/**
 * Exact cosine k-nearest neighbours of every row of `embeddings: [n, dim]` (or of `rows`) among
 * all the other rows: the item itself is never its own neighbour, an exact copy of it is.
 * Similarities are one ONNX Runtime matmul per block of queries over unit rows; the top-k runs on
 * the host (`TopKSelector`).
 */
export async function exactNeighbours(embeddings: Float32Array, dim: number, options: SelfNeighboursOptions = {}): Promise<Neighbours> {
  const n = checkEmbeddings("exactNeighbours", "embeddings", embeddings, dim);
  const rows = options.rows ?? null;
  if (rows !== null) {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as number;
      if (!(r >= 0 && r < n)) throw new Error(`exactNeighbours: rows[${i}] = ${r} is not a row of the ${n} embeddings`);
    }
  }
  const k = checkK("exactNeighbours", options.k ?? DEFAULTS.k, n - 1, "other rows");
  const unit = l2NormalizeRows(embeddings, dim);
  const queryCount = rows === null ? n : rows.length;
  return blockedTopK(unit, n, dim, queryCount, k, options, (r) => (rows === null ? r : (rows[r] as number)), true);
}

/**
 * Exact cosine k-nearest neighbours of each row of `queries: [q, dim]` among the rows of
 * `embeddings: [n, dim]` (search by example; one-class scoring against a reference set).
 */
export async function exactSearch(embeddings: Float32Array, dim: number, queries: Float32Array, options: ExactNeighboursOptions = {}): Promise<Neighbours> {
  const n = checkEmbeddings("exactSearch", "embeddings", embeddings, dim);
  const q = queries.length === 0 ? 0 : checkEmbeddings("exactSearch", "queries", queries, dim);
  const k = checkK("exactSearch", options.k ?? DEFAULTS.k, n, "rows");
  const unitQueries = l2NormalizeRows(queries, dim);
  const unit = l2NormalizeRows(embeddings, dim);
  return blockedTopK(unit, n, dim, q, k, options, (r) => r, false, unitQueries);
}

/**
 * The shared loop: gathers a block of (unit) query rows, one similarity matmul on ORT, a top-k per
 * row. `queryRow(r)` says which row of `source` (the embeddings themselves unless `queries` is
 * given) is query r; with `excludeSelf` that row is skipped in its own list.
 */
async function blockedTopK(
  unit: Float32Array,
  n: number,
  dim: number,
  queryCount: number,
  k: number,
  options: ExactNeighboursOptions,
  queryRow: (r: number) => number,
  excludeSelf: boolean,
  queries: Float32Array = unit,
): Promise<Neighbours> {
  const indices = new Int32Array(queryCount * k);
  const similarities = new Float32Array(queryCount * k);
  if (queryCount === 0) return { k, indices, similarities };
  const blockSize = options.blockSize ?? DEFAULTS.blockSize;
  if (!(blockSize >= 1)) throw new Error(`exact neighbours: blockSize must be ≥ 1, got ${blockSize}`);
  const block = Math.max(1, Math.min(queryCount, Math.floor(blockSize / n)));
  const program = await similarityProgram(block, n, dim, options.compile ?? {});
  const chunk = new Float32Array(block * dim);
  const searched = hostTensor("float32", [n, dim], unit);
  const selector = new TopKSelector(k);
  for (let start = 0; start < queryCount; start += block) {
    const count = Math.min(block, queryCount - start);
    for (let r = 0; r < count; r++) {
      const row = queryRow(start + r);
      chunk.set(queries.subarray(row * dim, (row + 1) * dim), r * dim);
    }
    if (count < block) chunk.fill(0, count * dim);
    const result = await program.run({ queries: hostTensor("float32", [block, dim], chunk), train: searched });
    const sims = (result.similarity as HostTensor<"float32">).data;
    for (let r = 0; r < count; r++) {
      const q = start + r;
      selector.select(sims.subarray(r * n, (r + 1) * n), excludeSelf ? queryRow(q) : -1, similarities.subarray(q * k, (q + 1) * k), indices.subarray(q * k, (q + 1) * k));
    }
  }
  return { k, indices, similarities };
}

/** The row count of a `[n, dim]` matrix, refusing a ragged length or a non-finite value. */
export function checkEmbeddings(where: string, name: string, x: Float32Array, dim: number): number {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`${where}: dim must be a positive integer, got ${dim}`);
  const n = x.length / dim;
  if (!Number.isInteger(n) || n === 0) throw new Error(`${where}: ${name} hold ${x.length} values, not rows of ${dim}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i] as number)) throw new Error(`${where}: ${name} [row ${Math.floor(i / dim)}, column ${i % dim}] is ${x[i]}`);
  }
  return n;
}

function checkK(where: string, k: number, available: number, what: string): number {
  if (!Number.isInteger(k) || k < 1 || k > available) throw new Error(`${where}: k must be an integer in [1, ${available}] (the ${what}), got ${k}`);
  return k;
}

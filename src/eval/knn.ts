import { Graph } from "../graph/index.js";
import { matmul, transposeLast2 } from "../ops/index.js";
import { type CompileOptions, type HostTensor, Program, hostTensor } from "../runtime/index.js";
import { accuracy } from "./accuracy.js";
import type { LabeledFeatures } from "./linear-probe.js";

export interface KnnOptions {
  /** Neighbours that vote; 20 as InstDisc (Wu et al. 2018) and solo-learn's kNN callback. */
  readonly k?: number;
  /**
   * "temperature": a neighbour with cosine similarity s votes exp(s / T) for its class
   * (InstDisc eq. 8, solo-learn's `WeightedKNNClassifier`); "uniform": one vote each
   * (scikit-learn `KNeighborsClassifier(metric="cosine")`, as the PyTorch anchor).
   */
  readonly weighting?: "temperature" | "uniform";
  /** T of the temperature weighting: 0.07 as InstDisc and solo-learn. */
  readonly temperature?: number;
  /** Bound on query rows × train rows of one similarity block (floats fetched per run). */
  readonly blockSize?: number;
  readonly compile?: CompileOptions;
}

const DEFAULTS = { k: 20, temperature: 0.07, blockSize: 8_000_000 } as const;

/**
 * Classifies each query row by a vote of its k most cosine-similar train rows. Similarities are
 * one matmul per block of queries on ONNX Runtime ([Q, D]·[D, N], 10k×1k rows of D = 128 in
 * tens of milliseconds); the top-k selection and the vote run on the host.
 *
 * @returns `[queries]` predicted classes (ties go to the lower class id)
 */
export async function knnPredict(train: LabeledFeatures, queries: Float32Array, dim: number, numClasses: number, options: KnnOptions = {}): Promise<Int32Array> {
  const { k = DEFAULTS.k, weighting = "temperature", temperature = DEFAULTS.temperature, blockSize = DEFAULTS.blockSize } = options;
  const n = train.labels.length;
  const q = queries.length / dim;
  if (train.features.length !== n * dim) throw new Error(`knnPredict: train features hold ${train.features.length} values, not ${n} rows of ${dim}`);
  if (!Number.isInteger(q)) throw new Error(`knnPredict: ${queries.length} query values are not rows of ${dim}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`knnPredict: k must be an integer in [1, ${n}], got ${k}`);
  if (!(temperature > 0)) throw new Error(`knnPredict: temperature must be > 0, got ${temperature}`);

  const trainUnit = l2NormalizeRows(train.features, dim);
  const queryUnit = l2NormalizeRows(queries, dim);
  const block = Math.max(1, Math.min(q, Math.floor(blockSize / n)));
  const program = await similarityProgram(block, n, dim, options.compile ?? {});
  const out = new Int32Array(q);
  const topSim = new Float32Array(k);
  const topIdx = new Int32Array(k);
  const votes = new Float64Array(numClasses);
  const chunk = new Float32Array(block * dim);
  const trainFeed = hostTensor("float32", [n, dim], trainUnit);
  for (let start = 0; start < q; start += block) {
    const rows = Math.min(block, q - start);
    chunk.set(queryUnit.subarray(start * dim, (start + rows) * dim));
    if (rows < block) chunk.fill(0, rows * dim);
    const result = await program.run({ queries: hostTensor("float32", [block, dim], chunk), train: trainFeed });
    const sims = (result.similarity as HostTensor<"float32">).data;
    for (let r = 0; r < rows; r++) {
      topK(sims.subarray(r * n, (r + 1) * n), k, topSim, topIdx);
      votes.fill(0);
      for (let j = 0; j < k; j++) {
        const y = train.labels[topIdx[j] as number] as number;
        // NOTE: s ∈ [−1, 1], so exp(s/T) ≤ e^{1/0.07} ≈ 1.6e6: no overflow, no need to subtract a max.
        votes[y] = (votes[y] as number) + (weighting === "uniform" ? 1 : Math.exp((topSim[j] as number) / temperature));
      }
      let best = 0;
      for (let c = 1; c < numClasses; c++) if ((votes[c] as number) > (votes[best] as number)) best = c;
      out[start + r] = best;
    }
  }
  return out;
}

/** kNN accuracy of `test` against `train` (see `knnPredict`). */
export async function knnAccuracy(train: LabeledFeatures, test: LabeledFeatures, dim: number, numClasses: number, options: KnnOptions = {}): Promise<number> {
  return accuracy(await knnPredict(train, test.features, dim, numClasses, options), test.labels);
}

/**
 * Rows of a `[·, dim]` matrix scaled to unit length.
 * NOTE: a zero row stays zero (its norm is floored at 1e-12), so it is equally far from all.
 */
export function l2NormalizeRows(x: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (x[r * dim + j] as number) ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < dim; j++) out[r * dim + j] = (x[r * dim + j] as number) * inv;
  }
  return out;
}

/** Fills `sim`/`idx` with the k largest values of `row` and their indices, largest first. */
function topK(row: Float32Array, k: number, sim: Float32Array, idx: Int32Array): void {
  sim.fill(-Infinity);
  idx.fill(0);
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (v <= (sim[k - 1] as number)) continue;
    let j = k - 1;
    while (j > 0 && (sim[j - 1] as number) < v) {
      sim[j] = sim[j - 1] as number;
      idx[j] = idx[j - 1] as number;
      j--;
    }
    sim[j] = v;
    idx[j] = i;
  }
}

const programs = new Map<string, Promise<Program>>();

/** A cached session computing `[block, dim]·[n, dim]ᵀ` (cosine similarities of unit rows); shared with `src/mining`. */
export function similarityProgram(block: number, n: number, dim: number, compile: CompileOptions): Promise<Program> {
  const key = `${block}x${n}x${dim}`;
  let program = programs.get(key);
  if (program === undefined) {
    const graph = new Graph();
    const queries = graph.input("queries", [block, dim]);
    const train = graph.input("train", [n, dim]);
    program = Program.compile(graph, { inputs: [queries, train], outputs: { similarity: matmul(queries, transposeLast2(train)) } }, compile);
    programs.set(key, program);
    program.catch(() => programs.delete(key));
  }
  return program;
}

/** Frees the cached similarity sessions. */
export async function releaseKnnPrograms(): Promise<void> {
  const all = [...programs.values()];
  programs.clear();
  await Promise.all(all.map(async (p) => (await p).release()));
}

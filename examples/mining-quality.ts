/**
 * How well the mining verbs work on learned embeddings (issue 16, part 3), on the bundled MNIST:
 * a pretrained run's encoder against raw pixels and the same encoder untrained (seed + 1, as
 * `pretext eval`'s `random` baseline).
 *
 * - retrieval: every one of the 10,000 digits queries the other 9,999 by cosine similarity;
 *   label-agreement precision@10 and MAP@R (Musgrave et al. 2020).
 * - outliers, one class against the rest (Bergman et al. 2020's deep-kNN protocol): each digit
 *   in turn is "normal"; its digits of the 9,000 training split are the reference, and each of
 *   the 1,000 held-out digits is scored by its cosine distance to its 2nd nearest reference digit
 *   (the paper's k = 2); ROC-AUC and AUPRC with the other nine digits as the anomalies.
 * - duplicates: copies of 300 digits are planted among the 10,000 (100 exact, 100 lightly
 *   augmented: ±5° rotation, ±2 px shift, noise σ 0.02; 100 through SimCLR's own augmentation),
 *   all are embedded, and `duplicateGroups` runs at `defaultDuplicateThreshold` (and, for the
 *   record, at other fences). A predicted pair is any two items of one group; it is right when it
 *   is an original and its copy.
 * - clusters: the k the silhouette rule picks, and the weighted purity at that k and at k = 10.
 * `--embeddings name=file.safetensors` adds the retrieval figures for any file `pretext embed`
 * wrote with labels. `--text-run <run>` adds retrieval on a text run's held-out documents (e.g. a
 * `simcse` run on `fortunes`): its encoder, the same encoder untrained, and TF-IDF (fitted on the
 * training documents, scikit-learn's defaults) as the raw features.
 *
 * Run: `npx tsx examples/mining-quality.ts --run <simclr-run> [--sections retrieval,outliers,duplicates,clusters]
 *   [--embeddings fortunes-mlm=file.safetensors ...]`; `--scale N` only times `exactNeighbours` of N
 *   random 128-dimensional vectors (k = 10).
 * Prints one JSON line per figure on stdout, progress on stderr.
 */
import { parseArgs } from "node:util";
import { loadData } from "../src/cli/data.js";
import { loadRunEncoder } from "../src/cli/run-encoder.js";
import { runTokenizer } from "../src/cli/text-data.js";
import { csrToDense } from "../src/eval/csr.js";
import { TfidfVectorizer } from "../src/eval/tfidf.js";
import { makeEncoder } from "../src/cli/encoder.js";
import type { Dataset } from "../src/data/dataset.js";
import { applyPipeline, colorJitter, gaussianNoise, randomAffine, simclrMnistPipeline } from "../src/data/image/augment/index.js";
import { imageDataset } from "../src/data/image/image-dataset.js";
import { MNIST_SHAPE, loadMnist, mnistSplitIndices } from "../src/data/image/mnist.js";
import { embedDataset, rawFeatures, releaseEmbeddings } from "../src/eval/index.js";
import type { Encoder } from "../src/methods/method.js";
import * as mining from "../src/mining/index.js";
import { Rng } from "../src/random/rng.js";
import { readSafetensors } from "../src/train/safetensors.js";

const { values: flags } = parseArgs({
  options: {
    run: { type: "string" },
    sections: { type: "string", default: "retrieval,outliers,duplicates,clusters" },
    embeddings: { type: "string", multiple: true, default: [] },
    "text-run": { type: "string" },
    scale: { type: "string" },
  },
});
if (flags.scale !== undefined) {
  // Exact self-neighbours of N synthetic vectors of 128 dimensions, k = 10: the time, and nothing else.
  const n = Number(flags.scale);
  const x = new Rng(0).normalArray(n * 128);
  const started = performance.now();
  const neighbours = await mining.exactNeighbours(x, 128, { k: 10 });
  process.stdout.write(`${JSON.stringify({ figure: "exact-neighbours-time", n, dim: 128, k: neighbours.k, seconds: (performance.now() - started) / 1000 })}\n`);
  process.exit(0);
}
const sections = new Set(flags.sections.split(","));
const log = (s: string) => process.stderr.write(`${s}\n`);
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
if (flags["text-run"] !== undefined) {
  await textRetrieval(flags["text-run"]);
  if (flags.run === undefined) process.exit(0);
}
if (flags.run === undefined) throw new Error("give --run <run-dir> (a `pretext pretrain` run on mnist)");

interface FeatureSet {
  readonly name: string;
  readonly embed: (dataset: Dataset) => Promise<{ data: Float32Array; dim: number }>;
}

const { encoder: trained, pretrain, spec } = await loadRunEncoder(flags.run);
const untrained = makeEncoder(pretrain.encoder, spec, new Rng(pretrain.seed + 1));
const viaEncoder = (encoder: Encoder) => async (dataset: Dataset) => {
  const e = await embedDataset(encoder, dataset);
  return { data: e.data, dim: e.dim };
};
const featureSets: FeatureSet[] = [
  { name: `ssl (${pretrain.method})`, embed: viaEncoder(trained) },
  { name: "raw pixels", embed: async (d) => ({ data: rawFeatures(d).data, dim: rawFeatures(d).dim }) },
  { name: "untrained", embed: viaEncoder(untrained) },
];

const digits = loadMnist();
const labels = digits.labels as Int32Array;
const embedded = new Map<string, { data: Float32Array; dim: number }>();
for (const set of featureSets) {
  log(`embedding the 10,000 digits: ${set.name}`);
  embedded.set(set.name, await set.embed(digits));
}

function rows(x: Float32Array, dim: number, ids: Int32Array): Float32Array {
  const out = new Float32Array(ids.length * dim);
  ids.forEach((id, r) => out.set(x.subarray(id * dim, (id + 1) * dim), r * dim));
  return out;
}

async function retrieval(name: string, data: Float32Array, dim: number, y: ArrayLike<number>): Promise<void> {
  const started = performance.now();
  const retrievalLabels = { queryLabels: y };
  const neighbours = await mining.exactNeighbours(data, dim, { k: mining.largestClassMatchCount(retrievalLabels) });
  print({
    figure: "retrieval",
    features: name,
    items: y.length,
    dim,
    precision_at_10: mining.precisionAtK(neighbours, retrievalLabels, 10),
    map_at_r: mining.meanAveragePrecisionAtR(neighbours, retrievalLabels),
    seconds: (performance.now() - started) / 1000,
  });
}

if (sections.has("retrieval")) {
  for (const [name, { data, dim }] of embedded) await retrieval(name, data, dim, labels);
  for (const entry of flags.embeddings) {
    const [name, path] = entry.split("=") as [string, string | undefined];
    if (path === undefined) throw new Error(`--embeddings ${entry}: give name=file.safetensors`);
    const file = await readSafetensors(path);
    const emb = file.tensors.get("embeddings");
    const y = file.tensors.get("labels");
    if (emb === undefined || y === undefined || !(emb.data instanceof Float32Array) || !(y.data instanceof BigInt64Array)) throw new Error(`${path}: needs embeddings F32 [N, D] and labels I64 [N]`);
    await retrieval(name, emb.data, emb.shape[1] as number, Int32Array.from(y.data, Number));
  }
}

if (sections.has("outliers")) {
  const split = mnistSplitIndices();
  const testLabels = Int32Array.from(split.test, (i) => labels[i] as number);
  for (const [name, { data, dim }] of embedded) {
    const queries = rows(data, dim, split.test);
    const perDigit: { digit: number; roc_auc: number; auprc: number }[] = [];
    for (let digit = 0; digit < 10; digit++) {
      const reference = rows(data, dim, split.train.filter((i) => labels[i] === digit));
      const scores = mining.kthNeighbourDistance(await mining.exactSearch(reference, dim, queries, { k: 2 }));
      const isAnomaly = Uint8Array.from(testLabels, (y) => (y === digit ? 0 : 1));
      perDigit.push({ digit, roc_auc: mining.rocAuc(scores, isAnomaly), auprc: mining.averagePrecision(scores, isAnomaly) });
    }
    const mean = (key: "roc_auc" | "auprc") => perDigit.reduce((s, d) => s + d[key], 0) / perDigit.length;
    print({ figure: "one-class", features: name, k: 2, mean_roc_auc: mean("roc_auc"), mean_auprc: mean("auprc"), anomaly_share: 0.9, per_digit: perDigit });
  }
}

if (sections.has("duplicates")) {
  const rng = new Rng(16);
  const originals = rng.permutation(digits.length).subarray(0, 300).slice();
  const size = 28 * 28;
  const pixels = rawFeatures(digits).data;
  const light = [randomAffine({ degrees: 5, translate: [2 / 28, 2 / 28] }), colorJitter({ brightness: 0.1, contrast: 0.1, saturation: 0, hue: 0, probability: 1 }), gaussianNoise({ std: 0.02 })];
  const kinds = [
    { kind: "exact", pipeline: null },
    { kind: "light augmentation", pipeline: light },
    { kind: "simclr augmentation", pipeline: simclrMnistPipeline() },
  ] as const;
  const copies = new Float32Array(300 * size);
  kinds.forEach(({ pipeline }, t) => {
    const ids = originals.subarray(t * 100, (t + 1) * 100);
    const batch = rows(pixels, size, ids);
    copies.set(pipeline === null ? batch : applyPipeline(pipeline, batch, [100, ...MNIST_SHAPE], rng), t * 100 * size);
  });
  const all = new Float32Array((digits.length + 300) * size);
  all.set(pixels);
  all.set(copies, digits.length * size);
  const planted = imageDataset(all, MNIST_SHAPE, { labels: Int32Array.from({ length: digits.length + 300 }, (_, i) => (i < digits.length ? (labels[i] as number) : (labels[originals[i - digits.length] as number] as number))), numClasses: 10 });
  // The copy of original r is item 10,000 + r.
  const copyOf = new Map<number, number>(Array.from(originals, (o, r) => [digits.length + r, o]));
  for (const set of featureSets) {
    const { data, dim } = await set.embed(planted);
    const neighbours = await mining.exactNeighbours(data, dim, { k: 10 });
    const nearest = Float32Array.from({ length: planted.length }, (_, i) => neighbours.similarities[i * 10] as number);
    for (const fence of [2, 3, 4, 5, 6, 8, 10]) {
      const threshold = mining.defaultDuplicateThreshold(nearest, { fence });
      const groups = mining.duplicateGroups(neighbours, threshold);
      let predicted = 0;
      let right = 0;
      const found = new Set<number>();
      for (const g of groups) {
        predicted += (g.length * (g.length - 1)) / 2;
        for (const member of g) {
          const original = copyOf.get(member);
          if (original !== undefined && g.includes(original)) {
            right++;
            found.add(member - digits.length);
          }
        }
      }
      const recall = kinds.map(({ kind }, t) => ({ kind, recall: Array.from({ length: 100 }, (_, r) => t * 100 + r).filter((r) => found.has(r)).length / 100 }));
      print({ figure: "duplicates", features: set.name, fence, threshold, groups: groups.length, largest_group: groups[0]?.length ?? 0, predicted_pairs: predicted, precision: predicted === 0 ? null : right / predicted, recall: found.size / 300, recall_by_kind: recall });
    }
  }
}

if (sections.has("clusters")) {
  for (const [name, { data, dim }] of embedded) {
    const weightedPurity = (r: mining.ClusterResult) => r.clusters.reduce((s, c) => s + (c.purity ?? 0) * c.size, 0) / digits.length;
    const chosen = mining.findClusters(data, dim, { labels });
    const ten = mining.findClusters(data, dim, { labels, k: 10 });
    print({ figure: "clusters", features: name, silhouette_k: chosen.k, silhouettes: chosen.silhouettes, purity_at_silhouette_k: weightedPurity(chosen), purity_at_10: weightedPurity(ten) });
  }
}
await releaseEmbeddings(trained);
await releaseEmbeddings(untrained);

/** Retrieval on a text run's held-out documents: its encoder, the encoder untrained, TF-IDF. */
async function textRetrieval(runDir: string): Promise<void> {
  const run = await loadRunEncoder(runDir);
  if (run.text === null) throw new Error(`${runDir}: not a text run`);
  const loaded = await loadData(run.pretrain.data, run.pretrain.labels, { textColumn: run.pretrain.textColumn, text: { tokenizer: runTokenizer(run.run), length: run.text.context } });
  const documents = loaded.text?.source.kind === "documents" ? loaded.text.source : null;
  const test = loaded.test;
  if (documents === null || test === null || documents.test === null || documents.test === undefined || test.labels === undefined) throw new Error(`${runDir}: its data has no labeled held-out documents`);
  const labels = test.labels;
  const untrained = makeEncoder(run.pretrain.encoder, run.spec, new Rng(run.pretrain.seed + 1), run.text);
  const tfidf = new TfidfVectorizer({ dtype: "float32" }).fit(documents.train.texts);
  const sparse = tfidf.transform(documents.test.texts);
  const sets: [string, () => Promise<{ data: Float32Array; dim: number }>][] = [
    [`${run.pretrain.method} on ${run.pretrain.data}`, async () => embedDataset(run.encoder, test)],
    ["untrained", async () => embedDataset(untrained, test)],
    ["tf-idf", async () => ({ data: Float32Array.from(csrToDense(sparse)), dim: sparse.cols })],
  ];
  for (const [name, embed] of sets) {
    log(`embedding ${test.length} held-out documents: ${name}`);
    const { data, dim } = await embed();
    const retrievalLabels = { queryLabels: labels };
    const neighbours = await mining.exactNeighbours(data, dim, { k: mining.largestClassMatchCount(retrievalLabels) });
    print({ figure: "retrieval", data: run.pretrain.data, features: name, items: test.length, dim, precision_at_10: mining.precisionAtK(neighbours, retrievalLabels, 10), map_at_r: mining.meanAveragePrecisionAtR(neighbours, retrievalLabels) });
  }
  await releaseEmbeddings(run.encoder);
  await releaseEmbeddings(untrained);
}

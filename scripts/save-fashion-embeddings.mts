// Pretrains rotation on Fashion-MNIST for a budget (seconds, default 120) and writes the frozen
// embeddings of the train and test images for probe experiments (scripts/few-label-classifiers.py):
// /tmp/fm-{train,test}.f32 (float32 rows) and /tmp/fm-{train,test}.labels (int32).
// npx tsx scripts/save-fashion-embeddings.mts 120
import { writeFileSync } from "node:fs";
import { fashionMnistSplit } from "../src/data/image/fashion-mnist.js";
import { embedDataset } from "../src/eval/index.js";
import { pretrain } from "../src/methods/pretrain.js";
import { methods } from "../src/methods/registry.js";
import { SmallCnn } from "../src/nn/index.js";
import { Rng } from "../src/random/rng.js";
import { workerBackend } from "../src/runtime/worker-backend.js";

const data = fashionMnistSplit();
const encoder = new SmallCnn(new Rng(0), { poolGrid: 3 });
const method = methods.rotation;
if (method === undefined) throw new Error("no rotation method");
const { step } = await pretrain({ method, encoder, dataset: data.train, batchSize: 256, epochs: Number.POSITIVE_INFINITY, seed: 0, timeBudgetSeconds: Number(process.argv[2] ?? 120), compile: { backend: workerBackend } });
await step.release();
for (const [name, dataset] of [["train", data.train], ["test", data.test]] as const) {
  const embeddings = await embedDataset(encoder, dataset, { bind: "constant" });
  writeFileSync(`/tmp/fm-${name}.f32`, embeddings.data);
  writeFileSync(`/tmp/fm-${name}.labels`, Int32Array.from({ length: dataset.length }, (_, i) => dataset.get(i).label as number));
  console.log(name, embeddings.dim, dataset.length);
}
process.exit(0);

// One image-recipe trial (how src/methods/recipes.ts was measured): pretrain one method on one
// benchmark under a budget with the library, evaluate the frozen encoder (10 labels per class over
// 3 seeded draws, linear probe on every label, kNN k = 20), print one line and append it to
// .scratch/image-recipe-trials.txt. --enc takes SmallCnn options (poolGrid, outChannels) or, with
// --mlp, MlpEncoder sizes (hidden, outputDim); --opts overrides the method options as run.
// --aug replaces the method's views by BYOL's two (src/data/image/augment/presets.ts) with another
// crop area range and an optional horizontal flip: --aug '{"scale":[0.2,1],"flip":true}'.
// npx tsx scripts/image-recipe-trial.mts --name N --data mnist|fashion-mnist --method simclr --budget 180 --batch 256 --opts '{"temperature":1}' --enc '{"outChannels":128,"poolGrid":1}' [--mlp]
import { appendFileSync, mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { byolPreset } from "../src/data/image/augment/index.js";
import { mnistSplit } from "../src/data/image/mnist.js";
import { fashionMnistSplit } from "../src/data/image/fashion-mnist.js";
import { evaluateEncoder } from "../src/eval/index.js";
import { pretrain } from "../src/methods/pretrain.js";
import { methods } from "../src/methods/registry.js";
import { MlpEncoder, SmallCnn } from "../src/nn/index.js";
import { Rng } from "../src/random/rng.js";
import { workerBackend } from "../src/runtime/worker-backend.js";

const { values: a } = parseArgs({ options: { name: { type: "string" }, data: { type: "string", default: "fashion-mnist" }, method: { type: "string", default: "simclr" }, budget: { type: "string", default: "180" }, batch: { type: "string", default: "256" }, opts: { type: "string", default: "{}" }, enc: { type: "string", default: "{}" }, mlp: { type: "boolean", default: false }, aug: { type: "string" }, seed: { type: "string", default: "0" }, steps: { type: "string" } } });
const data = a.data === "mnist" ? mnistSplit() : fashionMnistSplit();
const method = methods[a.method as string];
if (method === undefined) throw new Error(`no method ${a.method}`);
const seed = Number(a.seed);
const enc = JSON.parse(a.enc as string);
const make = () => (a.mlp ? new MlpEncoder(new Rng(seed), { inputShape: [1, 28, 28], hidden: enc.hidden ?? [512], outputDim: enc.outputDim ?? 128, norm: "batch" }) : new SmallCnn(new Rng(seed), enc));
const encoder = make();
const methodOptions: Record<string, unknown> = JSON.parse(a.opts as string);
if (a.aug !== undefined) {
  const { scale, flip } = JSON.parse(a.aug) as { scale?: [number, number]; flip?: boolean };
  methodOptions.augmentation = byolPreset({ ...(scale === undefined ? {} : { cropScale: scale }), horizontalFlip: flip === true });
}
const load0 = loadavg()[0] ?? 0;
const t0 = performance.now();
const { fit, step } = await pretrain({ method, encoder, dataset: data.train, batchSize: Number(a.batch), epochs: Number.POSITIVE_INFINITY, seed, timeBudgetSeconds: Number(a.budget), ...(a.steps ? { maxSteps: Number(a.steps) } : {}), methodOptions, compile: { backend: workerBackend } });
await step.release();
const secs = (performance.now() - t0) / 1000;
const r = await evaluateEncoder(encoder, data, { perClass: [10], draws: 3, seed: 0 });
const pct = (x: number | null | undefined) => (x === undefined || x === null ? "-" : (100 * x).toFixed(1));
const line = `${a.name} ${a.data} ${a.method} b${a.batch} ${a.budget}s steps=${fit.steps} ${secs.toFixed(0)}s load0=${load0.toFixed(1)} dim=${r.dim} lin10=${pct(r.linearPerClass[0]?.accuracy.mean)} linAll=${pct(r.linearAll?.accuracy)} knn=${pct(r.knn)} nmi=${r.clustering?.nmi.toFixed(3) ?? "-"} | opts=${a.opts} enc=${a.enc}${a.mlp ? " mlp" : ""}${a.aug ? ` aug=${a.aug}` : ""}`;
console.log(line);
const trials = new URL("../.scratch/", import.meta.url);
mkdirSync(trials, { recursive: true });
appendFileSync(new URL("image-recipe-trials.txt", trials), `${line}\n`);
process.exit(0);

// One image fine-tuning trial (how the CLI's image fine-tune recipe was chosen): a run's pretrained
// encoder fine-tuned end to end with a new head on 10 labels per class (3 seeded draws, the linear
// probe's), scored on the test set; the same network trained from scratch on the same labels
// beside it with --scratch. --opts overrides FinetuneOptions; --augment adds SimCLR's crops and
// intensity jitter (src/data/image/augment/presets.ts) to every training batch.
// npx tsx scripts/image-finetune-trial.mts --run runs/vicreg --data fashion-mnist --opts '{"steps":300}' [--augment] [--scratch]
import { parseArgs } from "node:util";
import { loadEncoder, makeEncoder } from "../src/cli/encoder.js";
import { compose, simclrMnistPipeline } from "../src/data/image/augment/index.js";
import { fashionMnistSplit } from "../src/data/image/fashion-mnist.js";
import { mnistSplit } from "../src/data/image/mnist.js";
import { type FinetuneOptions, baselines, finetunePerClass } from "../src/eval/index.js";

const { values: a } = parseArgs({ options: { run: { type: "string" }, data: { type: "string", default: "fashion-mnist" }, opts: { type: "string", default: "{}" }, augment: { type: "boolean", default: false }, scratch: { type: "boolean", default: false }, draws: { type: "string", default: "3" } } });
if (a.run === undefined) throw new Error("--run <run-dir> is required");
const data = a.data === "mnist" ? mnistSplit() : fashionMnistSplit();
const { encoder } = await loadEncoder(`${a.run}/encoder.safetensors`, "small-cnn-grid", 0);
const crops = compose(simclrMnistPipeline());
const recipe: FinetuneOptions = { ...JSON.parse(a.opts as string), ...(a.augment ? { augment: (images: Float32Array, shape: readonly [number, number, number, number], rng: Parameters<typeof crops>[1]) => crops({ images, shape }, rng) } : {}) };
const draws = Number(a.draws);
const t0 = performance.now();
const [tuned] = await finetunePerClass(encoder, data, { perClass: [10], draws, finetune: recipe });
const seconds = (performance.now() - t0) / 1000;
const pct = (x: number) => (100 * x).toFixed(1);
let line = `finetune ${a.data} ${a.run} 10/class ${pct(tuned?.accuracy.mean ?? Number.NaN)} ± ${pct(tuned?.accuracy.sd ?? Number.NaN)} (${seconds.toFixed(0)} s) | opts=${a.opts}${a.augment ? " augment" : ""}`;
if (a.scratch) {
  const b = await baselines(data, { perClass: [], linearAll: false, rawFeatures: false, makeEncoder: (rng) => makeEncoder("small-cnn-grid", data.train.spec, rng), supervised: { perClass: [10], draws, finetune: recipe } });
  line += ` | scratch ${pct(b.supervised[0]?.accuracy.mean ?? Number.NaN)} ± ${pct(b.supervised[0]?.accuracy.sd ?? Number.NaN)}`;
}
console.log(line);
process.exit(0);

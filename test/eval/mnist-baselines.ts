/**
 * Measures the baselines of the downstream protocol on the bundled MNIST (9,000 train / 1,000 test):
 * raw pixels and a randomly initialized SmallCnn, plus the SmallCnn trained supervised on 10 labels
 * per class (unless --no-supervised). Not a test (slow): `npx tsx test/eval/mnist-baselines.ts`.
 */
import { mnistSplit } from "../../src/data/image/mnist.js";
import { baselines, formatEvaluation } from "../../src/eval/index.js";
import { SmallCnn } from "../../src/nn/index.js";

const supervised = !process.argv.includes("--no-supervised");
const { train, test } = mnistSplit();
const start = performance.now();
const r = await baselines(
  { train, test },
  { makeEncoder: (rng) => new SmallCnn(rng), supervised: supervised ? { perClass: [10], draws: 3 } : false },
);
if (r.rawFeatures !== null) console.log(`raw pixels     ${formatEvaluation(r.rawFeatures)}`);
console.log(`random SmallCnn ${formatEvaluation(r.randomEncoder)}`);
for (const s of r.supervised) console.log(`supervised ${s.perClass}/class: ${(100 * s.accuracy.mean).toFixed(1)} ± ${(100 * s.accuracy.sd).toFixed(1)}% (${s.accuracy.values.join(", ")})`);
console.log(JSON.stringify({ ...r, wallSeconds: (performance.now() - start) / 1000 }));

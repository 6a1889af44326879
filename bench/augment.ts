/**
 * Time to make two SimCLR views (the anchor's MNIST pipeline: crop + rotation + shear in one
 * affine resample, brightness/contrast jitter, noise) of a batch of 256 bundled MNIST digits.
 * The budget is 25% of a SimCLR training step on the same batch.
 * Run: `npx tsx bench/augment.ts [runs]`; prints one JSON line.
 */
import { multiView, simclrPreset } from "../src/data/image/augment/index.js";
import { loadMnist } from "../src/data/image/mnist.js";
import { Rng } from "../src/random/rng.js";
import { sampleImage } from "../src/data/image/image-dataset.js";

const runs = Number(process.argv[2] ?? 20);
const warmup = 5;
const [batchSize, c, h, w] = [256, 1, 28, 28] as const;

const mnist = loadMnist();
const images = new Float32Array(batchSize * c * h * w);
for (let i = 0; i < batchSize; i++) images.set(sampleImage(mnist.get(i * 37)), i * c * h * w);
const batch = { images, shape: [batchSize, c, h, w] as const };
const views = multiView(simclrPreset().views);

const times: number[] = [];
for (let r = 0; r < warmup + runs; r++) {
  const rng = new Rng(r);
  const start = performance.now();
  const out = views(batch, rng);
  const ms = performance.now() - start;
  if (out.length !== 2) throw new Error("expected two views");
  if (r >= warmup) times.push(ms);
}
times.sort((a, b) => a - b);
const mid = times.length >> 1;
const median = times.length % 2 ? (times[mid] as number) : ((times[mid - 1] as number) + (times[mid] as number)) / 2;
console.log(JSON.stringify({ bench: "augment_simclr_2views", unit: "ms", ours: Number(median.toFixed(2)) }));

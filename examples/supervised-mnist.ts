/**
 * Supervised training of the small CNN on the bundled MNIST: the proof that the engine learns.
 * 9,000 digits train it, the fixed stratified 1,000 test it. Run: `npx tsx examples/supervised-mnist.ts [epochs]`.
 * Prints one JSON line: {"test_accuracy": …, "epochs": …, "train_seconds": …}.
 */
import { DataLoader, batchField } from "../src/data/loader.js";
import { mnistSplit } from "../src/data/image/mnist.js";
import { SmallCnn } from "../src/nn/encoders/small-cnn.js";
import { Linear } from "../src/nn/linear.js";
import { crossEntropyWithLogits } from "../src/ops/index.js";
import { adam, warmupCosine } from "../src/optim/index.js";
import { Rng } from "../src/random/rng.js";
import { hostTensor } from "../src/runtime/index.js";
import { fit } from "../src/train/fit.js";
import { TrainStep } from "../src/train/train-step.js";
import { classify } from "./classify.js";

export async function trainSupervisedMnist(epochs: number, seed = 0): Promise<{ test_accuracy: number; epochs: number; train_seconds: number }> {
  const { train, test } = mnistSplit();
  const batchSize = 64;
  const rng = new Rng(seed);
  const encoder = new SmallCnn(rng); // [N, 1, 28, 28] → [N, 128]
  const head = new Linear(128, 10, rng); // [N, 128] → [N, 10]
  const loader = new DataLoader(train, { batchSize, seed });
  const step = await TrainStep.compile({
    modules: { encoder, head },
    batch: { x: { shape: [batchSize, 1, 28, 28] }, y: { shape: [batchSize], dtype: "int64" } },
    loss: (ctx, { x, y }) => ({ loss: crossEntropyWithLogits(head.call(ctx, encoder.call(ctx, x)), y) }),
    optimizer: adam({ lr: warmupCosine({ baseLr: 3e-3, warmupSteps: Math.ceil(0.1 * epochs * loader.batchesPerEpoch), totalSteps: epochs * loader.batchesPerEpoch }) }),
    seed,
  });

  const result = await fit({
    step,
    loader,
    epochs,
    feeds: (b) => ({ x: batchField(b, "image", "float32", "supervised training"), y: hostTensor("int64", [batchSize], b.labels as BigInt64Array) }),
    callbacks: [{ onEpochEnd: (e) => console.error(`epoch ${e.epoch + 1}/${epochs}  loss ${e.meanLoss.toFixed(4)}  ${e.elapsedSeconds.toFixed(1)}s`) }],
  });
  step.syncToModules();
  const predictions = await classify([encoder, head], test);
  const labels = test.labels as Int32Array;
  const correct = predictions.reduce((n, p, i) => n + (p === labels[i] ? 1 : 0), 0);
  await step.release();
  return { test_accuracy: correct / test.length, epochs, train_seconds: result.elapsedSeconds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const epochs = Number(process.argv[2] ?? 6);
  console.log(JSON.stringify(await trainSupervisedMnist(epochs)));
}

// The fit tests' data, step and (simulated) clock. The data layer's API is built here only, so a
// change there touches this file and no test.
import { ArrayDataset } from "../../src/data/dataset.js";
import { type Batch, DataLoader, batchField } from "../../src/data/loader.js";
import { imageSpec } from "../../src/data/sample.js";
import { Mlp } from "../../src/nn/mlp.js";
import { crossEntropyWithLogits, reshape } from "../../src/ops/index.js";
import { type LearningRate, adam, warmupCosine } from "../../src/optim/index.js";
import { Rng } from "../../src/random/rng.js";
import { type HostTensor, hostTensor } from "../../src/runtime/index.js";
import { TrainStep } from "../../src/train/train-step.js";

export const N = 96;
export const BATCH = 16;

/** 96 labeled 4-pixel images of 3 classes (6 batches of 16 an epoch). */
export function dataset(): ArrayDataset {
  const rng = new Rng(7);
  const images = new Float32Array(N * 4);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    labels[i] = i % 3;
    for (let d = 0; d < 4; d++) images[i * 4 + d] = rng.normal() + (d === labels[i] ? 2 : 0);
  }
  return new ArrayDataset({ spec: imageSpec([1, 2, 2]), fields: { image: images }, labels, numClasses: 3 });
}

/** A batch as the step's inputs. */
export function feedsOf(b: Batch): Readonly<Record<"x" | "y", HostTensor>> {
  const { data, shape } = batchField(b, "image", "float32", "fit test");
  if (b.labels === null) throw new Error("fit test: the batch has no labels");
  return { x: hostTensor("float32", shape, data), y: hostTensor("int64", [BATCH], b.labels) };
}

/** A small classifier's step (dropout included, so its RNG matters), its loader and feeds. */
export async function setup(seed: number, lr: LearningRate = warmupCosine({ baseLr: 1e-2, warmupSteps: 3, totalSteps: 18 })) {
  const model = new Mlp(4, [{ out: 16, act: "relu", dropout: 0.2 }, { out: 3 }], new Rng(seed));
  const step = await TrainStep.compile({
    modules: { model },
    batch: { x: { shape: [BATCH, 1, 2, 2] }, y: { shape: [BATCH], dtype: "int64" } },
    loss: (ctx, { x, y }) => ({ loss: crossEntropyWithLogits(model.call(ctx, reshape(x, [BATCH, 4])), y) }),
    optimizer: adam({ lr }),
    seed,
  });
  const loader = new DataLoader(dataset(), { batchSize: BATCH, seed });
  return { step, loader, feeds: feedsOf };
}

/**
 * A simulated machine: `now` (milliseconds, as `FitOptions.now` takes it) moves only when the
 * step runs, by `secondsAt(k, t)` for its k-th step (0-based, calibration included; `t` the
 * simulated seconds when it starts) and `perCall` seconds for each call. So the tests see steps
 * whose speed changes as they choose, whatever the real machine is doing. `startSeconds` starts
 * the clock later (a resumed run's profile goes on in training time).
 */
export function simulate(step: TrainStep<"x" | "y">, secondsAt: (k: number, t: number) => number, { perCall = 0.001, startSeconds = 0 } = {}) {
  let ms = startSeconds * 1000;
  let k = 0;
  const calls: number[] = [];
  const run = step.runSteps.bind(step);
  step.runSteps = async (batches) => {
    calls.push(batches.length);
    const results = await run(batches);
    ms += perCall * 1000;
    for (let i = 0; i < batches.length; i++) ms += secondsAt(k++, ms / 1000) * 1000;
    return results;
  };
  return { now: () => ms, calls, stall: (seconds: number) => void (ms += seconds * 1000) };
}

import type { Dataset } from "../../src/data/dataset.js";
import { embedDataset, releaseEmbeddings } from "../../src/eval/embed.js";
import { drawPerClass, takeLabels, takeRows } from "../../src/eval/label-subsets.js";
import { knnAccuracy } from "../../src/eval/knn.js";
import { linearProbe } from "../../src/eval/linear-probe.js";
import { mnistSplit } from "../../src/data/image/mnist.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { Rng } from "../../src/random/rng.js";
import type { Encoder, Method } from "../../src/methods/method.js";
import { NarrowCnn } from "../helpers/narrow-cnn.js";

export interface FewLabelScores {
  /** Linear probe (src/eval) on `perClass` labels per class of `train`, scored on `test`: mean over draws. */
  readonly linear: number;
  /** kNN (src/eval: cosine, k = 20, temperature-weighted votes) with the same few labels: mean over draws. */
  readonly knn: number;
}

/** Embeds both sets with the frozen encoder (eval mode) and scores few-label linear probes and kNN. */
export async function fewLabelScores(encoder: Encoder, train: Dataset, test: Dataset, { perClass = 10, draws = 3 } = {}): Promise<FewLabelScores> {
  const dim = encoder.outputDim;
  const trainEmb = await embedDataset(encoder, train);
  const testEmb = await embedDataset(encoder, test);
  await releaseEmbeddings(encoder);
  const labels = train.labels as Int32Array;
  const testSet = { features: testEmb.data, labels: test.labels as Int32Array };
  let linear = 0;
  let knn = 0;
  for (let seed = 0; seed < draws; seed++) {
    const picked = drawPerClass(labels, perClass, seed, 10);
    const few = { features: takeRows(trainEmb.data, dim, picked), labels: takeLabels(labels, picked) };
    linear += (await linearProbe(few, testSet, dim, 10, { standardizeWith: trainEmb.data })).accuracy / draws;
    knn += (await knnAccuracy(few, testSet, dim, 10)) / draws;
  }
  return { linear, knn };
}

export interface ShortRun {
  readonly losses: number[];
  readonly collapse: number[];
  readonly trained: FewLabelScores;
  readonly random: FewLabelScores;
}

/**
 * Pretrains a `NarrowCnn` with `method` for `steps` steps on 1,024 images of the bundled MNIST
 * train split, then scores it and an untrained `NarrowCnn` of the same seed on the test split.
 */
export async function shortRun<O extends object>(method: Method<O>, { steps, batchSize = 128, methodOptions = {} }: { steps: number; batchSize?: number; methodOptions?: Partial<O> }): Promise<ShortRun> {
  const { train, test } = mnistSplit();
  const small = train.subset(Int32Array.from({ length: 1024 }, (_, i) => Math.floor((i * train.length) / 1024)));
  const random = await fewLabelScores(new NarrowCnn(new Rng(1)), small, test);
  const encoder = new NarrowCnn(new Rng(1));
  const losses: number[] = [];
  const collapse: number[] = [];
  const result = await pretrain({
    method,
    methodOptions,
    encoder,
    dataset: small,
    batchSize,
    epochs: 1000,
    maxSteps: steps,
    callbacks: [{ onStep: (e) => void (losses.push(e.loss), collapse.push(e.metrics.collapse_std ?? Number.NaN)) }],
  });
  await result.step.release();
  return { losses, collapse, trained: await fewLabelScores(encoder, small, test), random };
}

/** Mean of a slice of numbers. */
export function meanOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

import { expect } from "vitest";
import type { ArrayDataset } from "../../src/data/dataset.js";
import { mnistSplit } from "../../src/data/image/mnist.js";
import { embedDataset, releaseEmbeddings } from "../../src/eval/embed.js";
import { knnAccuracy } from "../../src/eval/knn.js";
import { labelSubsets, takeLabels, takeRows } from "../../src/eval/label-subsets.js";
import { linearProbe } from "../../src/eval/linear-probe.js";
import { cloneModule } from "../../src/methods/heads.js";
import type { Encoder, Method } from "../../src/methods/method.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { NarrowCnn } from "../helpers/narrow-cnn.js";
import { Rng } from "../../src/random/rng.js";


let data: { train: ArrayDataset; test: ArrayDataset } | undefined;

/** 1,024 random images of the bundled MNIST train split for pretraining, 500 of the test split for scoring. */
export function smallMnist(): { train: ArrayDataset; test: ArrayDataset } {
  if (data === undefined) {
    const { train, test } = mnistSplit();
    const rng = new Rng(7);
    data = { train: train.subset(rng.permutation(train.length).subarray(0, 1024)), test: test.subset(rng.permutation(test.length).subarray(0, 500)) };
  }
  return data;
}

/** Linear probe on 10 labels per class (mean of 3 draws) and kNN (k = 20, all 1,024 labels). */
export interface Scores {
  readonly linear10: number;
  readonly knn: number;
}

async function score(encoder: Encoder): Promise<Scores> {
  const { train, test } = smallMnist();
  const dim = encoder.outputDim;
  const a = await embedDataset(encoder, train);
  const b = await embedDataset(encoder, test);
  await releaseEmbeddings(encoder);
  const labels = train.labels as Int32Array;
  const testSet = { features: b.data, labels: test.labels as Int32Array };
  let linear = 0;
  const draws = labelSubsets(labels, 10, 3, 0, 10);
  for (const idx of draws) {
    const r = await linearProbe({ features: takeRows(a.data, dim, idx), labels: takeLabels(labels, idx) }, testSet, dim, 10, { standardizeWith: a.data });
    linear += r.accuracy / draws.length;
  }
  const knn = await knnAccuracy({ features: a.data, labels }, testSet, dim, 10);
  return { linear10: linear, knn };
}

export interface MethodRun {
  /** Per-step losses and metrics. */
  readonly losses: number[];
  readonly metrics: Record<string, number>[];
  readonly seconds: number;
  readonly trained: Scores;
  readonly random: Scores;
}

/**
 * Pretrains a fresh `NarrowCnn` with `method` for `steps` steps of `batchSize` on `smallMnist()`,
 * and scores it next to an untouched copy of its initialization (the random-encoder baseline).
 */
export async function runMethod<O extends object>(method: Method<O>, options: Partial<O>, { steps = 40, batchSize = 128, seed = 0 } = {}): Promise<MethodRun> {
  const encoder = new NarrowCnn(new Rng(100 + seed));
  const random = cloneModule(encoder);
  const losses: number[] = [];
  const metrics: Record<string, number>[] = [];
  const start = performance.now();
  const result = await pretrain({
    method,
    methodOptions: options,
    encoder,
    dataset: smallMnist().train,
    batchSize,
    epochs: 1000,
    maxSteps: steps,
    seed,
    callbacks: [{ onStep: (e) => void (losses.push(e.loss), metrics.push({ ...e.metrics })) }],
  });
  await result.step.release();
  const seconds = (performance.now() - start) / 1000;
  const run = { losses, metrics, seconds, trained: await score(encoder), random: await score(random) };
  // One line per run, for reading the numbers behind a pass or a failure.
  console.log(JSON.stringify({ method: method.name, options, steps, loss: ends(losses), collapse: ends(metrics.map((m) => m.collapse_std ?? 0)), seconds, trained: run.trained, random: run.random }));
  return run;
}

/** Mean of the first and last `k` values. */
export function ends(values: readonly number[], k = 5): { first: number; last: number } {
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { first: mean(values.slice(0, k)), last: mean(values.slice(-k)) };
}

/**
 * The encoder's collapse_std stays up: above 0.25/√D and at least half its value at the first
 * step. (ReLU embeddings sit in the positive orthant, so even healthy ones stay below 1/√D;
 * a collapsed encoder goes to 0.)
 */
export function expectNoCollapse(run: MethodRun, dim = 64): void {
  const first = run.metrics[0]?.collapse_std ?? 0;
  const last = ends(run.metrics.map((m) => m.collapse_std ?? 0)).last;
  expect(last).toBeGreaterThan(0.25 / Math.sqrt(dim));
  expect(last).toBeGreaterThan(0.5 * first);
}

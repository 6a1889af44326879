import { mnistSplit } from "../src/data/image/mnist.js";
import { Rng } from "../src/random/rng.js";
import type { ArrayDataset } from "../src/data/dataset.js";
import { type DigitSet, type Digits, encodeDigits } from "./src/digits-format.js";

/** Digits shipped with the page: pretraining and few-label probe pool, and held-out test digits. */
export const PLAYGROUND_TRAIN_DIGITS = 2000;
export const PLAYGROUND_TEST_DIGITS = 500;
const SUBSET_SEED = 19;

function digitSet(dataset: ArrayDataset, count: number, rng: Rng): DigitSet {
  // Ascending indices of a seeded sample, so the set is the same whatever reads it.
  const indices = rng.permutation(dataset.length).subarray(0, count).sort();
  const sub = dataset.subset(Int32Array.from(indices));
  const images = new Float32Array(count * 784);
  for (let i = 0; i < count; i++) images.set(sub.get(i).fields.image as Float32Array, i * 784);
  return { images, labels: Int32Array.from(sub.labels ?? []) };
}

/**
 * The playground's digits, from the `mnist` package's fixed train/test split: 2,000 of the 9,000
 * train digits and 500 of the 1,000 test digits, each a seeded sample (seed 19) in ascending order.
 */
export function playgroundDigits(): Digits {
  const { train, test } = mnistSplit();
  const rng = new Rng(SUBSET_SEED);
  return { train: digitSet(train, PLAYGROUND_TRAIN_DIGITS, rng), test: digitSet(test, PLAYGROUND_TEST_DIGITS, rng) };
}

export function playgroundDigitsBytes(): Uint8Array {
  return encodeDigits(playgroundDigits());
}

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import type { ArrayDataset } from "../../../src/data/dataset.js";
import { loadMnist, mnistSplit, mnistSplitIndices } from "../../../src/data/image/mnist.js";
import { MNIST_TEST_SPLIT } from "../../../src/data/image/mnist-test-split.js";
import { sampleImage } from "../../../src/data/image/image-dataset.js";

let mnist: ArrayDataset;
beforeAll(() => {
  mnist = loadMnist();
});

function classCounts(labels: Int32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const y of labels) counts[y] = (counts[y] as number) + 1;
  return counts;
}

describe("bundled MNIST", () => {
  it("has 10,000 28x28 images in [0, 1], 863..1127 per class, ordered by class", () => {
    expect(mnist.length).toBe(10_000);
    expect(mnist.spec.fields.image?.shape).toEqual([1, 28, 28]);
    expect(mnist.numClasses).toBe(10);
    const labels = mnist.labels as Int32Array;
    const counts = classCounts(labels);
    expect(counts.reduce((a, b) => a + b)).toBe(10_000);
    for (const c of counts) expect(c >= 863 && c <= 1127).toBe(true);
    expect(labels.every((y, i) => i === 0 || y >= (labels[i - 1] as number))).toBe(true);
    const pixels = mnist.toArray() as Float32Array;
    let min = Infinity;
    let max = -Infinity;
    for (const v of pixels) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.99);
  });

  it("matches the first digit of 3.json value for value, and is loaded once", () => {
    const file = createRequire(import.meta.url).resolve("mnist/src/digits/3.json");
    const parsed: { data: number[] } = JSON.parse(readFileSync(file, "utf8"));
    const first3 = (mnist.labels as Int32Array).indexOf(3);
    expect(Array.from(sampleImage(mnist.get(first3)))).toEqual(Array.from(Float32Array.from(parsed.data.slice(0, 784))));
    expect(mnist.get(first3).label).toBe(3);
    expect(loadMnist()).toBe(mnist);
  });
});

describe("mnistSplit", () => {
  function expectPartition(train: Int32Array, test: Int32Array): void {
    expect(train.length + test.length).toBe(10_000);
    const seen = new Uint8Array(10_000);
    for (const i of [...train, ...test]) seen[i] = (seen[i] as number) + 1;
    expect(seen.every((s) => s === 1)).toBe(true);
    for (const part of [train, test]) expect(part.every((v, k) => k === 0 || v > (part[k - 1] as number))).toBe(true);
  }

  it("defaults to the anchor's fixed split: its 1,000 test digits, the other 9,000 to train", () => {
    const { train, test } = mnistSplitIndices();
    expect(train.length).toBe(9_000);
    expect(test.length).toBe(1_000);
    expectPartition(train, test);
    expect(Array.from(test)).toEqual(MNIST_TEST_SPLIT.test);
    const labels = mnist.labels as Int32Array;
    const testCounts = classCounts(Int32Array.from(test, (i) => labels[i] as number));
    // sklearn's train_test_split(stratify=Y, random_state=0) per-class counts, as the script printed them
    expect(testCounts).toEqual([100, 113, 99, 103, 98, 86, 101, 107, 95, 98]);
    expect(testCounts).toEqual(MNIST_TEST_SPLIT.testPerClass);
  });

  it("indexes the same digits as the anchor's load_mnist (labels and pixel sums of every test index)", () => {
    const labels = mnist.labels as Int32Array;
    MNIST_TEST_SPLIT.test.forEach((index, k) => {
      expect(labels[index]).toBe(MNIST_TEST_SPLIT.testLabels[k]);
      let sum = 0;
      for (const v of sampleImage(mnist.get(index))) sum += v;
      expect(Math.abs(sum - (MNIST_TEST_SPLIT.testPixelSums[k] as number))).toBeLessThan(1e-3);
    });
  });

  it("gives the seeded stratified splitter when a size or seed is asked for: within ±1 of proportional, a fixed function of the seed", () => {
    const a = mnistSplitIndices({ seed: 0 });
    expect(a.test.length).toBe(1_000);
    expectPartition(a.train, a.test);
    const all = classCounts(mnist.labels as Int32Array);
    const labels = mnist.labels as Int32Array;
    const testCounts = classCounts(Int32Array.from(a.test, (i) => labels[i] as number));
    testCounts.forEach((k, c) => expect(Math.abs(k - ((all[c] as number) * 1000) / 10_000)).toBeLessThan(1));
    const b = mnistSplitIndices({ seed: 0 });
    const c = mnistSplitIndices({ seed: 1 });
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    expect(Array.from(a.test)).not.toEqual(Array.from(c.test));
    expect(Array.from(a.test)).not.toEqual(MNIST_TEST_SPLIT.test);
    expect(mnistSplitIndices({ testSize: 1000 }).test).toEqual(a.test);
  });

  it("returns datasets over the split indices that share MNIST's pixels", () => {
    const fixed = mnistSplit();
    expect(fixed.train.length).toBe(9_000);
    expect(fixed.test.length).toBe(1_000);
    const j = MNIST_TEST_SPLIT.test[500] as number;
    expect(sampleImage(fixed.test.get(500))).toEqual(sampleImage(mnist.get(j)));
    expect(fixed.test.labels?.[500]).toBe(mnist.labels?.[j]);

    const { train, test } = mnistSplit({ testSize: 500, seed: 3 });
    const indices = mnistSplitIndices({ testSize: 500, seed: 3 });
    expect(train.length).toBe(9_500);
    expect(test.length).toBe(500);
    const i = indices.test[17] as number;
    expect(sampleImage(test.get(17)).buffer).toBe(sampleImage(mnist.get(i)).buffer);
    expect(sampleImage(test.get(17))).toEqual(sampleImage(mnist.get(i)));
    expect(test.labels?.[17]).toBe(mnist.labels?.[i]);
    expect(train.numClasses).toBe(10);
  });
});

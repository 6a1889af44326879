import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import type { ArrayDataset } from "../../src/data/dataset.js";
import { loadMnist, mnistSplit, mnistSplitIndices } from "../../src/data/mnist.js";

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
    expect(mnist.sampleShape).toEqual([1, 28, 28]);
    expect(mnist.numClasses).toBe(10);
    const labels = mnist.labels as Int32Array;
    const counts = classCounts(labels);
    expect(counts.reduce((a, b) => a + b)).toBe(10_000);
    for (const c of counts) expect(c >= 863 && c <= 1127).toBe(true);
    expect(labels.every((y, i) => i === 0 || y >= (labels[i - 1] as number))).toBe(true);
    const pixels = mnist.toArray();
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
    expect(Array.from(mnist.get(first3).image)).toEqual(Array.from(Float32Array.from(parsed.data.slice(0, 784))));
    expect(mnist.get(first3).label).toBe(3);
    expect(loadMnist()).toBe(mnist);
  });
});

describe("mnistSplit", () => {
  it("is 9,000/1,000, disjoint, covering, and stratified within ±1 of proportional", () => {
    const { train, test } = mnistSplitIndices();
    expect(train.length).toBe(9_000);
    expect(test.length).toBe(1_000);
    const seen = new Uint8Array(10_000);
    for (const i of [...train, ...test]) seen[i] = (seen[i] as number) + 1;
    expect(seen.every((s) => s === 1)).toBe(true);
    const all = classCounts(mnist.labels as Int32Array);
    const labels = mnist.labels as Int32Array;
    const testCounts = classCounts(Int32Array.from(test, (i) => labels[i] as number));
    testCounts.forEach((k, c) => expect(Math.abs(k - ((all[c] as number) * 1000) / 10_000)).toBeLessThan(1));
  });

  it("is a fixed function of the seed", () => {
    const a = mnistSplitIndices({ seed: 0 });
    const b = mnistSplitIndices({ seed: 0 });
    const c = mnistSplitIndices({ seed: 1 });
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    expect(Array.from(a.test)).not.toEqual(Array.from(c.test));
  });

  it("returns datasets over the split indices that share MNIST's pixels", () => {
    const { train, test } = mnistSplit({ testSize: 500, seed: 3 });
    const indices = mnistSplitIndices({ testSize: 500, seed: 3 });
    expect(train.length).toBe(9_500);
    expect(test.length).toBe(500);
    const i = indices.test[17] as number;
    expect(test.get(17).image.buffer).toBe(mnist.get(i).image.buffer);
    expect(test.get(17).image).toEqual(mnist.get(i).image);
    expect(test.labels?.[17]).toBe(mnist.labels?.[i]);
    expect(train.numClasses).toBe(10);
  });
});

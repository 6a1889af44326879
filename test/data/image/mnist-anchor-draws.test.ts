import { describe, expect, it } from "vitest";
import { loadMnist, mnistSplit, mnistSplitIndices } from "../../../src/data/image/mnist.js";
import { MNIST_ANCHOR_DRAWS } from "../../../src/data/image/mnist-anchor-draws.js";
import { checkLabelDraws, drawsInSubset } from "../../../src/eval/index.js";
import { sampleImage } from "../../../src/data/image/image-dataset.js";

describe("MNIST_ANCHOR_DRAWS (the PyTorch anchor's label draws)", () => {
  const { perClass, numClasses, seeds, draws } = MNIST_ANCHOR_DRAWS;

  it("are five draws of 10 distinct digits per class, class 0's first, all in the fixed split's 9,000 train digits", () => {
    expect([perClass, numClasses, seeds]).toEqual([10, 10, [0, 1, 2, 3, 4]]);
    expect(draws).toHaveLength(5);
    const labels = loadMnist().labels as Int32Array;
    const pool = new Set(mnistSplitIndices().train);
    expect(pool.size).toBe(9000);
    for (const draw of draws) {
      expect(draw).toHaveLength(100);
      expect(new Set(draw).size).toBe(100);
      expect(draw.every((i) => pool.has(i))).toBe(true);
      expect(draw.map((i) => labels[i])).toEqual(Array.from({ length: 100 }, (_, j) => Math.floor(j / perClass)));
    }
    expect(new Set(draws.map((d) => d.join())).size).toBe(5);
  });

  it("hold the anchor's picks (spot values cross-checked against scripts/sklearn-probe.py's draws)", () => {
    expect(draws.map((d) => d[0])).toEqual([407, 237, 603, 443, 54]);
    expect(draws.map((d) => d[99])).toEqual([9449, 9029, 9281, 9617, 9894]);
    expect(draws[2]?.[55]).toBe(5939);
  });

  it("map onto mnistSplit().train as valid 10-per-class draws of its labels", () => {
    const { train } = mnistSplit();
    const inTrain = drawsInSubset(draws, mnistSplitIndices().train);
    const checked = checkLabelDraws(train.labels as Int32Array, { perClass, draws: inTrain }, numClasses);
    expect(checked).toHaveLength(5);
    // the same digit either way: row p of the train split is loadMnist() digit train[p]
    expect(sampleImage(train.get(inTrain[0]?.[0] as number))).toEqual(sampleImage(loadMnist().get(407)));
    // a seeded split holds some of the anchor's pool digits out, so the draws do not fit it
    expect(() => drawsInSubset(draws, mnistSplitIndices({ seed: 0 }).train)).toThrow(/not in the subset/);
  });
});

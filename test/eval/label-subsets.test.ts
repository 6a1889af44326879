import { describe, expect, it } from "vitest";
import { checkLabelDraws, drawPerClass, drawsInSubset, labelSubsets, meanSd, subsetDataset } from "../../src/eval/index.js";
import { ArrayDataset } from "../../src/data/index.js";
import { imageDataset, sampleImage } from "../../src/data/image/image-dataset.js";

const labels = Int32Array.from({ length: 300 }, (_, i) => (i * 7) % 3); // 100 of each of 3 classes

describe("label draws", () => {
  it("take exactly k distinct examples of every class", () => {
    const idx = drawPerClass(labels, 10, 0);
    expect(idx.length).toBe(30);
    expect(new Set(idx).size).toBe(30);
    for (let c = 0; c < 3; c++) expect(Array.from(idx.subarray(c * 10, (c + 1) * 10)).every((i) => labels[i] === c)).toBe(true);
  });

  it("are a pure function of the seed, and differ between seeds", () => {
    expect(Array.from(drawPerClass(labels, 5, 3))).toEqual(Array.from(drawPerClass(labels, 5, 3)));
    const draws = labelSubsets(labels, 5, 4, 0);
    expect(draws).toHaveLength(4);
    expect(Array.from(draws[1] as Int32Array)).toEqual(Array.from(drawPerClass(labels, 5, 1)));
    const keys = new Set(draws.map((d) => Array.from(d).join()));
    expect(keys.size).toBe(4);
  });

  it("reject a class with too few examples", () => {
    expect(() => drawPerClass(Int32Array.of(0, 0, 1), 2, 0)).toThrow(/class 1 has 1 examples/);
    expect(() => drawPerClass(labels, 0, 0)).toThrow(/positive integer/);
  });

  it("subsetDataset views the drawn samples with their labels", () => {
    const images = Float32Array.from({ length: 300 * 4 }, (_, i) => Math.floor(i / 4));
    const ds = imageDataset(images, [1, 2, 2], { labels, numClasses: 3 });
    const idx = drawPerClass(labels, 2, 1);
    const sub = subsetDataset(ds, idx);
    expect(sub.length).toBe(6);
    expect(sub.numClasses).toBe(3);
    expect(Array.from(sub.labels as Int32Array)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(sampleImage(sub.get(3))[0]).toBe(idx[3]);
  });

  it("meanSd is numpy's mean and std (ddof 0)", () => {
    const r = meanSd([0.7, 0.72, 0.74]);
    expect(r.mean).toBeCloseTo(0.72, 12);
    expect(r.sd).toBeCloseTo(Math.sqrt(0.0008 / 3), 12);
  });
});

describe("given label draws", () => {
  const given = (perClass: number, draws: ArrayLike<number>[]) => ({ perClass, draws });

  it("are checked and copied as Int32Arrays, any order within a draw", () => {
    const draw = [2, 0, 1, 3, 4, 5]; // labels 2, 0, 1, 0, 1, 2
    const [checked] = checkLabelDraws(labels, given(2, [draw]), 3);
    expect(checked).toBeInstanceOf(Int32Array);
    expect(Array.from(checked as Int32Array)).toEqual(draw);
    expect(checkLabelDraws(labels, given(10, labelSubsets(labels, 10, 2, 7)), 3)).toHaveLength(2);
  });

  it("reject wrong class counts, indices out of range or repeated, and empty lists, naming the draw", () => {
    const ok = Array.from(drawPerClass(labels, 2, 0));
    expect(() => checkLabelDraws(labels, given(2, [ok, ok.slice(1)]), 3)).toThrow(/draw 1: 5 indices, expected 2 per class × 3 classes = 6/);
    expect(() => checkLabelDraws(labels, given(2, [[0, 3, 6, 9, 1, 4]]), 3)).toThrow(/draw 0: class 0 has 4, class 2 has 0, expected 2 each/);
    expect(() => checkLabelDraws(labels, given(2, [[...ok.slice(0, 5), 300]]), 3)).toThrow(/index 300 \(position 5\) is outside the train set \[0, 300\)/);
    expect(() => checkLabelDraws(labels, given(2, [[...ok.slice(0, 5), -1]]), 3)).toThrow(/index -1 .* outside/);
    expect(() => checkLabelDraws(labels, given(2, [[...ok.slice(0, 5), 1.5]]), 3)).toThrow(/index 1.5 .* outside/);
    expect(() => checkLabelDraws(labels, given(2, [[...ok.slice(0, 5), ok[4] as number]]), 3)).toThrow(/appears twice/);
    expect(() => checkLabelDraws(labels, given(2, []), 3)).toThrow(/no draws given/);
    expect(() => checkLabelDraws(labels, given(0, [[]]), 3)).toThrow(/positive integer/);
  });

  it("drawsInSubset maps parent indices to positions in the subset, keeping order", () => {
    const rows = Int32Array.of(10, 20, 30, 40);
    expect(drawsInSubset([[40, 10], [20]], rows).map((d) => Array.from(d))).toEqual([[3, 0], [1]]);
    expect(() => drawsInSubset([[20], [10, 25]], rows)).toThrow(/draw 1 picks parent index 25, which is not in the subset \(4 rows\)/);
  });
});

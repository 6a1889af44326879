import { describe, expect, it } from "vitest";
import { ArrayDataset } from "../../src/data/dataset.js";
import { textSpec } from "../../src/data/sample.js";
import { deriveRng } from "../../src/data/seeding.js";
import { stratifiedSplitIndices } from "../../src/data/split.js";
import { imageDataset, sampleImage } from "../../src/data/image/image-dataset.js";

const images = Float32Array.from({ length: 6 * 2 * 3 }, (_, i) => i);
const base = imageDataset(images, [2, 1, 3], { labels: Int32Array.from([0, 1, 2, 0, 1, 2]) });

describe("ArrayDataset", () => {
  it("indexes samples as views of one array", () => {
    expect(base.length).toBe(6);
    expect(base.numClasses).toBe(3);
    const s = base.get(2);
    expect(Array.from(sampleImage(s))).toEqual([12, 13, 14, 15, 16, 17]);
    expect(s.label).toBe(2);
    expect(sampleImage(s).buffer).toBe(images.buffer);
    expect(() => base.get(6)).toThrow(RangeError);
  });

  it("subsets without copying pixels, composing and carrying labels", () => {
    const sub = base.subset([5, 1, 1]);
    expect(sub.length).toBe(3);
    expect(Array.from(sub.labels as Int32Array)).toEqual([2, 1, 1]);
    expect(sampleImage(sub.get(0)).buffer).toBe(images.buffer);
    expect(Array.from(sampleImage(sub.get(0)))).toEqual(Array.from(sampleImage(base.get(5))));
    const subsub = sub.subset([0]);
    expect(Array.from(sampleImage(subsub.get(0)))).toEqual(Array.from(sampleImage(base.get(5))));
    expect(subsub.numClasses).toBe(3);
    expect(Array.from(sub.toArray() as Float32Array)).toEqual([...sampleImage(base.get(5)), ...sampleImage(base.get(1)), ...sampleImage(base.get(1))]);
    expect(() => base.subset([6])).toThrow(RangeError);
  });

  it("validates its arrays", () => {
    expect(() => imageDataset(new Float32Array(7), [1, 2, 3])).toThrow(/whole number/);
    expect(() => imageDataset(images, [2, 1, 3], { labels: new Int32Array(5) })).toThrow(/5 labels/);
    expect(() => imageDataset(images, [2, 1, 3], { labels: new Int32Array(6).fill(4), numClasses: 3 })).toThrow(/out of range/);
    const unlabeled = imageDataset(images, [2, 1, 3]);
    expect(unlabeled.get(0).label).toBeUndefined();
    expect(unlabeled.numClasses).toBeUndefined();
  });

  it("holds any spec's fields, each of its own dtype", () => {
    const tokens = BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]);
    const text = new ArrayDataset({ spec: textSpec(3), fields: { tokens }, labels: Int32Array.from([0, 1]), classNames: ["a", "b"] });
    expect(text.length).toBe(2);
    expect(Array.from(text.get(1).fields.tokens ?? [], Number)).toEqual([4, 5, 6]);
    const sub = text.subset([1, 1]);
    expect(sub.classNames).toEqual(["a", "b"]);
    expect(Array.from(sub.toArray() as BigInt64Array, Number)).toEqual([4, 5, 6, 4, 5, 6]);
    expect(() => new ArrayDataset({ spec: textSpec(3), fields: { tokens: new Float32Array(6) } })).toThrow('field "tokens" is int64, its values are a Float32Array');
    expect(() => new ArrayDataset({ spec: textSpec(3), fields: {} })).toThrow('no values for field "tokens"');
    expect(() => new ArrayDataset({ spec: textSpec(3), fields: { tokens, extra: tokens } })).toThrow('field "extra" is not in the spec');
  });
});

describe("stratifiedSplitIndices", () => {
  // Classes of 7, 5 and 3: a test size of 5 gives shares 7/3, 5/3, 1 → floors 2, 1, 1 and the
  // one left over goes to the larger remainder (class 1: 2/3 vs class 0: 1/3).
  const labels = Int32Array.from([...Array(7).fill(0), ...Array(5).fill(1), ...Array(3).fill(2)]);

  it("uses largest-remainder quotas that sum to testSize exactly", () => {
    const { train, test } = stratifiedSplitIndices(labels, { testSize: 5, seed: 0 });
    expect(test.length).toBe(5);
    expect(train.length).toBe(10);
    const perClass = [0, 0, 0];
    for (const i of test) perClass[labels[i] as number]! += 1;
    expect(perClass).toEqual([2, 2, 1]);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i));
  });

  it("depends on the seed only through which members are picked", () => {
    const a = stratifiedSplitIndices(labels, { testSize: 5, seed: 1 });
    const b = stratifiedSplitIndices(labels, { testSize: 5, seed: 1 });
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    const tests = new Set(Array.from({ length: 8 }, (_, s) => Array.from(stratifiedSplitIndices(labels, { testSize: 5, seed: s }).test).join()));
    expect(tests.size).toBeGreaterThan(1);
    expect(() => stratifiedSplitIndices(labels, { testSize: 16 })).toThrow(/testSize/);
  });
});

describe("deriveRng", () => {
  it("is a pure function of seed and keys, with unrelated streams for nearby keys", () => {
    expect(deriveRng(3, 1, 7).state).toEqual(deriveRng(3, 1, 7).state);
    const firsts = new Set<number>();
    for (let seed = 0; seed < 4; seed++) for (let e = 0; e < 50; e++) firsts.add(deriveRng(seed, 1, e).nextUint32());
    expect(firsts.size).toBe(200);
    expect(deriveRng(0, 1, 2 ** 32).state).not.toEqual(deriveRng(0, 1, 0).state);
  });
});

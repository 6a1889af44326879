import { describe, expect, it } from "vitest";
import { type Embeddings, evaluateEmbeddings, labelSubsets } from "../../src/eval/index.js";
import { blobs } from "./blobs.js";

// 3 overlapping blobs in 4-d: a few-label probe is imperfect, so different draws score differently.
const DIM = 4;
const train = blobs(40, 3, DIM, 1.5, 3);
const test = blobs(30, 3, DIM, 1.5, 4);
const emb = (f: Float32Array): Embeddings => ({ data: f, length: f.length / DIM, dim: DIM });
const evaluate = (options: Parameters<typeof evaluateEmbeddings>[5]) =>
  evaluateEmbeddings(emb(train.features), emb(test.features), train.labels, test.labels, 3, { linearAll: false, ...options });

describe("evaluateEmbeddings with given label draws", () => {
  it("scores given draws exactly as the same examples drawn from a seed, and says which were used", async () => {
    const seeded = await evaluate({ perClass: [2], draws: 3, seed: 5 });
    const given = await evaluate({ perClass: [2], draws: 1, seed: 0, labelDraws: [{ perClass: 2, draws: labelSubsets(train.labels, 2, 3, 5, 3) }] });
    expect(seeded.linearPerClass[0]?.draws).toBe("seeded");
    expect(given.linearPerClass[0]?.draws).toBe("given");
    // every given draw is used, whatever `draws` says
    expect(given.linearPerClass[0]?.accuracy.values).toEqual(seeded.linearPerClass[0]?.accuracy.values);
  });

  it("uses given draws only for their k, seeded ones for the others", async () => {
    const r = await evaluate({ perClass: [1, 2], draws: 2, labelDraws: [{ perClass: 2, draws: labelSubsets(train.labels, 2, 4, 9, 3) }] });
    expect(r.linearPerClass.map((p) => [p.perClass, p.draws, p.accuracy.values.length])).toEqual([
      [1, "seeded", 2],
      [2, "given", 4],
    ]);
  });

  it("rejects draws for a k not probed, two entries for one k, and draws that do not fit the labels", async () => {
    const draws = labelSubsets(train.labels, 2, 1, 0, 3);
    await expect(evaluate({ perClass: [1], labelDraws: [{ perClass: 2, draws }] })).rejects.toThrow(/draws given for 2\/class, but perClass is \[1\]/);
    await expect(evaluate({ perClass: [2], labelDraws: [{ perClass: 2, draws }, { perClass: 2, draws }] })).rejects.toThrow(/two entries for 2\/class/);
    const oneOver = [Array.from(draws[0] as Int32Array, (i, j) => (j === 0 ? 1 : i))]; // a class-1 example (blobs cycle classes) in class 0's place
    await expect(evaluate({ perClass: [2], labelDraws: [{ perClass: 2, draws: oneOver }] })).rejects.toThrow(/draw 0: class 0 has 1, class 1 has 3, expected 2 each/);
    await expect(evaluate({ perClass: [2], labelDraws: [{ perClass: 2, draws: [[0, 1, 2, 3, 4, 120]] }] })).rejects.toThrow(/index 120 \(position 5\) is outside the train set \[0, 120\)/);
  });
});

describe("evaluateEmbeddings with probes left out", () => {
  it("skips kNN and k-means when asked (null, not a number), and keeps them by default", async () => {
    const only = await evaluate({ perClass: [2], draws: 1, knnAll: false, clustering: false });
    expect(only.knn).toBeNull();
    expect(only.clustering).toBeNull();
    expect(only.linearPerClass[0]?.accuracy.values).toHaveLength(1);
    const all = await evaluate({ perClass: [2], draws: 1 });
    expect(all.knn).toBeTypeOf("number");
    expect(all.clustering?.nmi).toBeTypeOf("number");
  });
});

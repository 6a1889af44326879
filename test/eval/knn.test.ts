import { describe, expect, it } from "vitest";
import { knnAccuracy, knnPredict, l2NormalizeRows } from "../../src/eval/index.js";
import { Rng } from "../../src/random/rng.js";
import { blobs } from "./blobs.js";

/** Brute-force reference: cosine similarities, sort, vote. */
function reference(trainX: Float32Array, trainY: Int32Array, queries: Float32Array, dim: number, classes: number, k: number, t: number | null): number[] {
  const a = l2NormalizeRows(trainX, dim);
  const q = l2NormalizeRows(queries, dim);
  const out: number[] = [];
  for (let i = 0; i < q.length / dim; i++) {
    const sims = Array.from({ length: trainY.length }, (_, j) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s += (q[i * dim + d] as number) * (a[j * dim + d] as number);
      return { s, j };
    }).sort((x, y) => y.s - x.s || x.j - y.j);
    const votes = new Array<number>(classes).fill(0);
    for (const { s, j } of sims.slice(0, k)) {
      const y = trainY[j] as number;
      votes[y] = (votes[y] as number) + (t === null ? 1 : Math.exp(s / t));
    }
    out.push(votes.indexOf(Math.max(...votes)));
  }
  return out;
}

describe("knn", () => {
  it("classifies separated blobs perfectly", async () => {
    // one draw of 70 points per blob: the first 50 per blob are the train set, the rest query it
    const all = blobs(70, 4, 16, 5, 0);
    const train = { features: all.features.subarray(0, 200 * 16), labels: all.labels.subarray(0, 200) };
    const queries = { features: all.features.subarray(200 * 16), labels: all.labels.subarray(200) };
    expect(await knnAccuracy(train, queries, 16, 4)).toBe(1);
    expect(await knnAccuracy(train, queries, 16, 4, { weighting: "uniform" })).toBe(1);
  });

  it("matches a brute-force reference, for both weightings and across query blocks", async () => {
    const rng = new Rng(4);
    const dim = 8;
    const trainX = rng.normalArray(300 * dim);
    const trainY = Int32Array.from({ length: 300 }, () => rng.int(5));
    const queries = rng.normalArray(77 * dim);
    for (const t of [0.07, null]) {
      const expected = reference(trainX, trainY, queries, dim, 5, 20, t);
      const options = t === null ? { weighting: "uniform" as const } : { temperature: t };
      expect(Array.from(await knnPredict({ features: trainX, labels: trainY }, queries, dim, 5, options))).toEqual(expected);
      // blocks of 10 queries: 8 runs, the last padded
      expect(Array.from(await knnPredict({ features: trainX, labels: trainY }, queries, dim, 5, { ...options, blockSize: 3000 }))).toEqual(expected);
    }
  });

  it("scales with the temperature: a near neighbour outvotes far ones at low T", async () => {
    const dim = 2;
    // query (1, 0): one class-1 point at angle 0, three class-0 points at ~60°
    const trainX = Float32Array.of(1, 0, 0.5, 0.87, 0.5, 0.86, 0.5, 0.85);
    const trainY = Int32Array.of(1, 0, 0, 0);
    const q = Float32Array.of(1, 0);
    expect((await knnPredict({ features: trainX, labels: trainY }, q, dim, 2, { k: 4, temperature: 0.07 }))[0]).toBe(1);
    expect((await knnPredict({ features: trainX, labels: trainY }, q, dim, 2, { k: 4, weighting: "uniform" }))[0]).toBe(0);
  });

  it("rejects bad arguments", async () => {
    const train = { features: new Float32Array(6), labels: Int32Array.of(0, 1, 0) };
    await expect(knnPredict(train, new Float32Array(2), 2, 2, { k: 4 })).rejects.toThrow(/k must be/);
    await expect(knnPredict(train, new Float32Array(3), 2, 2)).rejects.toThrow(/not rows of 2/);
  });
});

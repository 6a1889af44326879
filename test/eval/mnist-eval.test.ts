import { beforeAll, describe, expect, it } from "vitest";
import { mnistSplit } from "../../src/data/image/mnist.js";
import type { ArrayDataset } from "../../src/data/index.js";
import {
  drawPerClass,
  embedDataset,
  evaluateEmbeddings,
  finetune,
  knnAccuracy,
  linearProbe,
  rawFeatures,
  subsetDataset,
} from "../../src/eval/index.js";
import { MlpEncoder, SmallCnn, namedParameters } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";

// The bundled MNIST: 9,000 train / the fixed stratified 1,000 test.
let train: ArrayDataset;
let test: ArrayDataset;
beforeAll(() => {
  ({ train, test } = mnistSplit());
});

describe("raw-pixel baselines on MNIST", () => {
  it("kNN (k = 20, cosine, T = 0.07) on all 9,000 labels reaches ≥ 90% (anchor, uniform votes: 94.3%)", async () => {
    const tr = rawFeatures(train);
    const acc = await knnAccuracy({ features: tr.data, labels: train.labels as Int32Array }, { features: rawFeatures(test).data, labels: test.labels as Int32Array }, 784, 10);
    expect(acc).toBeGreaterThanOrEqual(0.9);
  });

  it("the linear probe on all 9,000 labels reaches ≥ 85% (anchor, L-BFGS: 89.0%)", async () => {
    const r = await linearProbe(
      { features: rawFeatures(train).data, labels: train.labels as Int32Array },
      { features: rawFeatures(test).data, labels: test.labels as Int32Array },
      784,
      10,
      { weightDecay: "sklearn" },
    );
    expect(r.accuracy).toBeGreaterThanOrEqual(0.85);
  });
});

describe("a randomly initialized SmallCnn", () => {
  it("has a 10-labels-per-class linear probe far above chance (anchor: 74.5 ± 1.3%)", async () => {
    // A stratified pool of 3,000 train images keeps this test fast; the scaler and draws use it.
    const pool = subsetDataset(train, drawPerClass(train.labels as Int32Array, 300, 99));
    const encoder = new SmallCnn(new Rng(1));
    const poolEmb = await embedDataset(encoder, pool, { bind: "constant" });
    const testEmb = await embedDataset(encoder, test, { bind: "constant" });
    const r = await evaluateEmbeddings(poolEmb, testEmb, pool.labels as Int32Array, test.labels as Int32Array, 10, {
      perClass: [10],
      draws: 3,
      linearAll: false,
    });
    const probe = r.linearPerClass[0]?.accuracy;
    expect(probe?.values).toHaveLength(3);
    expect(probe?.mean).toBeGreaterThan(0.5);
    expect(r.knn).toBeGreaterThan(0.7);
    expect(r.clustering?.nmi).toBeGreaterThan(0.05);
  });
});

describe("embedDataset", () => {
  it("pads and trims the last batch, and the cached session follows parameter updates", async () => {
    const encoder = new SmallCnn(new Rng(2));
    const few = subsetDataset(test, Int32Array.from({ length: 37 }, (_, i) => i * 20));
    const baked = await embedDataset(encoder, few, { bind: "constant" });
    const batched = await embedDataset(encoder, few, { batchSize: 16 }); // 16 + 16 + 5 padded to 16
    const single = await embedDataset(encoder, few, { batchSize: 64 }); // one batch of 64, 27 rows padding
    expect([baked.length, baked.dim]).toEqual([37, 128]);
    for (const other of [batched, single]) {
      let worst = 0;
      for (let i = 0; i < baked.data.length; i++) worst = Math.max(worst, Math.abs((baked.data[i] as number) - (other.data[i] as number)));
      expect(worst).toBeLessThan(1e-4);
    }
    // Scale one batch norm's weight: the same (cached) session must see the new value.
    const bnWeight = namedParameters(encoder).get("block5.bn.weight");
    bnWeight?.value.fill(2);
    const after = await embedDataset(encoder, few, { batchSize: 16 });
    const rebaked = await embedDataset(encoder, few, { bind: "constant" });
    expect(Math.abs((after.data[0] as number) - (batched.data[0] as number))).toBeGreaterThan(1e-3);
    for (let i = 0; i < after.data.length; i++) expect(after.data[i]).toBeCloseTo(rebaked.data[i] as number, 4);
  });
});

describe("finetune", () => {
  it("trains an encoder and head on 10 labels per class, beats chance, and leaves the encoder as it was", async () => {
    const labeled = subsetDataset(train, drawPerClass(train.labels as Int32Array, 10, 0));
    const encoder = new MlpEncoder(new Rng(3), { inputShape: [1, 28, 28], hidden: [128], outputDim: 64 });
    const before = new Map([...namedParameters(encoder)].map(([k, p]) => [k, p.value.slice()]));
    const r = await finetune(encoder, labeled, test, { steps: 60, learningRate: 3e-3 });
    expect(r.accuracy).toBeGreaterThan(0.5);
    expect(Number.isFinite(r.finalLoss)).toBe(true);
    for (const [k, p] of namedParameters(encoder)) expect(Array.from(p.value)).toEqual(Array.from(before.get(k) as Float32Array));
  });
});


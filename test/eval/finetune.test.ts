import { describe, expect, it } from "vitest";
import { ArrayDataset } from "../../src/data/dataset.js";
import { audioSpec, tableSpec } from "../../src/data/sample.js";
import { embedDataset } from "../../src/eval/embed.js";
import { finetune, holdOutRows, meanCrossEntropy, trainFromScratch } from "../../src/eval/finetune.js";
import { linearProbe } from "../../src/eval/linear-probe.js";
import { AudioCnn, MlpEncoder, namedParameters } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";

/** Three Gaussian classes in 8 dimensions, centres 1.5 apart on the first three axes. */
function blobs(n: number, seed: number): ArrayDataset {
  const rng = new Rng(seed);
  const rows = new Float32Array(n * 8);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let j = 0; j < 8; j++) rows[i * 8 + j] = rng.normal() + (j === i % 3 ? 1.5 : 0);
  }
  return new ArrayDataset({ spec: tableSpec(8), fields: { row: rows }, labels, numClasses: 3 });
}

const train = blobs(90, 1);
const test = blobs(300, 2);
const encoder = (norm?: "batch") => new MlpEncoder(new Rng(5), { inputShape: [8], hidden: [32], outputDim: 16, ...(norm === undefined ? {} : { norm }) });

describe("finetune's table recipe options", () => {
  it("LP-FT with both rates at 0 scores exactly the linear probe (λ = 1/N) on the frozen features: the folded head is that probe", async () => {
    const enc = encoder();
    const r = await finetune(enc, train, test, { steps: 1, learningRate: 0, headInit: "linear-probe" });
    const z = await embedDataset(enc, train, { bind: "constant" });
    const zt = await embedDataset(enc, test, { bind: "constant" });
    const probe = await linearProbe({ features: z.data, labels: train.labels as Int32Array }, { features: zt.data, labels: test.labels as Int32Array }, z.dim, 3, { weightDecay: "sklearn" });
    expect(Math.abs(r.accuracy - probe.accuracy)).toBeLessThanOrEqual(1 / test.length);
    expect(r.accuracy).toBeGreaterThan(0.5);
    // The test predictions come back, and score the accuracy given.
    expect(r.predictions).toHaveLength(test.length);
    expect(r.predictions.filter((p, i) => p === (test.labels as Int32Array)[i]).length / test.length).toBe(r.accuracy);
  }, 60_000);

  it("an encoder rate of 0 trains the head alone: a different model from one Adam, and still above chance", async () => {
    const both = await finetune(encoder("batch"), train, test, { steps: 60, learningRate: 3e-3 });
    const headOnly = await finetune(encoder("batch"), train, test, { steps: 60, learningRate: 3e-3, encoderLearningRate: 0 });
    const same = await finetune(encoder("batch"), train, test, { steps: 60, learningRate: 3e-3, encoderLearningRate: 3e-3 });
    expect(same.accuracy).toBe(both.accuracy);
    expect(headOnly.accuracy).not.toBe(both.accuracy);
    expect(headOnly.accuracy).toBeGreaterThan(0.5);
  }, 60_000);

  it("early stopping picks a step count that is a multiple of `every` within the budget, refits or keeps the checkpoint, and leaves the encoder as it was", async () => {
    const enc = encoder("batch");
    const before = new Map([...namedParameters(enc)].map(([k, p]) => [k, p.value.slice()]));
    const stop = { heldOutFraction: 0.2, every: 10, patience: 3 };
    const refit = await finetune(enc, train, test, { steps: 200, learningRate: 3e-3, earlyStopping: { ...stop, refit: true } });
    const kept = await finetune(enc, train, test, { steps: 200, learningRate: 3e-3, earlyStopping: { ...stop, refit: false } });
    for (const r of [refit, kept]) {
      expect(r.steps % 10).toBe(0);
      expect(r.steps).toBeGreaterThanOrEqual(10);
      expect(r.steps).toBeLessThanOrEqual(200);
      expect(r.accuracy).toBeGreaterThan(0.5);
    }
    expect(refit.steps).toBe(kept.steps);
    for (const [k, p] of namedParameters(enc)) expect(Array.from(p.value)).toEqual(Array.from(before.get(k) as Float32Array));
    // The same budget and rule for the scratch baseline.
    const scratch = await trainFromScratch(() => encoder("batch"), train, test, { steps: 200, learningRate: 3e-3, earlyStopping: { ...stop, refit: true } });
    expect(scratch.steps % 10).toBe(0);
  }, 60_000);

  it("rejects an early-stopping share outside (0, 1)", async () => {
    await expect(finetune(encoder(), train, test, { earlyStopping: { heldOutFraction: 1, every: 10, patience: 3, refit: true } })).rejects.toThrow(/heldOutFraction/);
  });
});

describe("finetune's augment", () => {
  it("runs on every batch of log-mel clips, with their [N, 1, mels, frames] shape, and refuses rows in one line", async () => {
    const rng = new Rng(3);
    const clips = new ArrayDataset({ spec: audioSpec(16, 12), fields: { logmel: rng.normalArray(8 * 16 * 12) }, labels: Int32Array.from({ length: 8 }, (_, i) => i % 2), numClasses: 2 });
    const shapes: string[] = [];
    await finetune(new AudioCnn(new Rng(1), { mels: 16 }), clips, clips, {
      steps: 2,
      batchSize: 4,
      augment: (x, shape) => {
        shapes.push(shape.join("x"));
        return x.map((v) => -v);
      },
    });
    expect(shapes).toEqual(["4x1x16x12", "4x1x16x12"]);
    await expect(finetune(encoder(), train, test, { steps: 1, augment: (x) => x })).rejects.toThrow(/finetune: augment takes \[C, H, W\] float inputs .*row is float32\[8\]/);
  }, 60_000);
});

describe("holdOutRows", () => {
  it("holds out round(f · n_c) of every class, never a class's last row, and splits the rows exactly", () => {
    const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2]);
    const { fit, held } = holdOutRows(labels, 3, 0.2, 0);
    const heldClasses = Array.from(held, (i) => labels[i]);
    expect(heldClasses.filter((c) => c === 0)).toHaveLength(2);
    expect(heldClasses.filter((c) => c === 1)).toHaveLength(1);
    expect(heldClasses.filter((c) => c === 2)).toHaveLength(0);
    expect([...fit, ...held].sort((a, b) => a - b)).toEqual(Array.from(labels, (_, i) => i));
  });
});

describe("meanCrossEntropy", () => {
  it("is the mean of −log softmax at the label, also for logits that would overflow exp", () => {
    const logits = Float32Array.from([0, 0, 1000, 0, Math.log(3), 0]);
    // row 0: logits [0, 0, 1000], label 2 → ≈ 0; row 1: [0, log 3, 0], label 1 → −log(3/5)
    expect(meanCrossEntropy(logits, Int32Array.from([2, 1]), 3)).toBeCloseTo(-Math.log(3 / 5) / 2, 6);
  });
});

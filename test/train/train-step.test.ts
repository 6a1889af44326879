import { describe, expect, it } from "vitest";
import { Mlp } from "../../src/nn/mlp.js";
import { Linear } from "../../src/nn/linear.js";
import { concat, crossEntropyWithLogits, mseLoss, mul, slice, sum } from "../../src/ops/index.js";
import { adam, sgd } from "../../src/optim/index.js";
import { Rng } from "../../src/random/rng.js";
import { hostTensor } from "../../src/runtime/index.js";
import { NonFiniteLossError, TrainStep } from "../../src/train/train-step.js";

/** Two Gaussian blobs in 8-d, labelled 0/1. */
function blobs(n: number, seed: number) {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 8);
  const y = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    y[i] = BigInt(c);
    for (let d = 0; d < 8; d++) x[i * 8 + d] = rng.normal() + (c ? 1.5 : -1.5) * (d < 2 ? 1 : 0);
  }
  return { x: hostTensor("float32", [n, 8], x), y: hostTensor("int64", [n], y) };
}

function classifier(seed: number, dropout = 0) {
  return new Mlp(8, [{ out: 16, act: "relu", norm: "batch", ...(dropout ? { dropout } : {}) }, { out: 2 }], new Rng(seed));
}

async function compileClassifier(seed: number, dropout = 0) {
  const model = classifier(seed, dropout);
  return TrainStep.compile({
    modules: { model },
    batch: { x: { shape: [32, 8] }, y: { shape: [32], dtype: "int64" } },
    loss: (ctx, { x, y }) => ({ loss: crossEntropyWithLogits(model.call(ctx, x), y) }),
    optimizer: adam({ lr: 1e-2 }),
    seed,
  });
}

describe("TrainStep", () => {
  it("learns: the loss of a small classifier falls", async () => {
    const step = await compileClassifier(0);
    const data = blobs(32, 1);
    const first = (await step.run(data)).loss;
    let last = first;
    for (let i = 0; i < 30; i++) last = (await step.run(data)).loss;
    expect(last).toBeLessThan(first * 0.5);
    expect(step.stepCount).toBe(31);
  });

  it("updates batch norm running statistics as state", async () => {
    const step = await compileClassifier(0);
    const before = Float32Array.from(step.state);
    await step.run(blobs(32, 1));
    expect(step.state).not.toEqual(before);
    step.syncToModules();
  });

  it("snapshot and restore continue with exactly the same losses, dropout noise included", async () => {
    const data = blobs(32, 2);
    const a = await compileClassifier(3, 0.3);
    for (let i = 0; i < 3; i++) await a.run(data);
    const snap = a.snapshot();
    const saved = { tensors: new Map([...snap.tensors].map(([k, v]) => [k, Float32Array.from(v)])), step: snap.step, rngState: snap.rngState };
    const expected = [];
    for (let i = 0; i < 3; i++) expected.push((await a.run(data)).loss);

    const b = await compileClassifier(99, 0.3); // different init: restore must overwrite everything
    b.restore(saved);
    const resumed = [];
    for (let i = 0; i < 3; i++) resumed.push((await b.run(data)).loss);
    expect(resumed).toEqual(expected);
  });

  it("keeps the old parameters when the loss is not finite", async () => {
    const model = new Linear(8, 1, new Rng(0));
    const step = await TrainStep.compile({
      modules: { model },
      batch: { x: { shape: [4, 8] } },
      loss: (ctx, { x }) => ({ loss: sum(model.call(ctx, x)) }),
      optimizer: sgd({ lr: 0.1 }),
    });
    const before = Float32Array.from(step.params);
    const zeros = hostTensor("float32", [4, 8], new Float32Array(32).fill(Number.NaN));
    await expect(step.run({ x: zeros })).rejects.toThrow(NonFiniteLossError);
    expect(step.params).toEqual(before);
    expect(step.stepCount).toBe(0);
  });

  it("an EMA target follows its online module: target ← m·target + (1−m)·online", async () => {
    const online = new Linear(4, 3, new Rng(0));
    const target = new Linear(4, 3, new Rng(1));
    const step = await TrainStep.compile({
      modules: { online },
      targets: { ema: { module: target, follows: ["online"], momentum: 0.9 } },
      batch: { x: { shape: [2, 4] } },
      loss: (ctx, { x }) => ({ loss: sum(mul(online.call(ctx, x), target.call(ctx, x))) }),
      optimizer: sgd({ lr: 0.5 }),
    });
    expect(step.targets.ema).toEqual(step.params); // starts as a copy
    const t0 = Float32Array.from(step.targets.ema as Float32Array);
    await step.run({ x: hostTensor("float32", [2, 4], new Rng(5).normalArray(8)) });
    const p1 = step.params;
    const t1 = step.targets.ema as Float32Array;
    for (let i = 0; i < t1.length; i++) expect(t1[i]).toBeCloseTo(0.9 * (t0[i] as number) + 0.1 * (p1[i] as number), 6);
    expect(p1).not.toEqual(t0);
  });

  it("carries extra state (a FIFO queue) from step to step", async () => {
    const model = new Linear(2, 2, new Rng(0));
    const step = await TrainStep.compile({
      modules: { model },
      extraState: { queue: { shape: [4, 2], initial: new Float32Array(8) } },
      batch: { x: { shape: [1, 2] } },
      loss: (ctx, { x }, { queue }) => {
        const z = model.call(ctx, x);
        const q = queue as ReturnType<typeof concat>;
        return { loss: mseLoss(z, x), nextState: { queue: concat([slice(q, [1], [4]), x]) } };
      },
      optimizer: sgd({ lr: 0.1 }),
    });
    for (let i = 1; i <= 3; i++) await step.run({ x: hostTensor("float32", [1, 2], Float32Array.of(i, -i)) });
    expect([...(step.extraState.queue as Float32Array)]).toEqual([0, 0, 1, -1, 2, -2, 3, -3]);
  });
});

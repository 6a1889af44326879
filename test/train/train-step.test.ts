import { describe, expect, it } from "vitest";
import { Mlp } from "../../src/nn/mlp.js";
import { Linear } from "../../src/nn/linear.js";
import { concat, crossEntropyWithLogits, mseLoss, mul, slice, sum } from "../../src/ops/index.js";
import { adam, sgd } from "../../src/optim/index.js";
import { Rng } from "../../src/random/rng.js";
import { type Backend, hostTensor, webBackend } from "../../src/runtime/index.js";
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

async function compileClassifier(seed: number, dropout = 0, stepsPerRun?: number, backend?: Backend) {
  const model = classifier(seed, dropout);
  return TrainStep.compile({
    ...(stepsPerRun === undefined ? {} : { stepsPerRun }),
    ...(backend === undefined ? {} : { compile: { backend } }),
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
    // three more steps in one call: the queue moves on inside the loop
    await step.runSteps([4, 5, 6].map((i) => ({ x: hostTensor("float32", [1, 2], Float32Array.of(i, -i)) })));
    expect([...(step.extraState.queue as Float32Array)]).toEqual([3, -3, 4, -4, 5, -5, 6, -6]);
  });
});

describe("TrainStep.runSteps: several steps per call into the runtime", () => {
  /** Six different batches, so that a step fed the wrong one would show. */
  const batches = Array.from({ length: 6 }, (_, i) => blobs(32, 10 + i));

  async function trainInGroups(groups: readonly number[], dropout = 0.2) {
    const step = await compileClassifier(4, dropout, 4);
    const losses: number[] = [];
    let next = 0;
    for (const g of groups) {
      const results = await step.runSteps(batches.slice(next, next + g));
      expect(results.map((r) => r.step)).toEqual(Array.from({ length: g }, (_, i) => next + i));
      losses.push(...results.map((r) => r.loss));
      next += g;
    }
    return { losses, params: step.params, state: step.state, rng: step.rng.state, stepCount: step.stepCount };
  }

  it("gives the same steps however they are grouped, dropout noise included (every step is the same loop body)", async () => {
    const singles = await trainInGroups([1, 1, 1, 1, 1, 1]);
    expect(singles.stepCount).toBe(6);
    for (const groups of [[4, 2], [1, 3, 2], [2, 4]]) {
      const grouped = await trainInGroups(groups);
      expect(grouped.losses).toEqual(singles.losses);
      expect(grouped.params).toEqual(singles.params);
      expect(grouped.state).toEqual(singles.state);
      expect(grouped.rng).toEqual(singles.rng);
    }
  });

  it("computes what the single-step program computes", async () => {
    const looped = await compileClassifier(5, 0, 4);
    const single = await compileClassifier(5, 0, 1);
    expect(single.stepsPerRun).toBe(1);
    const a = (await looped.runSteps(batches.slice(0, 4))).map((r) => r.loss);
    const b: number[] = [];
    for (const batch of batches.slice(0, 4)) b.push((await single.run(batch)).loss);
    a.forEach((loss, i) => expect(loss).toBeCloseTo(b[i] as number, 5));
    looped.params.forEach((p, i) => expect(p).toBeCloseTo(single.params[i] as number, 5));
  });

  it("runs the same calls on onnxruntime-web (the browser's runtime)", async () => {
    const node = await compileClassifier(7, 0.2, 4);
    const web = await compileClassifier(7, 0.2, 4, webBackend);
    const a = (await node.runSteps(batches.slice(0, 3))).map((r) => r.loss);
    const b = (await web.runSteps(batches.slice(0, 3))).map((r) => r.loss);
    a.forEach((loss, i) => expect(b[i]).toBeCloseTo(loss, 4));
    web.params.forEach((p, i) => expect(p).toBeCloseTo(node.params[i] as number, 4));
    await Promise.all([node.release(), web.release()]);
  });

  it("on a non-finite loss mid-call keeps the steps before it and throws for that step", async () => {
    const poisoned = [batches[0], batches[1], { ...batches[2], x: hostTensor("float32", [32, 8], new Float32Array(256).fill(Number.NaN)) }, batches[3]] as typeof batches;
    const step = await compileClassifier(6, 0.2, 4);
    const error = await step.runSteps(poisoned).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as NonFiniteLossError).step).toBe(2);
    expect(step.stepCount).toBe(2);

    const reference = await compileClassifier(6, 0.2, 4);
    await reference.runSteps(batches.slice(0, 2));
    expect(step.params).toEqual(reference.params);
    expect(step.rng.state).toEqual(reference.rng.state);
    // and it goes on from there as if the bad batch had never been fed
    expect((await step.run(batches[3] as (typeof batches)[number])).loss).toBe((await reference.run(batches[3] as (typeof batches)[number])).loss);
  });

  it("runs 8 steps per call by default, fewer where 8 batches would take more than 64 MiB", async () => {
    expect((await compileClassifier(0)).stepsPerRun).toBe(8);
    const model = new Linear(4, 1, new Rng(0));
    const big = await TrainStep.compile({
      modules: { model },
      // 11 MiB of floats and 1 MiB of int64 labels a step: 5 steps take 60 MiB
      batch: { x: { shape: [720_896, 4] }, y: { shape: [131_072], dtype: "int64" } },
      loss: (ctx, { x }) => ({ loss: sum(model.call(ctx, x)) }),
      optimizer: sgd({ lr: 0.1 }),
    });
    expect(big.stepsPerRun).toBe(5);
    const bigger = await TrainStep.compile({
      modules: { model },
      batch: { x: { shape: [4_194_304, 4] } }, // 64 MiB a step
      loss: (ctx, { x }) => ({ loss: sum(model.call(ctx, x)) }),
      optimizer: sgd({ lr: 0.1 }),
    });
    expect(bigger.stepsPerRun).toBe(1);
    await Promise.all([big.release(), bigger.release()]);
  });

  it("names the input and the step of a batch with the wrong shape, and takes at most stepsPerRun batches", async () => {
    const step = await compileClassifier(0, 0, 4);
    const wrong = { ...batches[1], x: hostTensor("float32", [8, 32], new Float32Array(256)) } as (typeof batches)[number];
    await expect(step.runSteps([batches[0] as (typeof batches)[number], wrong])).rejects.toThrow(/input "batch\.x" of step 1 of 2: expects float32\[32, 8\], got float32\[8, 32\]/);
    await expect(step.runSteps(batches.slice(0, 5))).rejects.toThrow("runSteps takes 1 to 4 batches, got 5");
    await expect(step.runSteps([])).rejects.toThrow("runSteps takes 1 to 4 batches, got 0");
    expect(step.stepCount).toBe(0);
  });
});

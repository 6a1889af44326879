import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, ShapeError, type Tensor, prune } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { Rng } from "../../src/random/rng.js";
import { Program, float64, toNumbers } from "../../src/runtime/index.js";
import { checkGradients } from "../helpers/gradcheck.js";

const rng = new Rng(7);
const normals = (n: number, mean = 0, std = 1) => Array.from(rng.normalArray(n, mean, std));
const positive = (n: number) => Array.from({ length: n }, (_, i) => 0.5 + ((i * 37) % 11) / 7);

/** Runs `build` on float64 inputs with the given values and returns each output as numbers. */
async function run(
  inputs: Record<string, { shape: number[]; values: number[] }>,
  build: (xs: Record<string, Tensor>) => Record<string, Tensor>,
): Promise<Record<string, number[]>> {
  const g = new Graph();
  const xs = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, g.input(k, v.shape, "float64")]));
  const program = await Program.compile(g, { inputs: Object.values(xs), outputs: build(xs) }, { threads: 1 });
  const out = await program.run(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, float64(v.shape, v.values)])));
  await program.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, toNumbers(v)]));
}

function expectClose(actual: readonly number[], expected: readonly number[], tol = 1e-10): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - (expected[i] as number)), `element ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i] as number))));
}

/** PyTorch's BatchNorm2d forward in training mode, written out naively over [N, C, H, W]. */
function naiveBatchNorm(x: number[], [n, c, h, w]: number[], gamma: number[], beta: number[], rm: number[], rv: number[], momentum: number, eps: number) {
  const y = new Array<number>(x.length).fill(0);
  const newMean: number[] = [];
  const newVar: number[] = [];
  const m = (n as number) * (h as number) * (w as number);
  for (let ch = 0; ch < (c as number); ch++) {
    const idx: number[] = [];
    for (let i = 0; i < (n as number); i++) for (let k = 0; k < (h as number) * (w as number); k++) idx.push((i * (c as number) + ch) * (h as number) * (w as number) + k);
    const mu = idx.reduce((s, j) => s + (x[j] as number), 0) / m;
    const ss = idx.reduce((s, j) => s + ((x[j] as number) - mu) ** 2, 0);
    const biased = ss / m;
    const unbiased = ss / (m - 1);
    for (const j of idx) y[j] = (((x[j] as number) - mu) / Math.sqrt(biased + eps)) * (gamma[ch] as number) + (beta[ch] as number);
    newMean.push((1 - momentum) * (rm[ch] as number) + momentum * mu);
    newVar.push((1 - momentum) * (rv[ch] as number) + momentum * unbiased);
  }
  return { y, newMean, newVar };
}

describe("batchNorm", () => {
  const shape = [3, 2, 2, 3];
  const x = normals(36, 1.5, 2);
  const gamma = [0.7, -1.3];
  const beta = [0.2, 0.5];
  const rm = [0.1, -0.4];
  const rv = [1.2, 0.6];

  it("training: batch statistics with biased variance, PyTorch's running-stat update with unbiased variance", async () => {
    const out = await run(
      { x: { shape, values: x }, gamma: { shape: [2], values: gamma }, beta: { shape: [2], values: beta }, rm: { shape: [2], values: rm }, rv: { shape: [2], values: rv } },
      (t) => {
        const r = ops.batchNorm(t.x as Tensor, t.gamma as Tensor, t.beta as Tensor, t.rm as Tensor, t.rv as Tensor, { training: true, momentum: 0.25 });
        return { y: r.y, runningMean: r.runningMean, runningVar: r.runningVar };
      },
    );
    const ref = naiveBatchNorm(x, shape, gamma, beta, rm, rv, 0.25, 1e-5);
    expectClose(out.y as number[], ref.y);
    expectClose(out.runningMean as number[], ref.newMean);
    expectClose(out.runningVar as number[], ref.newVar);
  });

  it("inference: normalizes with the running statistics and passes them through", async () => {
    for (const [axis, xs, xShape] of [
      [1, x, shape],
      [-1, x, [6, 3, 2]],
    ] as const) {
      const out = await run(
        { x: { shape: [...xShape], values: xs }, gamma: { shape: [2], values: gamma }, beta: { shape: [2], values: beta }, rm: { shape: [2], values: rm }, rv: { shape: [2], values: rv } },
        (t) => ({ y: ops.batchNorm(t.x as Tensor, t.gamma as Tensor, t.beta as Tensor, t.rm as Tensor, t.rv as Tensor, { training: false, axis, eps: 1e-3 }).y }),
      );
      const channel = (j: number) => (axis === 1 ? Math.floor(j / 6) % 2 : j % 2);
      const ref = xs.map((v, j) => ((v - (rm[channel(j)] as number)) / Math.sqrt((rv[channel(j)] as number) + 1e-3)) * (gamma[channel(j)] as number) + (beta[channel(j)] as number));
      expectClose(out.y as number[], ref);
    }
  });

  const train = (axis = 1) => (xt: Tensor, g: Tensor, b: Tensor) => {
    const c = xt.shape[axis < 0 ? xt.rank + axis : axis] as number;
    const stats = (v: number) => xt.graph.constant(new Array<number>(c).fill(v), [c], xt.dtype);
    return ops.batchNorm(xt, g, b, stats(0), stats(1), { training: true, axis }).y;
  };

  it("training gradients for x, gamma, beta (rank 2, 3, 4; float64)", async () => {
    await checkGradients(train(), [{ shape: [5, 3] }, { shape: [3] }, { shape: [3] }]);
    await checkGradients(train(), [{ shape: [2, 3, 4] }, { shape: [3] }, { shape: [3] }], { seed: 1 });
    await checkGradients(train(), [{ shape: [2, 3, 2, 3] }, { shape: [3] }, { shape: [3] }], { seed: 2 });
    await checkGradients(train(-1), [{ shape: [2, 4, 3] }, { shape: [3] }, { shape: [3] }], { seed: 3 });
  });

  it("training without affine parameters (affine=False)", async () => {
    await checkGradients(
      (xt) => ops.batchNorm(xt, null, null, xt.graph.constant([0, 0], [2], "float64"), xt.graph.constant([1, 1], [2], "float64"), { training: true }).y,
      [{ shape: [4, 2, 3] }],
    );
  });

  it("training second derivatives (the rule's statistics outputs get cotangents)", async () => {
    await checkGradients(
      (xt, g, b) => {
        const y = train()(xt, g, b);
        const w = xt.graph.constant(normals(xt.size), xt.shape, xt.dtype);
        const [dx] = grad(ops.sum(ops.mul(ops.mul(y, y), w)), [xt]);
        return dx as Tensor;
      },
      [{ shape: [4, 3] }, { shape: [3] }, { shape: [3] }],
    );
  });

  it("inference gradients for x, gamma, beta and the running statistics (ONNX op and primitives)", async () => {
    for (const [axis, shape] of [
      [1, [2, 3, 3]],
      [1, [4, 3]],
      [-1, [2, 3, 3]],
    ] as const) {
      await checkGradients(
        (xt, g, b, m, v) => ops.batchNorm(xt, g, b, m, v, { training: false, axis }).y,
        [{ shape }, { shape: [3] }, { shape: [3] }, { shape: [3] }, { shape: [3], values: positive(3) }],
      );
    }
  });

  it("running statistics carry no gradient", () => {
    const g = new Graph();
    const xt = g.input("x", [4, 3]);
    const gm = g.input("gamma", [3]);
    const r = ops.batchNorm(xt, gm, null, g.input("rm", [3]), g.input("rv", [3]), { training: true });
    const [dx, dg] = grad(ops.add(ops.sum(r.runningMean), ops.sum(r.runningVar)), [xt, gm]);
    // No cotangent reaches x or gamma: autodiff returns its zeros leaf (an Expand of a constant).
    for (const t of [dx, dg]) expect(t?.producer).toBeNull();
  });

  it("the fused training record makes a smaller backward graph than the composite", () => {
    const count = (fused: boolean) => {
      const g = new Graph();
      const xt = g.input("x", [8, 4, 5, 5]);
      const gm = g.input("gamma", [4]);
      const bt = g.input("beta", [4]);
      const kept = [1, 4, 1, 1];
      const y = fused
        ? train()(xt, gm, bt)
        : ops.add(
            ops.mul(ops.div(ops.sub(xt, ops.mean(xt, [0, 2, 3], true)), ops.sqrt(ops.add(ops.variance(xt, [0, 2, 3], true), 1e-5))), ops.reshape(gm, kept)),
            ops.reshape(bt, kept),
          );
      const grads = grad(ops.sum(ops.mul(y, g.input("w", xt.shape))), [xt, gm, bt]);
      return prune(g, { inputs: g.inputs, outputs: { dx: grads[0] as Tensor, dg: grads[1] as Tensor, db: grads[2] as Tensor } }).nodes.length;
    };
    // Measured 30 vs 51 nodes (both include the 5 nodes of the sum(y·w) test loss).
    expect(count(true)).toBeLessThan(count(false) * 0.7);
  });

  it("names the op and the shapes on mismatched parameters", () => {
    const g = new Graph();
    const xt = g.input("x", [8, 4, 5, 5]);
    const c = g.input("c", [4]);
    expect(() => ops.batchNorm(xt, g.input("gamma", [3]), c, c, c, { training: true })).toThrow(ShapeError);
    expect(() => ops.batchNorm(xt, g.input("gamma2", [3]), c, c, c, { training: true })).toThrow(
      "batchNorm: gamma is float32[3], expected float32[4] (channels along axis 1 of x float32[8, 4, 5, 5])",
    );
    expect(() => ops.batchNorm(xt, c, c, c, g.input("rv", [4], "float64"), { training: false })).toThrow("batchNorm: runningVar is float64[4]");
    expect(() => ops.batchNorm(g.input("v", [4]), c, c, c, c, { training: true })).toThrow("batchNorm: x must have rank >= 2");
    expect(() => ops.batchNorm(g.input("one", [1, 4]), c, c, c, c, { training: true })).toThrow("more than 1 value per channel");
  });
});

describe("layerNorm", () => {
  it("matches a direct computation over the trailing axes", async () => {
    const x = normals(24, 2, 3);
    const gamma = normals(12);
    const beta = normals(12);
    const out = await run(
      { x: { shape: [2, 3, 4], values: x }, gamma: { shape: [3, 4], values: gamma }, beta: { shape: [3, 4], values: beta } },
      (t) => ({ y: ops.layerNorm(t.x as Tensor, t.gamma as Tensor, t.beta as Tensor, { axis: 1 }) }),
    );
    const ref: number[] = [];
    for (let row = 0; row < 2; row++) {
      const v = x.slice(row * 12, row * 12 + 12);
      const mu = v.reduce((s, a) => s + a, 0) / 12;
      const variance = v.reduce((s, a) => s + (a - mu) ** 2, 0) / 12;
      v.forEach((a, j) => ref.push(((a - mu) / Math.sqrt(variance + 1e-5)) * (gamma[j] as number) + (beta[j] as number)));
    }
    // ORT computes y in double for float64 input (only the saved statistics are float32).
    expectClose(out.y as number[], ref, 1e-12);
  });

  const ln = (axis: number) => (x: Tensor, g: Tensor, b: Tensor) => ops.layerNorm(x, g, b, { axis });

  it("gradients for x, gamma, beta in float32", async () => {
    // float32 is the dtype the saved statistics (and training) use.
    await checkGradients(ln(-1), [{ shape: [3, 5] }, { shape: [5] }, { shape: [5] }], { dtype: "float32" });
    await checkGradients(ln(1), [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }], { dtype: "float32", seed: 1 });
  });

  it("gradients for x, gamma, beta in float64, to the precision of its float32 statistics", async () => {
    // NOTE: ONNX LayerNormalization keeps Mean/InvStdDev in float32 even for double x (type U), so
    // the VJP's x̂ carries float32 rounding: measured worst relative error 8e-7 here (2.5e-5 when
    // the rows' mean is 100), so rtol 1e-5 instead of the float64 default 1e-6.
    await checkGradients(ln(-1), [{ shape: [3, 5] }, { shape: [5] }, { shape: [5] }], { rtol: 1e-5, atol: 1e-7 });
    await checkGradients(ln(1), [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }], { rtol: 1e-5, atol: 1e-7, seed: 1 });
  });

  it("second derivatives (the rule's statistics outputs get cotangents)", async () => {
    await checkGradients(
      (x, g, b) => {
        const y = ln(-1)(x, g, b);
        const w = x.graph.constant(normals(x.size), x.shape, x.dtype);
        const [dx] = grad(ops.sum(ops.mul(ops.mul(y, y), w)), [x]);
        return dx as Tensor;
      },
      [{ shape: [3, 4] }, { shape: [4] }, { shape: [4] }],
      { dtype: "float32", seed: 2 },
    );
  });

  it("without affine parameters", async () => {
    await checkGradients((x) => ops.layerNorm(x, null, null), [{ shape: [3, 4] }], { dtype: "float32" });
  });

  it("names the op and the shapes on mismatched parameters", () => {
    const g = new Graph();
    const x = g.input("x", [2, 3, 4]);
    expect(() => ops.layerNorm(x, g.input("gamma", [4]), null, { axis: 1 })).toThrow(ShapeError);
    expect(() => ops.layerNorm(x, g.input("gamma2", [4]), null, { axis: 1 })).toThrow(
      "layerNorm: gamma is float32[4], expected float32[3, 4] (the normalized axes 1..2 of x float32[2, 3, 4])",
    );
    expect(() => ops.layerNorm(x, null, g.input("beta", [5]))).toThrow("layerNorm: beta is float32[5], expected float32[4]");
  });
});

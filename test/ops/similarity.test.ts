import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, ShapeError, type Tensor } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { type HostTensor, Program, float64, toNumbers } from "../../src/runtime/index.js";
import { checkGradients } from "../helpers/gradcheck.js";

const values = (out: Record<string, HostTensor>, name: string) => toNumbers(out[name] as HostTensor);

function expectClose(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - (expected[i] as number)), `element ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tol));
}

describe("l2Normalize", () => {
  it("divides by max(‖x‖, eps), with dX = G/eps on an all-zero row (PyTorch F.normalize)", async () => {
    const g = new Graph();
    const x = g.input("x", [3, 2], "float64");
    const y = ops.l2Normalize(x);
    const [dx] = grad(ops.sum(ops.mul(y, g.constant([1, 2, 3, 4, 5, 6], [3, 2], "float64"))), [x]);
    const program = await Program.compile(g, { inputs: [x], outputs: { y, dx: dx as Tensor } }, { threads: 1 });
    const out = await program.run({ x: float64([3, 2], [3, 4, 0, 0, 1e-13, 0]) });
    await program.release();
    // Row 1 is zero: y = 0; row 2's norm 1e-13 is below eps: y = x/1e-12.
    expectClose(values(out, "y"), [0.6, 0.8, 0, 0, 0.1, 0]);
    const dxs = values(out, "dx");
    // Row 0: (G − y(G·y))/‖x‖ with G = [1, 2]; rows 1 and 2: G/eps, finite.
    expectClose(dxs.slice(0, 2), [(1 - 0.6 * 2.2) / 5, (2 - 0.8 * 2.2) / 5]);
    expect(dxs.slice(2)).toEqual([3e12, 4e12, 5e12, 6e12]);
  });

  it("gradients along the last and a middle axis (float64)", async () => {
    await checkGradients((x) => ops.l2Normalize(x), [{ shape: [3, 4] }]);
    await checkGradients((x) => ops.l2Normalize(x, 1), [{ shape: [2, 3, 2] }], { seed: 1 });
  });
});

describe("cosineSimilarity", () => {
  it("matches a direct computation, with broadcasting", async () => {
    const a = [1, 2, 3, -1, 0.5, 2];
    const b = [2, -1, 0.5];
    const g = new Graph();
    const ta = g.input("a", [2, 3], "float64");
    const tb = g.input("b", [3], "float64");
    const s = ops.cosineSimilarity(ta, tb);
    expect(s.shape).toEqual([2]);
    const program = await Program.compile(g, { inputs: [ta, tb], outputs: { s } }, { threads: 1 });
    const out = await program.run({ a: float64([2, 3], a), b: float64([3], b) });
    await program.release();
    const cos = (u: number[], v: number[]) => u.reduce((t, ui, i) => t + ui * (v[i] as number), 0) / (Math.hypot(...u) * Math.hypot(...v));
    expectClose(values(out, "s"), [cos(a.slice(0, 3), b), cos(a.slice(3), b)]);
  });

  it("gradients for both arguments (float64)", async () => {
    await checkGradients((a, b) => ops.cosineSimilarity(a, b), [{ shape: [3, 4] }, { shape: [3, 4] }]);
    await checkGradients((a, b) => ops.cosineSimilarity(a, b, 0), [{ shape: [4, 2] }, { shape: [4, 1] }], { seed: 2 });
  });

  it("names the op and the shapes that do not broadcast", () => {
    const g = new Graph();
    expect(() => ops.cosineSimilarity(g.input("a", [2, 3]), g.input("b", [4]))).toThrow(ShapeError);
    expect(() => ops.cosineSimilarity(g.input("c", [2, 3]), g.input("d", [4]))).toThrow("cosineSimilarity: a float32[2, 3] and b float32[4] do not broadcast");
    expect(() => ops.l2Normalize(g.input("e", [2, 3]), 2)).toThrow("l2Normalize: axis 2 is out of range");
  });
});

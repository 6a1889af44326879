import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, ShapeError, type Tensor, prune } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { type HostTensor, Program, float64, int64, toNumbers } from "../../src/runtime/index.js";
import { checkGradients } from "../helpers/gradcheck.js";

const values = (out: Record<string, HostTensor>, name: string) => toNumbers(out[name] as HostTensor);

function expectClose(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - (expected[i] as number)), `element ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i] as number))));
}

/** PyTorch's F.cross_entropy with label smoothing, per sample, computed directly. */
function referenceCrossEntropy(logits: number[][], labels: number[], smoothing: number): number[] {
  return logits.map((row, n) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const logp = row.map((v) => v - lse);
    const nll = -(logp[labels[n] as number] as number);
    const uniform = -logp.reduce((s, v) => s + v, 0) / row.length;
    return (1 - smoothing) * nll + smoothing * uniform;
  });
}

const logits = [
  [1.5, -0.3, 2.0, 0.1],
  [0.2, 0.2, -1.0, 3.0],
  [-2.0, 0.5, 0.0, 1.0],
];
const labels = [2, 0, 3];

async function crossEntropyValues(options: ops.CrossEntropyOptions, rows = logits, ys = labels) {
  const g = new Graph();
  const x = g.input("logits", [rows.length, (rows[0] as number[]).length], "float64");
  const y = g.input("labels", [ys.length], "int64");
  const loss = ops.crossEntropyWithLogits(x, y, options);
  const [dx] = grad(ops.sum(loss), [x]);
  const program = await Program.compile(g, { inputs: [x, y], outputs: { loss, dx: dx as Tensor } }, { threads: 1 });
  const out = await program.run({ logits: float64(x.shape, rows.flat()), labels: int64([ys.length], ys) });
  await program.release();
  return { loss: values(out, "loss"), dx: values(out, "dx") };
}

describe("crossEntropyWithLogits", () => {
  it("matches a direct computation for each reduction and with label smoothing", async () => {
    for (const smoothing of [0, 0.1]) {
      const ref = referenceCrossEntropy(logits, labels, smoothing);
      expectClose((await crossEntropyValues({ reduction: "none", labelSmoothing: smoothing })).loss, ref);
      expectClose((await crossEntropyValues({ reduction: "sum", labelSmoothing: smoothing })).loss, [ref.reduce((s, v) => s + v, 0)]);
      expectClose((await crossEntropyValues({ labelSmoothing: smoothing })).loss, [ref.reduce((s, v) => s + v, 0) / 3]);
    }
  });

  it("stays finite for logits [1000, 0, -1000], loss and gradient", async () => {
    const { loss, dx } = await crossEntropyValues({ reduction: "none" }, [[1000, 0, -1000], [1000, 0, -1000]], [0, 2]);
    expectClose(loss, [0, 2000]);
    // dloss/dlogits = softmax − onehot
    expectClose(dx, [0, 0, 0, 1, 0, -1]);
  });

  it("gradients with respect to the logits (float64)", async () => {
    const fixedLabels = { shape: [3], dtype: "int64", values: labels, differentiable: false } as const;
    await checkGradients((x, y) => ops.crossEntropyWithLogits(x, y), [{ shape: [3, 4] }, fixedLabels]);
    await checkGradients((x, y) => ops.crossEntropyWithLogits(x, y, { reduction: "none", labelSmoothing: 0.2 }), [{ shape: [3, 4] }, fixedLabels], { seed: 1 });
  });

  it("is a small graph (composite rather than SoftmaxCrossEntropyLoss)", () => {
    const g = new Graph();
    const x = g.input("x", [8, 10]);
    const y = g.input("y", [8], "int64");
    const [dx] = grad(ops.crossEntropyWithLogits(x, y), [x]);
    const { nodes } = prune(g, { inputs: [x, y], outputs: { dx: dx as Tensor } });
    // Measured 14 nodes to compute dx (18 with the loss too), all on [N, C] or smaller.
    expect(nodes.length).toBeLessThanOrEqual(16);
  });

  it("names the op and the shapes on bad inputs", () => {
    const g = new Graph();
    const x = g.input("x", [4, 3]);
    expect(() => ops.crossEntropyWithLogits(x, g.input("y", [5], "int64"))).toThrow(ShapeError);
    expect(() => ops.crossEntropyWithLogits(x, g.input("y2", [5], "int64"))).toThrow(
      "crossEntropyWithLogits: expects logits [N, C] and labels [N], got logits float32[4, 3] and labels int64[5]",
    );
    expect(() => ops.crossEntropyWithLogits(x, g.input("y3", [4]))).toThrow("labels must be int64 or int32 class indices, got float32[4]");
    expect(() => ops.crossEntropyWithLogits(x, g.input("y4", [4], "int64"), { labelSmoothing: 1.5 })).toThrow("labelSmoothing must lie in [0, 1]");
  });
});

describe("softCrossEntropy", () => {
  it("equals crossEntropyWithLogits for one-hot targets and a direct computation for soft ones", async () => {
    const soft = [
      [0.1, 0.2, 0.3, 0.4],
      [0.25, 0.25, 0.25, 0.25],
      [0, 0, 1, 0],
    ];
    const g = new Graph();
    const x = g.input("x", [3, 4], "float64");
    const p = g.input("p", [3, 4], "float64");
    const program = await Program.compile(g, { inputs: [x, p], outputs: { loss: ops.softCrossEntropy(x, p, { reduction: "none" }) } }, { threads: 1 });
    const out = await program.run({ x: float64([3, 4], logits.flat()), p: float64([3, 4], soft.flat()) });
    await program.release();
    const ref = logits.map((row, n) => {
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      return -row.reduce((s, v, c) => s + ((soft[n] as number[])[c] as number) * (v - lse), 0);
    });
    expectClose(values(out, "loss"), ref);
    expectClose([ref[2] as number], referenceCrossEntropy([logits[2] as number[]], [2], 0));
  });

  it("gradients for logits and targets (float64)", async () => {
    await checkGradients((x, p) => ops.softCrossEntropy(x, p), [{ shape: [3, 4] }, { shape: [3, 4] }]);
    await checkGradients((x, p) => ops.softCrossEntropy(x, p, { axis: 0, reduction: "sum" }), [{ shape: [3, 2] }, { shape: [3, 2] }], { seed: 1 });
  });

  it("stays finite for extreme logits", async () => {
    const g = new Graph();
    const x = g.input("x", [1, 3], "float64");
    const p = g.constant([0.5, 0.25, 0.25], [1, 3], "float64");
    const loss = ops.softCrossEntropy(x, p);
    const [dx] = grad(loss, [x]);
    const program = await Program.compile(g, { inputs: [x], outputs: { loss, dx: dx as Tensor } }, { threads: 1 });
    const out = await program.run({ x: float64([1, 3], [1000, 0, -1000]) });
    await program.release();
    expectClose(values(out, "loss"), [0.25 * 1000 + 0.25 * 2000]);
    expectClose(values(out, "dx"), [0.5, -0.25, -0.25]);
  });

  it("names the op and the shapes on mismatch", () => {
    const g = new Graph();
    expect(() => ops.softCrossEntropy(g.input("x", [4, 3]), g.input("p", [4, 2]))).toThrow(
      "softCrossEntropy: logits float32[4, 3] and targetProbs float32[4, 2] must match",
    );
  });
});

describe("mseLoss", () => {
  it("value and gradients (float64)", async () => {
    const g = new Graph();
    const a = g.input("a", [2, 2], "float64");
    const b = g.input("b", [2, 2], "float64");
    const program = await Program.compile(g, { inputs: [a, b], outputs: { m: ops.mseLoss(a, b), s: ops.mseLoss(a, b, { reduction: "sum" }) } }, { threads: 1 });
    const out = await program.run({ a: float64([2, 2], [1, 2, 3, 4]), b: float64([2, 2], [0, 2, 5, 1]) });
    await program.release();
    expectClose(values(out, "m"), [(1 + 0 + 4 + 9) / 4]);
    expectClose(values(out, "s"), [14]);
    await checkGradients((x, y) => ops.mseLoss(x, y, { reduction: "none" }), [{ shape: [2, 3] }, { shape: [2, 3] }]);
  });

  it("refuses to broadcast silently", () => {
    const g = new Graph();
    expect(() => ops.mseLoss(g.input("a", [4, 3]), g.input("b", [3]))).toThrow("mseLoss: a float32[4, 3] and b float32[3] must match");
  });
});

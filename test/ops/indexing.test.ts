import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, ShapeError } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { float64, hostTensor, int64 } from "../../src/runtime/index.js";
import { evaluate1, gradient } from "../helpers/evaluate.js";
import { checkGradients } from "../helpers/gradcheck.js";

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
const indices = (shape: number[], values: number[], dtype: "int64" | "int32" = "int64") =>
  ({ shape, dtype, values, differentiable: false }) as const;

describe("gather: gradients by central finite differences (float64)", () => {
  it("axis 0 embedding lookup with duplicate indices adds the rows' cotangents", async () => {
    await checkGradients((table, idx) => ops.gather(table, idx!), [{ shape: [5, 3] }, indices([2, 3], [1, 3, 1, 0, 1, 4])]);
  });

  it("axis 0 with int32 indices (the gradient casts them for ScatterND)", async () => {
    await checkGradients((table, idx) => ops.gather(table, idx!), [{ shape: [4, 2] }, indices([3], [2, 2, 0], "int32")]);
  });

  it("axis 1 and axis 2 (negative), with repeats", async () => {
    await checkGradients((x, idx) => ops.gather(x, idx!, 1), [{ shape: [2, 4, 3] }, indices([2, 2], [3, 0, 3, 3])]);
    await checkGradients((x, idx) => ops.gather(x, idx!, -1), [{ shape: [2, 4, 3] }, indices([4], [2, 0, 2, 1])]);
  });

  it("scalar indices drop the axis", async () => {
    await checkGradients((x, idx) => ops.gather(x, idx!, 1), [{ shape: [2, 3, 2] }, indices([], [2])]);
  });

  it("second order: the gradient of a gather is itself differentiable", async () => {
    await checkGradients(
      (table, idx) => {
        const rows = ops.gather(table, idx!);
        const [g] = grad(ops.sum(ops.mul(rows, ops.mul(rows, rows))), [table]);
        return g!;
      },
      [{ shape: [4, 2] }, indices([3], [1, 1, 3])],
    );
  });
});

describe("indexing: values against hand-written references", () => {
  const x = float64([2, 3], iota(6)); // [[0, 1, 2], [3, 4, 5]]

  it("gather on axis 0 and axis 1, as np.take", async () => {
    const rows = await evaluate1((t, i) => ops.gather(t, i!), [x, int64([3], [1, 0, 1])]);
    expect(rows.shape).toEqual([3, 3]);
    expect(rows.values).toEqual([3, 4, 5, 0, 1, 2, 3, 4, 5]);
    const cols = await evaluate1((t, i) => ops.gather(t, i!, 1), [x, int64([2, 2], [2, 0, 1, 2])]);
    expect(cols.shape).toEqual([2, 2, 2]);
    // out[r, a, b] = x[r, idx[a, b]]
    expect(cols.values).toEqual([2, 0, 1, 2, 5, 3, 4, 5]);
  });

  it("the embedding gradient counts each row as often as it is looked up", async () => {
    const table = float64([4, 2], iota(8));
    const [g] = await gradient((t, i) => ops.sum(ops.gather(t, i!)), [table, int64([2, 3], [1, 3, 1, 1, 0, 3])], [0]);
    expect(g?.values).toEqual([1, 1, 3, 3, 0, 0, 2, 2]);
  });

  it("the axis-1 gradient adds repeated columns", async () => {
    const [g] = await gradient((t, i) => ops.sum(ops.gather(t, i!, 1)), [x, int64([3], [2, 2, 0])], [0]);
    expect(g?.values).toEqual([1, 0, 2, 1, 0, 2]);
  });

  it("oneHot with int64 and int32 indices", async () => {
    const y = await evaluate1((i) => ops.oneHot(i!, 4), [int64([2, 2], [0, 3, 2, 0])]);
    expect(y.shape).toEqual([2, 2, 4]);
    expect(y.dtype).toBe("float32");
    expect(y.values).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0]);
    const z = await evaluate1((i) => ops.oneHot(i!, 3), [hostTensor("int32", [2], Int32Array.from([2, 1]))]);
    expect(z.values).toEqual([0, 0, 1, 0, 1, 0]);
  });
});

describe("indexing: trace-time errors name the op and the shapes", () => {
  const g = new Graph();
  const x = g.input("x", [2, 3]);
  const f = g.input("f", [2]);
  const i = g.input("i", [2], "int64");

  it("gather", () => {
    expect(() => ops.gather(x, f)).toThrow(ShapeError);
    expect(() => ops.gather(x, f)).toThrow("gather: indices must be int64 or int32, got float32[2]");
    expect(() => ops.gather(x, i, 2)).toThrow("gather: axis 2 is out of range for a tensor of rank 2");
  });

  it("oneHot", () => {
    expect(() => ops.oneHot(f, 3)).toThrow("oneHot: indices must be int64 or int32, got float32[2]");
    expect(() => ops.oneHot(i, 0)).toThrow("oneHot: depth must be a positive integer, got 0");
  });
});

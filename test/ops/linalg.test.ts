import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, ShapeError, type Tensor } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { float64 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { checkGradients } from "../helpers/gradcheck.js";

const matmul = (a: Tensor, b: Tensor) => ops.matmul(a, b);

describe("matmul: gradients by central finite differences (float64)", () => {
  const cases: [string, number[], number[], number[]][] = [
    ["2-D", [3, 4], [4, 2], [3, 2]],
    ["batched", [2, 3, 4], [2, 4, 5], [2, 3, 5]],
    ["broadcast batch dims", [2, 1, 3, 4], [3, 4, 2], [2, 3, 3, 2]],
    ["broadcast size-1 batch", [1, 3, 4], [2, 4, 2], [2, 3, 2]],
    ["shared weight [B, T, K] @ [K, N]", [2, 3, 4], [4, 5], [2, 3, 5]],
    ["shared left [M, K] @ [B, K, N]", [3, 4], [2, 4, 5], [2, 3, 5]],
    ["vector @ matrix", [4], [4, 2], [2]],
    ["matrix @ vector", [3, 4], [4], [3]],
    ["vector @ vector", [4], [4], []],
    ["vector @ batch", [4], [2, 4, 3], [2, 3]],
    ["batch @ vector", [2, 3, 4], [4], [2, 3]],
  ];
  for (const [name, a, b, out] of cases) {
    it(`${name}: ${JSON.stringify(a)} @ ${JSON.stringify(b)} → ${JSON.stringify(out)}`, async () => {
      await checkGradients(
        (x, y) => {
          const z = matmul(x, y);
          expect(z.shape).toEqual(out);
          return z;
        },
        [{ shape: a }, { shape: b }],
      );
    });
  }

  it("second order: the gradient of a matmul is itself differentiable", async () => {
    await checkGradients(
      (x, w) => {
        const y = ops.matmul(x, w);
        const [gw] = grad(ops.sum(ops.mul(y, y)), [w]);
        return gw!;
      },
      [{ shape: [2, 3, 4] }, { shape: [4, 2] }],
    );
  });
});

describe("matmul: values against hand-written references", () => {
  it("2-D, vector and broadcast batch products", async () => {
    const a = float64([2, 2], [1, 2, 3, 4]);
    const b = float64([2, 2], [5, 6, 7, 8]);
    expect((await evaluate1(matmul, [a, b])).values).toEqual([19, 22, 43, 50]);
    const v = float64([2], [1, -1]);
    expect((await evaluate1(matmul, [v, b])).values).toEqual([-2, -2]);
    expect((await evaluate1(matmul, [a, v])).values).toEqual([-1, -1]);
    const s = await evaluate1(matmul, [v, v]);
    expect(s.shape).toEqual([]);
    expect(s.values).toEqual([2]);
    const batch = float64([2, 1, 2], [1, 0, 0, 1]); // two row vectors e0, e1
    const y = await evaluate1(matmul, [batch, b]);
    expect(y.shape).toEqual([2, 1, 2]);
    expect(y.values).toEqual([5, 6, 7, 8]);
  });
});

describe("matmul: trace-time errors name the op and the shapes", () => {
  const g = new Graph();

  it("inner dimensions", () => {
    expect(() => ops.matmul(g.input("a", [2, 3]), g.input("b", [4, 2]))).toThrow(ShapeError);
    expect(() => ops.matmul(g.input("c", [3]), g.input("d", [4, 2]))).toThrow(
      "matmul: cannot multiply [3] by [4, 2]: inner dimensions 3 and 4 differ",
    );
    expect(() => ops.matmul(g.input("e", [2, 3]), g.input("f", [4]))).toThrow(
      "matmul: cannot multiply [2, 3] by [4]: inner dimensions 3 and 4 differ",
    );
  });

  it("batch dimensions that do not broadcast", () => {
    expect(() => ops.matmul(g.input("h", [2, 3, 4]), g.input("i", [3, 4, 5]))).toThrow(
      "matmul: cannot multiply [2, 3, 4] by [3, 4, 5]: batch dimensions [2] and [3] do not broadcast",
    );
  });

  it("scalars, integers, mixed dtypes", () => {
    expect(() => ops.matmul(g.input("j", []), g.input("k", [2]))).toThrow("matmul: scalars cannot be multiplied as matrices: [], [2]");
    expect(() => ops.matmul(g.input("l", [2, 2], "int64"), g.input("m", [2, 2], "int64"))).toThrow(
      "matmul: expects a float tensor, got int64[2, 2]",
    );
    expect(() => ops.matmul(g.input("n", [2, 2]), g.input("o", [2, 2], "float64"))).toThrow(
      "matmul: dtypes differ: float32[2, 2] and float64[2, 2]",
    );
  });
});

describe("gemm: gradients by central finite differences (float64)", () => {
  const transposes: [boolean, boolean][] = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  for (const [transA, transB] of transposes) {
    it(`transA ${transA}, transB ${transB}, bias [N], alpha and beta`, async () => {
      const a = transA ? [4, 3] : [3, 4];
      const b = transB ? [2, 4] : [4, 2];
      await checkGradients(
        (x, y, c) => {
          const z = ops.gemm(x, y, c, { transA, transB, alpha: 0.7, beta: 1.3 });
          expect(z.shape).toEqual([3, 2]);
          return z;
        },
        [{ shape: a }, { shape: b }, { shape: [2] }],
      );
    });
  }

  const cShapes: [string, number[]][] = [
    ["scalar", []],
    ["row [1, N]", [1, 2]],
    ["column [M, 1]", [3, 1]],
    ["full [M, N]", [3, 2]],
  ];
  for (const [name, shape] of cShapes) {
    it(`c ${name} broadcasts and its gradient is summed back`, async () => {
      await checkGradients((x, w, c) => ops.gemm(x, w, c, { transB: true, beta: 0.5 }), [{ shape: [3, 4] }, { shape: [2, 4] }, { shape }]);
    });
  }

  it("a single row (M = 1) with a bias", async () => {
    await checkGradients((x, w, c) => ops.gemm(x, w, c, { transB: true }), [{ shape: [1, 4] }, { shape: [2, 4] }, { shape: [2] }]);
  });

  it("second order: the gradient of a gemm is itself differentiable", async () => {
    await checkGradients(
      (x, w) => {
        const y = ops.gemm(x, w, undefined, { transB: true });
        const [gw] = grad(ops.sum(ops.mul(y, y)), [w]);
        return gw!;
      },
      [{ shape: [3, 4] }, { shape: [2, 4] }],
    );
  });
});

describe("gemm: values and trace-time errors", () => {
  it("x·Wᵀ + b as a Linear computes it", async () => {
    const x = float64([2, 2], [1, 2, 3, 4]);
    const w = float64([3, 2], [1, 0, 0, 1, 1, 1]); // [out 3, in 2]
    const b = float64([3], [10, 20, 30]);
    const y = await evaluate1((p, q, r) => ops.gemm(p, q, r, { transB: true }), [x, w, b]);
    expect(y.shape).toEqual([2, 3]);
    expect(y.values).toEqual([11, 22, 33, 13, 24, 37]);
    const z = await evaluate1((p, q) => ops.gemm(p, q, undefined, { transA: true, alpha: 2 }), [x, x]);
    expect(z.values).toEqual([20, 28, 28, 40]); // 2·xᵀx
  });

  it("names the op and the shapes", () => {
    const g = new Graph();
    expect(() => ops.gemm(g.input("a", [2, 3]), g.input("b", [2, 3]))).toThrow(
      "gemm: cannot multiply [2, 3] by [2, 3]: inner dimensions 3 and 2 differ",
    );
    expect(() => ops.gemm(g.input("c", [2, 3]), g.input("d", [4, 3]), undefined, { transB: true })).not.toThrow();
    expect(() => ops.gemm(g.input("e", [2, 2, 3]), g.input("f", [3, 4]))).toThrow("gemm: needs two matrices, got [2, 2, 3] by [3, 4]");
    expect(() => ops.gemm(g.input("h", [2, 3]), g.input("i", [3, 4]), g.input("j", [3, 4]))).toThrow(
      "gemm: c [3, 4] does not broadcast to the product's [2, 4]",
    );
    expect(() => ops.gemm(g.input("k", [2, 3]), g.input("l", [3, 4], "float64"))).toThrow("gemm: dtypes differ: float32, float64");
  });
});

import { describe, expect, it } from "vitest";
import { Graph, ShapeError, type Tensor } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { float32, float64 } from "../../src/runtime/index.js";
import { allClose, evaluate1, gradient } from "../helpers/evaluate.js";
import { checkGradients } from "../helpers/gradcheck.js";

type Reduction = (x: Tensor, axes?: ops.Axes, keepDims?: boolean) => Tensor;

const reductions: [string, Reduction][] = [
  ["sum", ops.sum],
  ["mean", ops.mean],
  ["max", ops.max],
  ["min", ops.min],
  ["logSumExp", ops.logSumExp],
  ["variance", (x, axes, keepDims) => ops.variance(x, axes, keepDims)],
  ["variance (unbiased)", (x, axes, keepDims) => ops.variance(x, axes, keepDims, 1)],
];
const axisCases: [string, ops.Axes][] = [
  ["axis 1", 1],
  ["axis -1", -1],
  ["axes [0, 2]", [0, 2]],
  ["axes [2, 0] (unsorted)", [2, 0]],
  ["all axes", undefined],
];

describe("reductions: gradients by central finite differences (float64)", () => {
  for (const [name, fn] of reductions) {
    for (const [label, axes] of axisCases) {
      for (const keepDims of [false, true]) {
        it(`${name} over ${label}, keepDims ${keepDims}`, async () => {
          // random normal inputs have no ties, so max/min are differentiable at them
          await checkGradients((x) => fn(x, axes, keepDims), [{ shape: [2, 3, 4] }]);
        });
      }
    }
  }
});

describe("softmax family: gradients (float64)", () => {
  for (const axis of [0, 1, -1]) {
    it(`softmax on axis ${axis}`, async () => {
      await checkGradients((x) => ops.softmax(x, axis), [{ shape: [2, 3, 4] }]);
    });
    it(`logSoftmax on axis ${axis}`, async () => {
      await checkGradients((x) => ops.logSoftmax(x, axis), [{ shape: [2, 3, 4] }]);
    });
  }
});

describe("reductions: values against hand-written references", () => {
  const x = float64([2, 3], [1, 5, 2, -4, 0, 3]);

  it("sum, mean, max, min with and without keepDims", async () => {
    expect((await evaluate1((t) => ops.sum(t, 1), [x])).values).toEqual([8, -1]);
    const kept = await evaluate1((t) => ops.mean(t, 0, true), [x]);
    expect(kept.shape).toEqual([1, 3]);
    expect(kept.values).toEqual([-1.5, 2.5, 2.5]);
    expect((await evaluate1((t) => ops.max(t), [x])).values).toEqual([5]);
    expect((await evaluate1((t) => ops.min(t, -1), [x])).values).toEqual([1, -4]);
  });

  it("variance: biased and unbiased", async () => {
    // row 0: mean 8/3, squared deviations sum = 26/3 → biased 26/9, unbiased 13/3
    const v = await evaluate1((t) => ops.variance(t, 1), [x]);
    const u = await evaluate1((t) => ops.variance(t, 1, false, 1), [x]);
    expect(allClose(v.values, [26 / 9, 74 / 9])).toBe(true);
    expect(allClose(u.values, [13 / 3, 37 / 3])).toBe(true);
  });

  it("logSumExp is stable for large inputs", async () => {
    const big = float64([3], [1000, 1000, 999]);
    const y = await evaluate1((t) => ops.logSumExp(t), [big]);
    expect(allClose(y.values, [1000 + Math.log(2 + Math.exp(-1))])).toBe(true);
  });

  it("max shares its gradient equally among ties, as PyTorch's amax", async () => {
    const t = float64([2, 4], [1, 3, 3, 2, 7, 7, 7, -1]);
    const [g] = await gradient((v) => ops.sum(ops.max(v, 1)), [t]);
    expect(allClose(g?.values ?? [], [0, 0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3, 0])).toBe(true);
    const [h] = await gradient((v) => ops.min(v), [float64([4], [2, -1, 5, -1])]);
    expect(allClose(h?.values ?? [], [0, 0.5, 0, 0.5])).toBe(true);
  });

  it("softmax rows sum to one and logSoftmax equals its log", async () => {
    const s = await evaluate1((t) => ops.softmax(t, 0), [x]);
    expect(allClose([s.values[0]! + s.values[3]!, s.values[1]! + s.values[4]!], [1, 1])).toBe(true);
    const l = await evaluate1((t) => ops.logSoftmax(t), [float64([2], [0, Math.log(3)])]);
    expect(allClose(l.values, [Math.log(0.25), Math.log(0.75)])).toBe(true);
  });

  it("sum of int64 is allowed", async () => {
    const g = new Graph();
    const i = g.input("i", [2, 2], "int64");
    expect(ops.sum(i, 0).dtype).toBe("int64");
  });
});

describe("reductions: trace-time errors name the op and the shapes", () => {
  const g = new Graph();
  const x = g.input("x", [2, 3]);
  const idx = g.input("idx", [2, 3], "int64");

  it("axis out of range", () => {
    expect(() => ops.sum(x, 2)).toThrow(ShapeError);
    expect(() => ops.sum(x, 2)).toThrow("sum: axis 2 is out of range for a tensor of rank 2");
    expect(() => ops.max(x, [-3])).toThrow("max: axis -3 is out of range");
    expect(() => ops.softmax(x, 5)).toThrow("softmax: axis 5 is out of range");
  });

  it("repeated axes", () => {
    expect(() => ops.mean(x, [1, -1])).toThrow("mean: axes 1, -1 repeat an axis of [2, 3]");
  });

  it("float-only reductions reject integers", () => {
    expect(() => ops.mean(idx)).toThrow("mean: expects a float tensor, got int64[2, 3]");
    expect(() => ops.logSoftmax(idx)).toThrow("logSoftmax: expects a float tensor, got int64[2, 3]");
  });

  it("variance without degrees of freedom", () => {
    const one = g.input("one", [1, 3]);
    expect(() => ops.variance(one, 0, false, 1)).toThrow("variance: 1 elements of [1, 3] over axes 0 leave no degrees of freedom");
  });

  it("empty reduced axis", () => {
    const empty = g.input("empty", [0, 3]);
    expect(() => ops.max(empty, 0)).toThrow("max: cannot reduce an empty axis of [0, 3]");
  });
});

describe("argmax", () => {
  // [2, 3, 4]: distinct values except the ties placed on purpose below
  const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4];
  const x = float64([2, 3, 4], values);
  /** NumPy's argmax over `axis` of `values` shaped [2, 3, 4], ties to the first index. */
  const reference = (axis: number): number[] => {
    const shape = [2, 3, 4];
    const strides = [12, 4, 1];
    const out: number[] = [];
    const outer = shape.filter((_, i) => i !== axis);
    const [m, n] = outer as [number, number];
    const [sm, sn] = strides.filter((_, i) => i !== axis) as [number, number];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let best = 0;
        for (let k = 1; k < (shape[axis] as number); k++) {
          if ((values[i * sm + j * sn + k * (strides[axis] as number)] as number) > (values[i * sm + j * sn + best * (strides[axis] as number)] as number)) best = k;
        }
        out.push(best);
      }
    }
    return out;
  };

  it.each([0, 1, 2])("over axis %i: int64 indices of the largest value, the first of ties", async (axis) => {
    const y = await evaluate1((t) => ops.argmax(t, axis), [x]);
    expect(y.dtype).toBe("int64");
    expect(y.shape).toEqual([2, 3, 4].filter((_, i) => i !== axis));
    expect(y.values).toEqual(reference(axis));
  });

  it("defaults to the last axis; a negative axis counts from the end; keepDims keeps a 1", async () => {
    expect((await evaluate1((t) => ops.argmax(t), [x])).values).toEqual(reference(2));
    expect((await evaluate1((t) => ops.argmax(t, -2), [x])).values).toEqual(reference(1));
    const kept = await evaluate1((t) => ops.argmax(t, 1, true), [x]);
    expect(kept.shape).toEqual([2, 1, 4]);
    expect(kept.values).toEqual(reference(1));
  });

  it("ties go to the first index (as NumPy and PyTorch), in float32 too", async () => {
    // rows: a tie at 1 and 2; all equal; a tie of the first and last; -Infinity and a tie at the max
    const t = float32([4, 4], [1, 3, 3, 2, 7, 7, 7, 7, 5, 0, 1, 5, Number.NEGATIVE_INFINITY, -1, -1, -2]);
    expect((await evaluate1((v) => ops.argmax(v, 1), [t])).values).toEqual([1, 0, 0, 1]);
    // down the columns: ties between rows 1 and 2, and 0 and 1
    const columns = float32([3, 2], [1, 5, 4, 5, 4, 2]);
    expect((await evaluate1((v) => ops.argmax(v, 0), [columns])).values).toEqual([1, 0]);
  });

  it("takes floats only and names the op", () => {
    const g = new Graph();
    expect(() => ops.argmax(g.input("i", [2, 3], "int64"))).toThrow("argmax: expects a float tensor, got int64[2, 3]");
    expect(() => ops.argmax(g.input("f", [2, 3]), 2)).toThrow("argmax: axis 2 is out of range");
  });
});

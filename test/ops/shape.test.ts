import { describe, expect, it } from "vitest";
import { Graph, ShapeError } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { float32, float64, int64 } from "../../src/runtime/index.js";
import { allClose, evaluate, evaluate1, gradient } from "../helpers/evaluate.js";
import { checkGradients } from "../helpers/gradcheck.js";

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("shape ops: gradients by central finite differences (float64)", () => {
  it("reshape (with an inferred -1), flatten", async () => {
    await checkGradients((x) => ops.reshape(x, [4, -1]), [{ shape: [2, 3, 4] }]);
    await checkGradients((x) => ops.flatten(x), [{ shape: [2, 3, 4] }]);
    await checkGradients((x) => ops.flatten(x, 0), [{ shape: [2, 3, 4] }]);
  });

  it("squeeze, unsqueeze", async () => {
    await checkGradients((x) => ops.squeeze(x, [0, -1]), [{ shape: [1, 3, 1] }]);
    await checkGradients((x) => ops.squeeze(x), [{ shape: [2, 1, 3] }]);
    await checkGradients((x) => ops.unsqueeze(x, [0, -1]), [{ shape: [2, 3] }]);
  });

  it("transpose with a permutation and by default, transposeLast2", async () => {
    await checkGradients((x) => ops.transpose(x, [2, 0, 1]), [{ shape: [2, 3, 4] }]);
    await checkGradients((x) => ops.transpose(x), [{ shape: [2, 3, 4] }]);
    await checkGradients((x) => ops.transposeLast2(x), [{ shape: [2, 3, 4] }]);
  });

  it("flip along one and several axes", async () => {
    await checkGradients((x) => ops.flip(x, 1), [{ shape: [2, 3, 4] }]);
    await checkGradients((x) => ops.flip(x, [-1, 0]), [{ shape: [2, 3, 4] }]);
  });

  it("broadcastTo over new leading and size-1 axes; sumToShape", async () => {
    await checkGradients((x) => ops.broadcastTo(x, [2, 3, 4]), [{ shape: [3, 1] }]);
    await checkGradients((x) => ops.sumToShape(x, [3, 1]), [{ shape: [2, 3, 4] }]);
    await checkGradients((x) => ops.sumToShape(x, [1, 4]), [{ shape: [2, 3, 4] }]);
  });

  it("slice with positive, negative and out-of-range bounds, on chosen axes", async () => {
    await checkGradients((x) => ops.slice(x, [1, -3], [3, -1]), [{ shape: [4, 5] }]);
    await checkGradients((x) => ops.slice(x, [-100, 2], [100, 4], [1, 2]), [{ shape: [2, 3, 5] }]);
    await checkGradients((x) => ops.slice(x, [-2], [10], [-1]), [{ shape: [3, 4] }]);
  });

  it("pad with positive, negative and mixed amounts, and a fill value", async () => {
    await checkGradients((x) => ops.pad(x, [[1, 2], [0, 1]], 0.5), [{ shape: [2, 3] }]);
    await checkGradients((x) => ops.pad(x, [[-1, 0], [-1, -1]]), [{ shape: [3, 4] }]);
    await checkGradients((x) => ops.pad(x, [[-1, 2], [2, -1]]), [{ shape: [3, 4] }]);
    await checkGradients((x) => ops.pad(x, [[1, 1]]), [{ shape: [2, 3, 2] }]);
  });

  it("concat and stack of several inputs", async () => {
    await checkGradients((a, b, c) => ops.concat([a, b, c], 1), [{ shape: [2, 1] }, { shape: [2, 3] }, { shape: [2, 2] }]);
    await checkGradients((a, b) => ops.concat([a, b], -1), [{ shape: [2, 2] }, { shape: [2, 3] }]);
    await checkGradients((a, b) => ops.stack([a, b]), [{ shape: [2, 3] }, { shape: [2, 3] }]);
    await checkGradients((a, b, c) => ops.stack([a, b, c], -1), [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }]);
  });

  it("split, with all pieces used and with only some used downstream", async () => {
    await checkGradients(
      (x) => {
        const [a, b, c] = ops.split(x, [1, 2, 1], 1);
        return ops.add(ops.mul(a!, b!), ops.exp(c!));
      },
      [{ shape: [2, 4] }],
    );
    await checkGradients((x) => ops.split(x, 3, 0)[1]!, [{ shape: [6, 2] }]);
    await checkGradients(
      (x) => {
        const [first, , last] = ops.split(x, [2, 3, 1], -1);
        return ops.concat([last!, first!], -1);
      },
      [{ shape: [2, 6] }],
    );
  });

  it("cast float32 → float64 → float32 (checked in float32: the float32 leg limits finite differences)", async () => {
    await checkGradients((x) => ops.cast(ops.mul(ops.cast(x, "float64"), ops.cast(x, "float64")), "float32"), [{ shape: [2, 3] }], {
      dtype: "float32",
    });
  });

  it("cast float64 → float32 → float64 (linear, so a wide step is exact up to float32 rounding)", async () => {
    await checkGradients((x) => ops.cast(ops.mul(ops.cast(x, "float32"), 3), "float64"), [{ shape: [2, 3] }], {
      eps: 1e-2,
      rtol: 1e-4,
      atol: 1e-5,
    });
  });
});

describe("shape ops: values against hand-written references", () => {
  const x = float64([2, 3], iota(6)); // [[0, 1, 2], [3, 4, 5]]

  it("slice clamps out-of-range bounds and counts negatives from the end", async () => {
    const y = await evaluate1((t) => ops.slice(t, [-1, -100], [100, -1]), [x]);
    expect(y.shape).toEqual([1, 2]);
    expect(y.values).toEqual([3, 4]);
    const z = await evaluate1((t) => ops.slice(t, [1], [3], [1]), [x]);
    expect(z.values).toEqual([1, 2, 4, 5]);
  });

  it("flip reverses the listed axes and leaves the others", async () => {
    expect((await evaluate1((t) => ops.flip(t, 1), [x])).values).toEqual([2, 1, 0, 5, 4, 3]);
    expect((await evaluate1((t) => ops.flip(t, [0, 1]), [x])).values).toEqual([5, 4, 3, 2, 1, 0]);
    const g = new Graph();
    expect(() => ops.flip(g.input("t", [2, 3]), [1, -1])).toThrow(ShapeError);
  });

  it("slice with start past end is empty, not an error", () => {
    const g = new Graph();
    const t = g.input("t", [2, 3]);
    expect(ops.slice(t, [2], [1], [1]).shape).toEqual([2, 0]);
  });

  it("the gradient of a slice is zero outside the window", async () => {
    const [g] = await gradient((t) => ops.sum(ops.slice(t, [0, 1], [1, 3])), [x]);
    expect(g?.values).toEqual([0, 1, 1, 0, 0, 0]);
  });

  it("pad puts [before, after] per axis, trailing axes when fewer pairs are given", async () => {
    const y = await evaluate1((t) => ops.pad(t, [[1, 0], [0, 2]], 9), [x]);
    expect(y.shape).toEqual([3, 5]);
    expect(y.values).toEqual([9, 9, 9, 9, 9, 0, 1, 2, 9, 9, 3, 4, 5, 9, 9]);
    const z = await evaluate1((t) => ops.pad(t, [[2, -1]]), [x]);
    expect(z.shape).toEqual([2, 4]);
    expect(z.values).toEqual([0, 0, 0, 1, 0, 0, 3, 4]);
  });

  it("transpose, concat, stack, split", async () => {
    expect((await evaluate1((t) => ops.transpose(t), [x])).values).toEqual([0, 3, 1, 4, 2, 5]);
    const c = await evaluate1((t) => ops.concat([t, t], 1), [x]);
    expect(c.values).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
    const s = await evaluate1((t) => ops.stack([t, t], 2), [x]);
    expect(s.shape).toEqual([2, 3, 2]);
    expect(s.values).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    const pieces = await evaluate((t) => ops.split(t, [1, 2], 1), [x]);
    expect(pieces.map((p) => p.values)).toEqual([
      [0, 3],
      [1, 2, 4, 5],
    ]);
  });

  it("broadcastTo and sumToShape are adjoint", async () => {
    const b = await evaluate1((t) => ops.broadcastTo(t, [2, 2, 3]), [x]);
    expect(b.values).toEqual([...iota(6), ...iota(6)]);
    const s = await evaluate1((t) => ops.sumToShape(t, [1, 3]), [x]);
    expect(s.values).toEqual([3, 5, 7]);
  });

  it("broadcastTo keeps every value: by Mul with ones (small repeat), by Expand (integers, or a repeat of more than 2^16)", async () => {
    const nonFinite = await evaluate1((t) => ops.broadcastTo(t, [2, 3]), [float64([3], [-0, Number.POSITIVE_INFINITY, Number.NaN])]);
    expect(nonFinite.values.map((v) => Object.is(v, -0) ? "-0" : String(v))).toEqual(["-0", "Infinity", "NaN", "-0", "Infinity", "NaN"]);
    const ints = await evaluate1((t) => ops.broadcastTo(t, [3, 2]), [int64([2], [7, -9])]);
    expect(ints.values).toEqual([7, -9, 7, -9, 7, -9]);
    const wide = await evaluate1((t) => ops.broadcastTo(t, [2, 1 << 17]), [float32([2, 1], [1.5, -2])]);
    expect(wide.values.slice((1 << 17) - 1, (1 << 17) + 1)).toEqual([1.5, -2]);
  });

  it("cast rounds to float32", async () => {
    const y = await evaluate1((t) => ops.cast(ops.cast(t, "float32"), "float64"), [float64([1], [0.1])]);
    expect(allClose(y.values, [Math.fround(0.1)], 0, 0)).toBe(true);
  });

  it("reshape to an empty shape keeps its zero axes", async () => {
    const g = new Graph();
    const e = g.input("e", [2, 0]);
    expect(ops.reshape(e, [0, 5]).shape).toEqual([0, 5]);
  });
});

describe("shape ops: trace-time errors name the op and the shapes", () => {
  const g = new Graph();
  const x = g.input("x", [2, 3]);

  it("reshape", () => {
    expect(() => ops.reshape(x, [4])).toThrow(ShapeError);
    expect(() => ops.reshape(x, [4])).toThrow("reshape: cannot reshape [2, 3] (6 elements) to [4]");
    expect(() => ops.reshape(x, [-1, -1])).toThrow("reshape: only one dimension may be -1, got [-1, -1]");
  });

  it("squeeze, unsqueeze, flatten", () => {
    expect(() => ops.squeeze(x, 1)).toThrow("squeeze: axis 1 of [2, 3] has size 3, not 1");
    expect(() => ops.unsqueeze(x, [0, 0])).toThrow("unsqueeze: axes [0, 0] repeat an axis (input [2, 3])");
    expect(() => ops.unsqueeze(x, 4)).toThrow("unsqueeze: axis 4 is out of range for a tensor of rank 3");
    expect(() => ops.flatten(x, 2)).toThrow("flatten: axis 2 is out of range");
  });

  it("transpose, broadcastTo, sumToShape", () => {
    expect(() => ops.transpose(x, [0, 0])).toThrow("transpose: perm [0, 0] is not a permutation of the axes of [2, 3]");
    expect(() => ops.transpose(x, [1])).toThrow("transpose: perm [1] is not a permutation of the axes of [2, 3]");
    expect(() => ops.broadcastTo(x, [3, 3])).toThrow("broadcastTo: cannot broadcast [2, 3] to [3, 3]");
    expect(() => ops.sumToShape(x, [2])).toThrow("sumToShape: cannot sum [2, 3] to [2]");
    expect(() => ops.sumToShape(x, [1, 2, 3])).toThrow("sumToShape: cannot sum [2, 3] to the larger [1, 2, 3]");
  });

  it("slice, pad", () => {
    expect(() => ops.slice(x, [0, 0], [1])).toThrow("slice: starts, ends and axes differ in length (2, 1, 2) for [2, 3]");
    expect(() => ops.slice(x, [0, 0], [1, 1], [1, -1])).toThrow("slice: axes [1, 1] repeat an axis of [2, 3]");
    expect(() => ops.pad(x, [[0, 0], [0, 0], [1, 1]])).toThrow("pad: 3 pad pairs [[0, 0], [0, 0], [1, 1]] for [2, 3]");
    expect(() => ops.pad(x, [[-2, -2]])).toThrow("pad: pads [[-2, -2]] remove more than [2, 3] has");
  });

  it("concat, stack, split", () => {
    const y = g.input("y", [3, 3]);
    expect(() => ops.concat([x, y], 1)).toThrow("concat: along axis 1, shapes must agree elsewhere: float32[2, 3], float32[3, 3]");
    expect(() => ops.stack([x, y])).toThrow("stack: tensors must agree in shape and dtype: float32[2, 3], float32[3, 3]");
    expect(() => ops.split(x, 2, 1)).toThrow("split: cannot split axis 1 of [2, 3] into [1.5, 1.5]");
    expect(() => ops.split(x, [1, 1], 1)).toThrow("split: cannot split axis 1 of [2, 3] into [1, 1]");
    expect(() => ops.concat([])).toThrow("concat: needs at least one tensor");
  });
});

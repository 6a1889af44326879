import { describe, expect, it } from "vitest";
import { grad, vjp } from "../../src/autodiff/index.js";
import { Graph, ShapeError, type Tensor, attr } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { defineOp } from "../../src/ops/index.js";
import { float64, int64 } from "../../src/runtime/index.js";
import { allClose, evaluate, gradient } from "../helpers/evaluate.js";
import { checkGradients } from "../helpers/gradcheck.js";

/** sum of all elements with keepDims; its rule returns the [1, 1] cotangent unbroadcast. */
const totalKeepDimsOp = defineOp<object>({
  name: "test.totalKeepDims",
  lower: (graph, [x]) => [
    graph.emit1("ReduceSum", [x as Tensor], (x as Tensor).shape.map(() => 1), (x as Tensor).dtype, { keepdims: attr.int(1) }),
  ],
  // d sum(x) = broadcast(dy): left to the driver
  vjp: (_, [g]) => [g ?? null],
});
const totalKeepDims = (x: Tensor) => totalKeepDimsOp.apply([x], {})[0] as Tensor;

/** A deliberately wrong rule, to check the driver's error. */
const badRuleOp = defineOp<object>({
  name: "test.badRule",
  lower: (graph, [x]) => [graph.emit1("Identity", [x as Tensor], (x as Tensor).shape, (x as Tensor).dtype)],
  vjp: ({ inputs: [x] }) => [ops.reshape(ops.slice(ops.flatten(x as Tensor, 0), [0], [4]), [4])],
});
const badRule = (x: Tensor) => badRuleOp.apply([x], {})[0] as Tensor;

const xs = [0.5, -1.25, 2, 0.75, -0.3, 1.1];
const x23 = float64([2, 3], xs);

describe("grad driver", () => {
  it("fan-out: a value used three times gets the sum of its three cotangents", async () => {
    const [g] = await gradient((x) => ops.sum(ops.add(ops.add(x, ops.mul(x, 2)), ops.exp(x))), [x23]);
    expect(allClose(g!.values, xs.map((v) => 3 + Math.exp(v)))).toBe(true);
    // also an op that takes the same tensor twice: d(x·x) = 2x
    const [h] = await gradient((x) => ops.sum(ops.mul(x, x)), [x23]);
    expect(allClose(h!.values, xs.map((v) => 2 * v))).toBe(true);
  });

  it("broadcast cotangents are summed back to the input's shape, once", async () => {
    const b = float64([3], [1, 2, 3]);
    const [gx, gb] = await gradient((x, bias) => ops.sum(ops.mul(ops.add(x, bias), x)), [x23, b]);
    // d/dbias sum((x + b) x) = sum over rows of x
    expect(allClose(gb!.values, [xs[0]! + xs[3]!, xs[1]! + xs[4]!, xs[2]! + xs[5]!])).toBe(true);
    expect(gb!.shape).toEqual([3]);
    expect(allClose(gx!.values, xs.map((v, i) => 2 * v + [1, 2, 3][i % 3]!))).toBe(true);

    // one ReduceSum in the whole backward pass: the driver's, for the broadcast bias
    const graph = new Graph();
    const x = graph.input("x", [2, 3]);
    const bias = graph.input("bias", [3]);
    const loss = ops.sum(ops.add(x, bias));
    const before = graph.nodes.length;
    const [dBias] = grad(loss, [bias]);
    expect(dBias!.shape).toEqual([3]);
    expect(graph.nodes.slice(before).filter((n) => n.opType === "ReduceSum")).toHaveLength(1);
  });

  it("stopGradient blocks the gradient: d sum(x · stop(x)) = x", async () => {
    const [g] = await gradient((x) => ops.sum(ops.mul(x, ops.stopGradient(x))), [x23]);
    expect(allClose(g!.values, xs)).toBe(true);
  });

  it("an input not connected to the loss gets zeros of its shape and dtype", async () => {
    const [gx, gz] = await gradient((x) => ops.sum(x), [x23, float64([4], [1, 2, 3, 4])]);
    expect(gx!.values).toEqual([1, 1, 1, 1, 1, 1]);
    expect(gz!.shape).toEqual([4]);
    expect(gz!.dtype).toBe("float64");
    expect(gz!.values).toEqual([0, 0, 0, 0]);
  });

  it("a multi-output op (split) with an unused piece gives that piece zeros", async () => {
    const [g] = await gradient((x) => ops.sum(ops.mul(ops.split(x, [1, 2], 1)[1]!, 3)), [x23]);
    expect(g!.values).toEqual([0, 3, 3, 0, 3, 3]);
  });

  it("the gradient with respect to an intermediate value, and to the loss itself", async () => {
    const [dh, dLoss] = await evaluate((x) => {
      const h = ops.mul(x!, 2);
      const loss = ops.sum(ops.mul(h, h));
      return grad(loss, [h, loss]);
    }, [x23]);
    // d sum(h²)/dh = 2h = 4x
    expect(allClose(dh!.values, xs.map((u) => 4 * u))).toBe(true);
    expect(dLoss!.values).toEqual([1]);
  });

  it("grad of a non-scalar loss throws a clear error", () => {
    const graph = new Graph();
    const x = graph.input("x", [2, 3]);
    expect(() => grad(ops.mul(x, x), [x])).toThrow(ShapeError);
    expect(() => grad(ops.mul(x, x), [x])).toThrow("grad: loss must have one element, got [2, 3]; use vjp for other outputs");
  });

  it("a rule may return a cotangent smaller than its input (broadcast) or larger (summed)", async () => {
    const [g] = await gradient((x) => ops.sum(ops.mul(totalKeepDims(x), 3)), [x23]);
    expect(g!.shape).toEqual([2, 3]);
    expect(g!.values).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it("a rule returning a cotangent that does not fit its input is named in the error", () => {
    const graph = new Graph();
    const x = graph.input("x", [2, 3]);
    expect(() => grad(ops.sum(badRule(x)), [x])).toThrow("vjp: the test.badRule rule returned a cotangent [4] for an input [2, 3]");
  });

  it("grad of an integer loss throws instead of returning zeros", () => {
    const graph = new Graph();
    const i = graph.input("i", [3], "int64");
    const x = graph.input("x", [3]);
    expect(() => grad(ops.sum(i), [x])).toThrow("grad: loss must be a float tensor, got int64[]");
  });

  it("vjp takes an explicit cotangent for a non-scalar output and checks its shape", async () => {
    const [g] = await evaluate(
      (x, c) => vjp([ops.mul(x!, x!)], [c!], [x!]),
      [x23, float64([2, 3], [1, 0, 0, 0, 0, 2])],
    );
    expect(allClose(g!.values, [2 * xs[0]!, 0, 0, 0, 0, 4 * xs[5]!])).toBe(true);
    const graph = new Graph();
    const x = graph.input("x", [2, 3]);
    expect(() => vjp([x], [graph.input("c", [3])], [x])).toThrow("vjp: cotangent float32[3] does not match output float32[2, 3]");
  });

  it("second order: d²/dx² x³ = 6x, because VJP rules are ops", async () => {
    const d2 = (cube: (x: Tensor) => Tensor) => (x: Tensor) => {
      const [first] = grad(ops.sum(cube(x)), [x]);
      return ops.sum(first!);
    };
    const [viaMul] = await gradient(d2((x) => ops.mul(x, ops.mul(x, x))), [x23]);
    expect(allClose(viaMul!.values, xs.map((v) => 6 * v))).toBe(true);
    const [viaPow] = await gradient(d2((x) => ops.pow(x, 3)), [float64([3], [0.5, 2, 1.5])]);
    expect(allClose(viaPow!.values, [3, 12, 9])).toBe(true);
    // and finite differences of the first derivative agree with its own gradient
    await checkGradients((x) => grad(ops.sum(ops.mul(ops.exp(x), ops.mul(x, x))), [x])[0]!, [{ shape: [2, 3] }]);
  });

  it("nondifferentiable ops stop the gradient silently: comparisons, oneHot", async () => {
    // the loss depends on x only through a comparison: zeros, no error
    const [viaCompare] = await gradient((x) => ops.sum(ops.cast(ops.greater(x, 0), "float64")), [x23]);
    expect(viaCompare!.values).toEqual([0, 0, 0, 0, 0, 0]);
    // a mask from a comparison scales the gradient without contributing its own
    const [masked] = await gradient((x) => ops.sum(ops.mul(x, ops.cast(ops.greater(x, 0), "float64"))), [x23]);
    expect(masked!.values).toEqual(xs.map((v) => (v > 0 ? 1 : 0)));
    // oneHot's float output receives a cotangent, which its rule drops
    const [viaOneHot] = await gradient(
      (x, i) => {
        const hot = ops.cast(ops.oneHot(ops.cast(ops.add(ops.mul(x, 0), i!), "int64"), 3), "float64");
        return ops.sum(ops.mul(hot, 2));
      },
      [float64([2], [0.5, 0.25]), float64([2], [2, 0])],
      [0],
    );
    expect(viaOneHot!.values).toEqual([0, 0]);
  });

  it("grad mutates nothing: it appends nodes and the forward values are unchanged", async () => {
    const graph = new Graph();
    const x = graph.input("x", [2, 3], "float64");
    const loss = ops.sum(ops.exp(x));
    const nodes = graph.nodes.map((n) => n.outputs.join());
    const [g1] = grad(loss, [x]);
    const [g2] = grad(loss, [x]);
    expect(graph.nodes.slice(0, nodes.length).map((n) => n.outputs.join())).toEqual(nodes);
    expect(g1).not.toBe(g2);
    expect(loss.producer?.op).toBe("sum");
  });

  it("integer inputs (indices) are skipped and get zeros", async () => {
    const [, gi] = await gradient(
      (t, i) => ops.sum(ops.gather(t, i!)),
      [float64([3, 2], [1, 2, 3, 4, 5, 6]), int64([2], [0, 2])],
    );
    expect(gi!.dtype).toBe("int64");
    expect(gi!.values).toEqual([0, 0]);
  });
});

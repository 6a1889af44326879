import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, IR_VERSION, OPSET, type ProgramSignature, prune, toOnnxModel, toText } from "../../src/graph/index.js";
import { add, gather, leakyRelu, logSoftmax, matmul, mul, relu, sum, transpose } from "../../src/ops/index.js";

/** A linear layer with ReLU: x [2, 3] @ w [3, 4] + b [4]. */
function linearRelu() {
  const g = new Graph();
  const x = g.input("x", [2, 3]);
  const w = g.input("w", [3, 4]);
  const b = g.input("b", [4]);
  const y = relu(add(matmul(x, w), b));
  return { g, x, w, b, y };
}

describe("toOnnxModel → ONNX Runtime round trip", () => {
  it("writes a ModelProto with our opset, IR version, initializers and attributes of every kind", () => {
    const g = new Graph();
    const table = g.input("table", [5, 3]);
    const ids = g.input("ids", [4], "int64");
    const scale = g.constant([0.5, 1, 2], [3], "float32", "scale");
    const rows = mul(gather(table, ids), scale); // [4, 3]
    const loss = sum(logSoftmax(leakyRelu(transpose(rows), 0.2), 0));
    const [dTable] = grad(loss, [table]);
    const bytes = toOnnxModel(g, { inputs: [table, ids], outputs: { loss, dTable: dTable as typeof loss } });
    const model = fromBinary(ModelProtoSchema, bytes);
    expect(model.irVersion).toBe(BigInt(IR_VERSION));
    expect(model.opsetImport.map((o) => [o.domain, o.version])).toEqual([["", BigInt(OPSET)]]);
    expect(model.graph?.input.map((v) => v.name)).toEqual(["table", "ids"]);
    expect(model.graph?.output.map((v) => v.name)).toEqual(["loss", "dTable"]);
    const initializer = model.graph?.initializer.find((t) => t.name === "scale");
    expect([...new Float32Array((initializer?.rawData as Uint8Array).slice().buffer)]).toEqual([0.5, 1, 2]);
    const kinds = new Set(model.graph?.node.flatMap((n) => n.attribute.map((a) => a.type)));
    // INT (axis), FLOAT (alpha), STRING (ScatterND reduction), INTS (perm)
    expect([...kinds].sort()).toEqual([1, 2, 3, 7].sort());
    expect(model.graph?.node.every((n) => n.domain === "")).toBe(true);
  });

  it("loads into a plain onnxruntime-node session and computes the right values", async () => {
    const { g, x, w, b, y } = linearRelu();
    const session = await ort.InferenceSession.create(toOnnxModel(g, { inputs: [x, w, b], outputs: { y } }));
    expect(session.inputNames).toEqual(["x", "w", "b"]);
    expect(session.outputNames).toEqual(["y"]);
    const xs = [1, -2, 3, 0.5, 4, -1];
    const ws = [1, 0, -1, 2, 0, 1, 1, -1, 0.5, 0.5, -2, 1];
    const bs = [0.1, -0.2, 0.3, -4];
    const out = await session.run({
      x: new ort.Tensor("float32", Float32Array.from(xs), [2, 3]),
      w: new ort.Tensor("float32", Float32Array.from(ws), [3, 4]),
      b: new ort.Tensor("float32", Float32Array.from(bs), [4]),
    });
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 4; j++) {
        let acc = bs[j] as number;
        for (let k = 0; k < 3; k++) acc += (xs[i * 3 + k] as number) * (ws[k * 4 + j] as number);
        expected.push(Math.max(acc, 0));
      }
    }
    const got = out.y as ort.Tensor;
    expect(got.dims).toEqual([2, 4]);
    [...(got.data as Float32Array)].forEach((v, i) => expect(v).toBeCloseTo(expected[i] as number, 5));
    await session.release();
  });
});

/** toText with trailing spaces trimmed (an empty constant prints as `= `), so editors cannot break a snapshot. */
function listing(graph: Graph, signature: ProgramSignature): string {
  return toText(graph, signature)
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

describe("traced graphs as text (a lowering change shows up here)", () => {
  it("linear + relu, forward", () => {
    const { g, x, w, b, y } = linearRelu();
    expect(listing(g, { inputs: [x, w, b], outputs: { y } })).toMatchInlineSnapshot(`
      "input x: float32[2, 3]
      input w: float32[3, 4]
      input b: float32[4]
      matmul_0 = MatMul(x, w)
      add_1 = Add(matmul_0, b)
      y = Relu(add_1)
      output y: float32[2, 4]"
    `);
  });

  it("linear + relu, backward of sum(y)", () => {
    const { g, x, w, b, y } = linearRelu();
    const [dx, dw, db] = grad(sum(y), [x, w, b]);
    const outputs = { dx: dx as typeof y, dw: dw as typeof y, db: db as typeof y };
    expect(listing(g, { inputs: [x, w, b], outputs })).toMatchInlineSnapshot(`
      "input x: float32[2, 3]
      input w: float32[3, 4]
      input b: float32[4]
      const const_5: float32[] = 1
      const const_6: int64[0] =
      const const_8: int64[2] = 1, 1
      const const_10: float32[2, 4] = 1, 1, 1, 1, 1, 1, 1, 1
      const const_12: float32[] = 0
      const const_16: int64[1] = 0
      const const_18: int64[1] = 4
      matmul_0 = MatMul(x, w)
      add_1 = Add(matmul_0, b)
      expand_7 = Expand(const_5, const_6)
      reshape_9 = Reshape(expand_7, const_8) {allowzero=1}
      mul_11 = Mul(reshape_9, const_10)
      greater_13 = Greater(add_1, const_12)
      cast_14 = Cast(greater_13) {to=1}
      mul_15 = Mul(mul_11, cast_14)
      reducesum_17 = ReduceSum(mul_15, const_16) {keepdims=1}
      db = Reshape(reducesum_17, const_18) {allowzero=1}
      transpose_20 = Transpose(w) {perm=[1,0]}
      dx = MatMul(mul_15, transpose_20)
      transpose_22 = Transpose(x) {perm=[1,0]}
      dw = MatMul(transpose_22, mul_15)
      output dx: float32[2, 3]
      output dw: float32[3, 4]
      output db: float32[4]"
    `);
  });

  it("softmax cross-entropy and its gradient with respect to the logits", () => {
    const g = new Graph();
    const logits = g.input("logits", [2, 3]);
    const labels = g.input("labels", [2, 3]);
    const loss = mul(sum(mul(labels, logSoftmax(logits))), -0.5);
    const [dLogits] = grad(loss, [logits]);
    expect(listing(g, { inputs: [logits, labels], outputs: { loss, dLogits: dLogits as typeof loss } })).toMatchInlineSnapshot(`
      "input logits: float32[2, 3]
      input labels: float32[2, 3]
      const const_2: int64[2] = 0, 1
      const const_4: float32[] = -0.5
      const const_6: float32[] = 1
      const const_7: int64[0] =
      const const_11: int64[2] = 1, 1
      const const_13: float32[2, 3] = 1, 1, 1, 1, 1, 1
      const const_18: int64[1] = 1
      logsoftmax_0 = LogSoftmax(logits) {axis=1}
      mul_1 = Mul(labels, logsoftmax_0)
      reducesum_3 = ReduceSum(mul_1, const_2) {keepdims=0}
      loss = Mul(reducesum_3, const_4)
      expand_8 = Expand(const_6, const_7)
      mul_9 = Mul(expand_8, const_4)
      reshape_12 = Reshape(mul_9, const_11) {allowzero=1}
      mul_14 = Mul(reshape_12, const_13)
      mul_16 = Mul(mul_14, labels)
      exp_17 = Exp(logsoftmax_0)
      reducesum_19 = ReduceSum(mul_16, const_18) {keepdims=1}
      mul_20 = Mul(exp_17, reducesum_19)
      dLogits = Sub(mul_16, mul_20)
      output loss: float32[]
      output dLogits: float32[2, 3]"
    `);
  });
});

describe("prune keeps only what the outputs need", () => {
  it("drops nodes and constants that no output reads", () => {
    const g = new Graph();
    const x = g.input("x", [3]);
    const kept = relu(x);
    const unused = add(mul(x, 7), g.constant([1, 2, 3], [3], "float32", "unusedConst"));
    const signature: ProgramSignature = { inputs: [x], outputs: { y: kept } };
    const { nodes, constants } = prune(g, signature);
    expect(g.nodes.length).toBe(3);
    expect(nodes.map((n) => n.opType)).toEqual(["Relu"]);
    expect(constants).toEqual([]);
    expect(toText(g, signature)).not.toContain(unused.name);
    // Fetching the other branch keeps it and its constants, and still drops the Relu.
    const other = prune(g, { inputs: [x], outputs: { z: unused } });
    expect(other.nodes.map((n) => n.opType)).toEqual(["Mul", "Add"]);
    expect(other.constants.map((c) => c.name).sort()).toContain("unusedConst");
  });

  it("a gradient graph fetched for the loss alone serializes no backward nodes", () => {
    const { g, x, w, b, y } = linearRelu();
    const loss = sum(y);
    const nodesBefore = g.nodes.length;
    grad(loss, [w, b]);
    expect(g.nodes.length).toBeGreaterThan(nodesBefore);
    expect(prune(g, { inputs: [x, w, b], outputs: { loss } }).nodes).toHaveLength(nodesBefore);
  });

  it("names the value an output needs but no input or node provides", () => {
    const g = new Graph();
    const x = g.input("x", [3]);
    const hidden = g.input("hidden", [3]);
    expect(() => prune(g, { inputs: [x], outputs: { y: add(x, hidden) } })).toThrow("output depends on hidden");
  });
});

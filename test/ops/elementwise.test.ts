import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { ModelProtoSchema } from "onnx-buf";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, type ProgramSignature, ShapeError, toOnnxModel } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { checkGradients } from "../helpers/gradcheck.js";

const positive = (n: number) => Array.from({ length: n }, (_, i) => 0.5 + ((i * 7919) % 97) / 50);
/** Values kept away from the kinks of relu, abs, clip, min/max, where finite differences are undefined. */
const awayFromZero = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1) * (0.2 + ((i * 31) % 17) / 10));

describe("elementwise ops: gradients by central finite differences (float64)", () => {
  const unary: [string, (x: ops.TensorLike & object) => ReturnType<typeof ops.neg>, ((n: number) => number[])?][] = [
    ["neg", ops.neg],
    ["exp", ops.exp],
    ["log", ops.log, positive],
    ["sqrt", ops.sqrt, positive],
    ["abs", ops.abs, awayFromZero],
    ["relu", ops.relu, awayFromZero],
    ["leakyRelu", (x) => ops.leakyRelu(x, 0.1), awayFromZero],
    ["gelu", ops.gelu],
    ["sigmoid", ops.sigmoid],
    ["tanh", ops.tanh],
    ["softplus", ops.softplus],
    ["erf", ops.erf],
    ["clip", (x) => ops.clip(x, -0.5, 0.7), awayFromZero],
  ];
  // NOTE: ORT's CPU build has no float64 Erf kernel, so the erf-based ops are checked in float32.
  const float32Only = new Set(["gelu", "erf"]);
  for (const [name, fn, values] of unary) {
    it(name, async () => {
      await checkGradients(fn, [{ shape: [3, 5], ...(values ? { values: values(15) } : {}) }], {
        dtype: float32Only.has(name) ? "float32" : "float64",
      });
    });
  }

  it("add, sub, mul, div with broadcasting", async () => {
    await checkGradients((a, b) => ops.add(a, b), [{ shape: [2, 3, 4] }, { shape: [3, 1] }]);
    await checkGradients((a, b) => ops.sub(a, b), [{ shape: [4] }, { shape: [2, 3, 4] }]);
    await checkGradients((a, b) => ops.mul(a, b), [{ shape: [2, 1, 4] }, { shape: [3, 1] }]);
    await checkGradients((a, b) => ops.div(a, b), [{ shape: [2, 3] }, { shape: [3], values: positive(3) }]);
  });

  it("pow in the base and the exponent", async () => {
    await checkGradients((a, b) => ops.pow(a, b), [{ shape: [2, 3], values: positive(6) }, { shape: [3] }]);
    await checkGradients((a) => ops.pow(a, 3), [{ shape: [2, 3] }]);
  });

  it("minimum, maximum", async () => {
    await checkGradients((a, b) => ops.minimum(a, b), [{ shape: [2, 3] }, { shape: [3] }], { seed: 3 });
    await checkGradients((a, b) => ops.maximum(a, b), [{ shape: [2, 3] }, { shape: [2, 1] }], { seed: 4 });
  });

  it("where routes the gradient by its condition", async () => {
    await checkGradients(
      (c, a, b) => ops.where(ops.greater(c, 0), a, b),
      [{ shape: [2, 3], differentiable: false }, { shape: [2, 3] }, { shape: [3] }],
    );
  });
});

describe("elementwise ops: trace-time errors", () => {
  it("names the op and the shapes that do not broadcast", () => {
    const g = new Graph();
    const a = g.input("a", [2, 3]);
    const b = g.input("b", [4]);
    expect(() => ops.add(a, b)).toThrow(ShapeError);
    expect(() => ops.add(a, b)).toThrow("add: shapes [2, 3] and [4] do not broadcast");
  });

  it("rejects mixed dtypes", () => {
    const g = new Graph();
    const a = g.input("a", [2], "float32");
    const b = g.input("b", [2], "int64");
    expect(() => ops.mul(a, b)).toThrow("mul: dtypes differ: float32[2] and int64[2]");
  });
});

describe("gelu: ONNX Runtime fuses the lowering into one Gelu kernel", () => {
  /** The op types ORT runs after its "extended" optimizations (the level GeluFusion is in), from the model it writes out. */
  async function optimizedOpTypes(graph: Graph, signature: ProgramSignature): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), "pretext-gelu-"));
    try {
      const file = join(dir, "optimized.onnx");
      const session = await ort.InferenceSession.create(toOnnxModel(graph, signature), { graphOptimizationLevel: "extended", optimizedModelFilePath: file });
      await session.release();
      return (fromBinary(ModelProtoSchema, readFileSync(file)).graph?.node ?? []).map((n) => n.opType);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("forward: Div by √2, Erf, Add, Mul, Mul become one Gelu", async () => {
    const g = new Graph();
    const x = g.input("x", [4, 8]);
    const types = await optimizedOpTypes(g, { inputs: [x], outputs: { y: ops.gelu(x) } });
    expect(types).toEqual(["Gelu"]);
  });

  it("and still with its VJP in the same graph (the backward does not share the forward's nodes)", async () => {
    const g = new Graph();
    const x = g.input("x", [4, 8]);
    const w = g.input("w", [4, 8]);
    const loss = ops.sum(ops.mul(ops.gelu(x), w));
    const [dx] = grad(loss, [x]);
    const types = await optimizedOpTypes(g, { inputs: [x, w], outputs: { loss, dx: dx as typeof loss } });
    expect(types.filter((t) => t === "Gelu")).toHaveLength(1);
    expect(types.filter((t) => t === "Erf")).toHaveLength(1); // the VJP's own erf
  });
});

import { fromBinary } from "@bufbuild/protobuf";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelProtoSchema } from "onnx-buf";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { Graph, type Shape, type Tensor } from "../../src/graph/index.js";
import { SmallCnn } from "../../src/nn/encoders/index.js";
import { AbstractModule, BoundContext, type ForwardContext, Parameter, StateBuffer, namedParameters, namedState } from "../../src/nn/module.js";
import { add, matmul, mul, relu } from "../../src/ops/index.js";
import { Rng } from "../../src/random/rng.js";
import { Program } from "../../src/runtime/index.js";
import { type ExportableModule, exportOnnx, saveOnnx } from "../../src/train/export.js";

const values = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);

class TinyLinear extends AbstractModule {
  readonly weight: Parameter;
  readonly bias: Parameter;
  constructor(inDim: number, outDim: number, rng: Rng) {
    super();
    this.weight = new Parameter([inDim, outDim], values(rng, inDim * outDim));
    this.bias = new Parameter([outDim], values(rng, outDim));
  }
  call(ctx: ForwardContext, x: Tensor): Tensor {
    return relu(add(matmul(x, ctx.value(this.weight)), ctx.value(this.bias))); // [N, out]
  }
}

/** Two layers and a state buffer that only eval mode reads, to check that export traces in eval mode. */
class Tiny extends AbstractModule {
  readonly layer1: TinyLinear;
  readonly layer2: TinyLinear;
  readonly scale: StateBuffer;
  constructor(rng: Rng) {
    super();
    this.layer1 = new TinyLinear(3, 5, rng);
    this.layer2 = new TinyLinear(5, 2, rng);
    this.scale = new StateBuffer([2], Float32Array.from([2, -0.5]));
  }
  call(ctx: ForwardContext, x: Tensor): Tensor {
    const y = this.layer2.call(ctx, this.layer1.call(ctx, x));
    return ctx.training ? y : mul(y, ctx.value(this.scale));
  }
}

/** The module's eval forward compiled by pretext, its weights fed as inputs rather than baked in. */
async function frameworkForward(module: ExportableModule, inputShape: Shape, x: Float32Array): Promise<Float32Array> {
  const graph = new Graph();
  const input = graph.input("x", inputShape);
  const leaves = [...namedParameters(module), ...namedState(module)];
  const bound = leaves.map(([path, p]) => [p, graph.input(`w.${path}`, p.shape)] as const);
  const program = await Program.compile(graph, {
    inputs: [input, ...bound.map(([, t]) => t)],
    outputs: { y: module.call(new BoundContext(false, new Map(bound)), input) },
  });
  const feeds = Object.fromEntries([
    ["x", { dtype: "float32" as const, shape: inputShape, data: x }],
    ...leaves.map(([path, p]) => [`w.${path}`, { dtype: "float32" as const, shape: p.shape, data: p.value }]),
  ]);
  const out = await program.run(feeds);
  await program.release();
  return out.y?.data as Float32Array;
}

/** Exports, saves, reloads from the file with onnxruntime-node, and compares with the framework's forward. */
async function checkExport(module: ExportableModule, inputShape: Shape, seed: number): Promise<void> {
  const bytes = exportOnnx(module, { inputShape });
  const path = join(await mkdtemp(join(tmpdir(), "pretext-onnx-")), "models", "encoder.onnx");
  await saveOnnx(path, bytes);

  const model = fromBinary(ModelProtoSchema, bytes);
  const initializers = model.graph?.initializer.map((t) => t.name) ?? [];
  const paths = [...namedParameters(module).keys(), ...namedState(module).keys()];
  for (const p of paths) expect(initializers).toContain(p);
  expect(model.graph?.input.map((i) => i.name)).toEqual(["input"]);
  expect(model.graph?.output.map((o) => o.name)).toEqual(["embedding"]);

  const x = values(new Rng(seed), inputShape.reduce((a, b) => a * b, 1));
  const session = await ort.InferenceSession.create(path);
  const result = await session.run({ input: new ort.Tensor("float32", x, [...inputShape]) });
  await session.release();
  const exported = result.embedding?.data as Float32Array;
  const expected = await frameworkForward(module, inputShape, x);
  expect(exported.length).toBe(expected.length);
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs((exported[i] as number) - (expected[i] as number)));
  expect(maxDiff).toBeLessThanOrEqual(1e-5);
}

describe("ONNX export", () => {
  it("a small module tree: initializers named by dotted path, output equals the framework's forward", async () => {
    const module = new Tiny(new Rng(1));
    const bytes = exportOnnx(module, { inputShape: [4, 3] });
    const names = fromBinary(ModelProtoSchema, bytes).graph?.initializer.map((t) => t.name).filter((n) => !n.startsWith("const_"));
    expect(names?.sort()).toEqual(["layer1.bias", "layer1.weight", "layer2.bias", "layer2.weight", "scale"]);
    await checkExport(module, [4, 3], 2);
  });

  it("refuses an input or output name that is also a parameter path", () => {
    expect(() => exportOnnx(new Tiny(new Rng(1)), { inputShape: [1, 3], outputName: "scale" })).toThrow(/"scale" is both a parameter path/);
  });

  it("SmallCnn, batch of 4, 1x28x28", async () => {
    const cnn = new SmallCnn(new Rng(3));
    // Non-trivial running statistics, so that eval-mode batch norm is really exercised.
    const rng = new Rng(4);
    for (const buffer of namedState(cnn).values()) buffer.value.set(Float32Array.from(buffer.value, (v) => v + 0.5 * rng.uniform()));
    await checkExport(cnn, [4, 1, 28, 28], 5);
  });
});

import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, type Tensor } from "../../src/graph/index.js";
import {
  BoundContext,
  ConvBnRelu,
  MlpEncoder,
  ResNet18Cifar,
  SmallCnn,
  TinyGpt,
  TransformerEncoder,
  anchorLmOptions,
  bindModule,
  namedParameters,
  parameterCount,
} from "../../src/nn/index.js";
import { maxPool2d } from "../../src/ops/conv.js";
import { mul, sum } from "../../src/ops/index.js";
import { Rng } from "../../src/random/rng.js";
import { type HostTensor, Program, int64, toNumbers } from "../../src/runtime/index.js";
import { feedsFor, randomInput, runModule } from "./run-module.js";

describe("parameter counts equal PyTorch's", () => {
  it("SmallCnn: the anchor's Encoder", () => {
    const convs = 1 * 32 * 9 + 32 * 32 * 9 + 32 * 64 * 9 + 64 * 64 * 9 + 64 * 128 * 9;
    const bns = 2 * (32 + 32 + 64 + 64 + 128);
    expect(parameterCount(new SmallCnn(new Rng(0)))).toBe(convs + bns); // 139,168
  });

  it("TinyGpt: the anchor's TinyGPT (vocab 100, d 128, 4 layers, context 128)", () => {
    const d = 128;
    const block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
    const expected = 100 * d + 128 * d + 4 * block + 2 * d + d * 100;
    expect(expected).toBe(835_328);
    expect(parameterCount(new TinyGpt(new Rng(0), anchorLmOptions))).toBe(expected);
  });

  it("ResNet18Cifar: torchvision's resnet18 with a 3×3 stem and no fc", () => {
    // 11,689,512 (torchvision) − 513,000 (fc) − 64·3·49 (7×7 stem) + 64·3·9 (3×3 stem)
    expect(parameterCount(new ResNet18Cifar(new Rng(0)))).toBe(11_689_512 - 513_000 - 64 * 3 * 49 + 64 * 3 * 9);
  });
});

describe("encoders run on ORT with outputDim features", () => {
  it("SmallCnn: [N, 1, 28, 28] → [N, 128], names as fields", async () => {
    const cnn = new SmallCnn(new Rng(1));
    expect([...namedParameters(cnn).keys()].slice(0, 3)).toEqual(["block1.conv.weight", "block1.bn.weight", "block1.bn.bias"]);
    const train = await runModule(cnn, randomInput([4, 1, 28, 28]), { training: true });
    expect(train.y.shape).toEqual([4, cnn.outputDim]);
    expect(train.state.size).toBe(10); // running mean and variance of 5 batch norms
    const evalRun = await runModule(cnn, randomInput([4, 1, 28, 28]), { bindAs: "constant" });
    expect(evalRun.y.shape).toEqual([4, 128]);
  });

  it("SmallCnn with a 3x3 pooling grid: 9 cells of every channel, the same parameters, any last map of at least 3x3", async () => {
    const grid = new SmallCnn(new Rng(1), { poolGrid: 3 });
    expect(grid.outputDim).toBe(128 * 9);
    expect(parameterCount(grid)).toBe(parameterCount(new SmallCnn(new Rng(1))));
    for (const side of [28, 32, 12]) expect((await runModule(grid, randomInput([2, 1, side, side]), { training: true })).y.shape).toEqual([2, 1152]);
    const wide = new SmallCnn(new Rng(1), { poolGrid: 3, outChannels: 16 });
    expect((await runModule(wide, randomInput([2, 1, 28, 28]))).y.shape).toEqual([2, 144]);
    await expect(runModule(grid, randomInput([2, 1, 8, 8]))).rejects.toThrow("a 3x3 pooling grid needs a last map of at least 3x3 (images of 12x12), got 2x2");
  });

  it("ResNet18Cifar at width 1/16: [N, 3, 16, 16] → [N, 32]", async () => {
    const net = new ResNet18Cifar(new Rng(2), { widthMultiplier: 1 / 16 });
    expect(net.outputDim).toBe(32);
    const names = [...namedParameters(net).keys()];
    expect(names).toContain("layer1.0.conv1.weight");
    expect(names).toContain("layer2.0.downsample.conv.weight");
    expect(names).not.toContain("layer1.0.downsample.conv.weight");
    expect((await runModule(net, randomInput([2, 3, 16, 16]), { training: true })).y.shape).toEqual([2, 32]);
  });

  it("MlpEncoder flattens images: [N, 1, 28, 28] → [N, 128]", async () => {
    const enc = new MlpEncoder(new Rng(3), { inputShape: [1, 28, 28], hidden: [512], outputDim: 128 });
    expect(parameterCount(enc)).toBe(784 * 512 + 512 + 512 * 128 + 128);
    expect((await runModule(enc, randomInput([3, 1, 28, 28]))).y.shape).toEqual([3, enc.outputDim]);
  });

  it("TransformerEncoder: ids [B, T] (T < context) → [B, T, dModel]; TinyGpt → logits", async () => {
    const options = { vocabSize: 11, dModel: 16, layers: 2, heads: 4, context: 8 };
    const enc = new TransformerEncoder(new Rng(4), options);
    const ids = int64([2, 6], [1, 2, 3, 4, 5, 6, 10, 9, 8, 7, 0, 0]);
    expect((await runModule(enc, ids)).y.shape).toEqual([2, 6, enc.outputDim]);
    const lm = new TinyGpt(new Rng(5), options);
    expect([...namedParameters(lm).keys()].at(-1)).toBe("head.weight");
    expect((await runModule(lm, ids)).y.shape).toEqual([2, 6, 11]);
  });
});

describe("encoders are differentiable end to end", () => {
  it("SmallCnn and TinyGpt: the gradient of every parameter traces, runs and is finite", async () => {
    const cases = [
      { module: new SmallCnn(new Rng(6)), x: randomInput([2, 1, 12, 12]) },
      { module: new TinyGpt(new Rng(7), { vocabSize: 7, dModel: 8, layers: 2, heads: 2, context: 4 }), x: int64([2, 4], [1, 2, 3, 4, 5, 6, 0, 1]) },
    ];
    for (const { module, x } of cases) {
      const graph = new Graph();
      const input = graph.input("x", x.shape, x.dtype);
      const { bindings, inputs } = bindModule(graph, module);
      const y = module.call(new BoundContext(true, bindings), input);
      const params = [...namedParameters(module)];
      const grads = grad(sum(y), params.map(([, p]) => bindings.get(p) as Tensor));
      const program = await Program.compile(graph, { inputs: graph.inputs, outputs: Object.fromEntries(params.map(([n], i) => [`grad:${n}`, grads[i] as Tensor])) }, { threads: 1 });
      const out = await program.run({ x, ...feedsFor(module, inputs.keys()) });
      await program.release();
      for (const [name, p] of params) {
        const g = toNumbers(out[`grad:${name}`] as HostTensor);
        expect(g.length, name).toBe(p.value.length);
        expect(g.every(Number.isFinite), name).toBe(true);
      }
      expect(toNumbers(out[`grad:${params[0]?.[0]}`] as HostTensor).some((v) => v !== 0)).toBe(true);
    }
  });

  it("ConvBnRelu.callThenMaxPool (ReLU after the pool) equals the pool of the block, values and gradients", async () => {
    const block = new ConvBnRelu(3, 8, new Rng(3));
    const x = randomInput([2, 3, 6, 6]);
    const weights = randomInput([2, 8, 3, 3], 4);
    const graph = new Graph();
    const input = graph.input("x", x.shape, x.dtype);
    const r = graph.input("r", weights.shape, weights.dtype);
    const { bindings, inputs } = bindModule(graph, block);
    const ctx = new BoundContext(true, bindings);
    const params = [...namedParameters(block)].map(([, p]) => bindings.get(p) as Tensor);
    const outputs: Record<string, Tensor> = {};
    for (const [name, y] of [["pooledFirst", block.callThenMaxPool(ctx, input, 2)], ["reluFirst", maxPool2d(block.call(ctx, input), { kernel: 2 })]] as const) {
      const grads = grad(sum(mul(y, r)), [input, ...params]);
      outputs[`${name}:y`] = y;
      grads.forEach((g, i) => {
        outputs[`${name}:${i}`] = g as Tensor;
      });
    }
    const program = await Program.compile(graph, { inputs: graph.inputs, outputs }, { threads: 1 });
    const out = await program.run({ x, r: weights, ...feedsFor(block, inputs.keys()) });
    await program.release();
    for (const key of ["y", "0", "1", "2", "3"]) {
      const a = toNumbers(out[`pooledFirst:${key}`] as HostTensor);
      const b = toNumbers(out[`reluFirst:${key}`] as HostTensor);
      expect(a.some((v) => v !== 0), key).toBe(true);
      a.forEach((v, i) => expect(v, `${key}[${i}]`).toBeCloseTo(b[i] as number, 5));
    }
  });
});

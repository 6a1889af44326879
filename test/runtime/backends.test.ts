import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, type Tensor } from "../../src/graph/index.js";
import { batchNorm, conv2d, div, flatten, logSoftmax, matmul, maxPool2d, mul, neg, relu, sum } from "../../src/ops/index.js";
import { Rng } from "../../src/random/rng.js";
import { type Backend, type HostTensor, Program, float32, nodeBackend, webBackend } from "../../src/runtime/index.js";
import { maxRelativeError, mlpStep } from "./mlp.js";

/** Compiles the same graph on both backends, runs the same feeds, and returns both results. */
async function runOnBoth(
  compile: (backend: Backend) => Promise<Program>,
  feeds: Record<string, HostTensor>,
): Promise<[Record<string, HostTensor>, Record<string, HostTensor>]> {
  const programs = await Promise.all([compile(nodeBackend), compile(webBackend)]);
  try {
    const node = await (programs[0] as Program).run(feeds);
    const web = await (programs[1] as Program).run(feeds);
    return [node, web];
  } finally {
    await Promise.all(programs.map((p) => p.release()));
  }
}

function expectSameResults(node: Record<string, HostTensor>, web: Record<string, HostTensor>, rtol: number): void {
  expect(Object.keys(web).sort()).toEqual(Object.keys(node).sort());
  for (const [name, a] of Object.entries(node)) {
    const b = web[name] as HostTensor;
    expect(b.dtype, name).toBe(a.dtype);
    expect(b.shape, name).toEqual(a.shape);
    expect(maxRelativeError(b, a), `${name}: onnxruntime-web vs onnxruntime-node`).toBeLessThanOrEqual(rtol);
  }
}

describe("onnxruntime-node and onnxruntime-web (wasm, in Node) compute the same training graph", () => {
  it("MLP forward + backward: matmul, add, relu, logSoftmax, sum and their VJPs", async () => {
    const step = mlpStep([12, 16, 16, 5], 8);
    const signature = { inputs: step.inputs, outputs: { loss: step.loss, logits: step.logits, ...step.grads } };
    const [node, web] = await runOnBoth((backend) => Program.compile(step.graph, signature, { backend }), step.feeds(1));
    expect(Object.keys(node)).toHaveLength(2 + 6);
    // NOTE: float32 results; the two builds sum in different orders, so agreement is ~1e-7 and
    // 1e-5 of each tensor's scale leaves room without hiding a wrong kernel.
    expectSameResults(node, web, 1e-5);
    expect(Number((node.loss as HostTensor).data[0])).toBeGreaterThan(0);
  });

  it("CNN forward + backward: conv2d, batch norm (training), relu, overlapping max pool, conv2d with bias, linear", async () => {
    const g = new Graph();
    const x = g.input("x", [4, 2, 8, 8]);
    const labels = g.input("labels", [4, 3]);
    const w = g.input("w", [5, 2, 3, 3]);
    const gamma = g.input("gamma", [5]);
    const beta = g.input("beta", [5]);
    const runningMean = g.input("runningMean", [5]);
    const runningVar = g.input("runningVar", [5]);
    const w2 = g.input("w2", [3, 5, 2, 2]);
    const b2 = g.input("b2", [3]);
    const fc = g.input("fc", [3 * 2 * 2, 3]);
    // NOTE: no bias on the conv before batch norm: batch norm cancels it, so its gradient is rounding
    // noise around zero that cannot be compared; the second conv carries the bias instead.
    const bn = batchNorm(conv2d(x, w, undefined, { padding: 1 }), gamma, beta, runningMean, runningVar, { training: true }); // [4, 5, 8, 8]
    // Kernel 3, stride 2 overlaps windows: its VJP is the ScatterElements-add path, not MaxUnpool.
    const pooled = maxPool2d(relu(bn.y), { kernel: 3, stride: 2 }); // [4, 5, 3, 3]
    const h = conv2d(pooled, w2, b2); // [4, 3, 2, 2]
    const logits = matmul(flatten(h), fc); // [4, 3]
    const loss = div(neg(sum(mul(labels, logSoftmax(logits)))), 4);
    const params = [w, gamma, beta, w2, b2, fc];
    const grads = grad(loss, params);
    // Running statistics are fetched under their inputs' names, as a train step swaps them.
    const outputs: Record<string, Tensor> = { loss, runningMean: bn.runningMean, runningVar: bn.runningVar };
    params.forEach((p, i) => (outputs[`d_${p.name}`] = grads[i] as Tensor));

    const rng = new Rng(2);
    const feeds: Record<string, HostTensor> = {};
    for (const t of g.inputs) feeds[t.name] = float32(t.shape, rng.normalArray(t.size, 0, 0.5));
    feeds.labels = float32([4, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]);
    feeds.runningVar = float32([5], [1, 1, 1, 1, 1]);
    const [node, web] = await runOnBoth((backend) => Program.compile(g, { inputs: g.inputs, outputs }, { backend }), feeds);
    expectSameResults(node, web, 1e-5);
  });
});

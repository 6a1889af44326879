import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, type Tensor } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { Rng } from "../../src/random/rng.js";
import { batchNormTrainingRewrite } from "../../src/runtime/batch-norm-training.js";
import { type HostTensor, Program, float32, nodeBackend, toNumbers, webBackend } from "../../src/runtime/index.js";

const rng = new Rng(5);

/** Two training-mode batch norms of the same width, without affine parameters, and a loss. */
function twoLayers() {
  const g = new Graph();
  const x = g.input("x", [3, 4, 5, 5]);
  const w = g.input("w", [4, 4, 3, 3]);
  const stats = (c: number) => [g.constant(new Array<number>(c).fill(0), [c]), g.constant(new Array<number>(c).fill(1), [c])] as const;
  const first = ops.batchNorm(x, null, null, ...stats(4), { training: true });
  const second = ops.batchNorm(ops.conv2d(ops.relu(first.y), w, undefined, { padding: 1 }), null, null, ...stats(4), { training: true });
  const loss = ops.sum(ops.mul(second.y, g.constant(rng.normalArray(3 * 4 * 25), [3, 4, 5, 5])));
  const [dx, dw] = grad(loss, [x, w]) as [Tensor, Tensor];
  const outputs = { loss, dx, dw, mean1: first.runningMean, var1: first.runningVar, mean2: second.runningMean, var2: second.runningVar };
  return { g, inputs: [x, w], outputs };
}

describe("batch norm's training statistics move onto ORT's training-mode kernel (node backend)", () => {
  it("fuses each forward statistics chain into one node and leaves the backward's node alone", () => {
    const { g } = twoLayers();
    const before = g.nodes.filter((n) => n.opType === "BatchNormalization").length;
    const nodes = batchNormTrainingRewrite()(g.nodes, g).nodes;
    const training = nodes.filter((n) => n.opType === "BatchNormalization" && n.attributes.training_mode !== undefined);
    expect(training).toHaveLength(2);
    expect(nodes.filter((n) => n.opType === "BatchNormalization")).toHaveLength(before);
    expect(nodes.filter((n) => n.opType === "ReduceMean")).toHaveLength(0);
    // every input is produced before it is read
    const seen = new Set<string>([...g.inputs.map((t) => t.name), ...g.constants.keys(), ""]);
    for (const n of nodes) {
      for (const i of n.inputs) expect(seen.has(i), `${n.opType} reads ${i}`).toBe(true);
      for (const o of n.outputs) seen.add(o);
    }
  });

  it("gives the values, gradients and running statistics of the unfused graph (onnxruntime-web runs it unfused)", async () => {
    const { g, inputs, outputs } = twoLayers();
    const feeds = { x: float32([3, 4, 5, 5], rng.normalArray(300).map((v) => 2 * v + 1)), w: float32([4, 4, 3, 3], rng.normalArray(144)) };
    const run = async (backend: typeof nodeBackend) => {
      const program = await Program.compile(g, { inputs, outputs }, { backend, threads: 1 });
      try {
        // twice: a second run must not see the first one's statistics
        await program.run(feeds);
        return await program.run(feeds);
      } finally {
        await program.release();
      }
    };
    const [fused, plain] = await Promise.all([run(nodeBackend), run(webBackend)]);
    for (const name of Object.keys(outputs)) {
      const a = toNumbers(fused[name] as HostTensor);
      const b = toNumbers(plain[name] as HostTensor);
      a.forEach((v, i) => expect(v, `${name}[${i}]`).toBeCloseTo(b[i] as number, 4));
    }
  });

  it("leaves a graph with only the backward's statistics unfused", () => {
    const g = new Graph();
    const x = g.input("x", [4, 3]);
    const gamma = g.input("gamma", [3]);
    const y = ops.batchNorm(x, gamma, null, g.constant([0, 0, 0], [3]), g.constant([1, 1, 1], [3]), { training: true }).y;
    const [dx] = grad(ops.sum(ops.mul(y, y)), [x]) as [Tensor];
    // dx does not read y, so pruning drops the forward node; the backward's cannot be fused
    const rewritten = batchNormTrainingRewrite()(g.nodes.filter((n) => !n.outputs.includes(y.name)), g).nodes;
    expect(rewritten.some((n) => n.attributes.training_mode !== undefined)).toBe(false);
    expect(dx.shape).toEqual([4, 3]);
  });
});

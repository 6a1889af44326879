import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { Graph, type Tensor } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { Rng } from "../../src/random/rng.js";
import { Program, float32 } from "../../src/runtime/index.js";
import { nchwcConvRewrite, probeNchwcBlockSize } from "../../src/runtime/nchwc.js";

const block = await probeNchwcBlockSize(ort);
const rng = new Rng(3);

function convGraph(xShape: number[], wShape: number[], options: ops.Conv2dOptions, withBias = false, constantFilter = false) {
  const g = new Graph();
  const x = g.input("x", xShape);
  const w = constantFilter ? g.constant(rng.normalArray(wShape.reduce((a, b) => a * b)), wShape) : g.input("w", wShape);
  const b = withBias ? g.input("b", [wShape[0] as number]) : undefined;
  const y = ops.relu(ops.conv2d(x, w, b, options));
  return { g, inputs: [x, ...(constantFilter ? [] : [w]), ...(b ? [b] : [])] as Tensor[], y };
}

const rewrittenConvs = (g: Graph) => nchwcConvRewrite(block ?? 16)(g.nodes, g).nodes.filter((n) => n.opType === "Conv" && n.domain === "com.microsoft.nchwc").length;

describe("convolutions with computed filters run on ORT's NCHWc kernels", () => {
  it("finds this CPU's channel block", () => {
    // x86-64 builds of onnxruntime-node always have the kernels (SSE: 4, AVX2: 8, AVX-512: 16)
    expect([4, 8, 16]).toContain(block);
  });

  const b = block ?? 16;
  const cases: [string, number[], number[], ops.Conv2dOptions, boolean][] = [
    ["blocked input, padding 1", [2, 2 * b, 9, 9], [b, 2 * b, 3, 3], { padding: 1 }, false],
    ["one input channel (a first layer): the input stays NCHW", [2, 1, 8, 8], [2 * b, 1, 3, 3], { padding: 1 }, true],
    ["stride 2 with bias", [2, b, 9, 7], [2 * b, b, 3, 3], { stride: 2, padding: 1 }, true],
    ["dilation 2, 1×3 kernel", [1, b, 8, 8], [b, b, 1, 3], { dilation: 2, padding: [0, 2] }, false],
  ];
  for (const [name, xs, ws, options, withBias] of cases) {
    it(`${name}: rewritten, and equal to the generic kernel`, async () => {
      const { g, inputs, y } = convGraph(xs, ws, options, withBias);
      expect(rewrittenConvs(g)).toBe(1);
      const feeds = Object.fromEntries(inputs.map((t) => [t.name, float32(t.shape, rng.normalArray(t.shape.reduce((p, q) => p * q, 1)))]));
      const blocked = await Program.compile(g, { inputs, outputs: { y } }, { nchwc: true });
      const generic = await Program.compile(g, { inputs, outputs: { y } }, { nchwc: false });
      const got = (await blocked.run(feeds)).y?.data as Float32Array;
      const want = (await generic.run(feeds)).y?.data as Float32Array;
      expect(got.length).toBe(want.length);
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(got.every((v, i) => Math.abs(v - (want[i] as number)) <= 1e-5 * scale)).toBe(true);
      await Promise.all([blocked.release(), generic.release()]);
    });
  }

  it("leaves alone what ORT already handles or the blocks do not fit", () => {
    expect(rewrittenConvs(convGraph([1, b, 6, 6], [b, b, 3, 3], { padding: 1 }, false, true).g)).toBe(0); // constant filter
    expect(rewrittenConvs(convGraph([1, 2 * b, 6, 6], [2 * b, b, 3, 3], { padding: 1, groups: 2 }).g)).toBe(0); // grouped
    expect(rewrittenConvs(convGraph([1, b + 4, 6, 6], [b, b + 4, 3, 3], { padding: 1 }).g)).toBe(0); // input channels off the block
    expect(rewrittenConvs(convGraph([1, b, 6, 6], [b + 4, b, 3, 3], { padding: 1 }).g)).toBe(0); // output channels off the block
  });
});

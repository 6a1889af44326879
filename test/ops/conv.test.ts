import { describe, expect, it } from "vitest";
import { vjp } from "../../src/autodiff/index.js";
import { Graph, ShapeError, type Shape, type Tensor, sizeOf } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { Rng } from "../../src/random/rng.js";
import { Program, float32, float64, toNumbers } from "../../src/runtime/index.js";
import { checkGradients } from "../helpers/gradcheck.js";

// NOTE: ORT's CPU provider has no double kernel for Conv, ConvTranspose, AveragePool or Resize
// (measured: "Could not find an implementation for Conv(11)"), so those checks run in float32.
// Every op checked in float32 is linear in each input, so central differences carry no truncation
// error and a large step (0.25 instead of 1e-2) only shrinks the float32 rounding error, so the
// tolerances tighten from the float32 defaults (rtol 2e-2, atol 1e-3); worst seen ≈ 1.3e-3.
const f32 = { dtype: "float32", eps: 0.25, rtol: 5e-3, atol: 1e-4 } as const;

/** Runs `fn` forward on ORT with the given inputs; returns the output's values and shape. */
async function run(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly { shape: Shape; data: ArrayLike<number> }[],
  dtype: "float32" | "float64" = "float32",
): Promise<{ values: number[]; shape: Shape }> {
  const g = new Graph();
  const xs = inputs.map((s, i) => g.input(`x${i}`, s.shape, dtype));
  const y = fn(...xs);
  const p = await Program.compile(g, { inputs: xs, outputs: { y } });
  const make = dtype === "float32" ? float32 : float64;
  const out = await p.run(Object.fromEntries(inputs.map((s, i) => [`x${i}`, make(s.shape, s.data)])));
  await p.release();
  const t = out.y as NonNullable<typeof out.y>;
  return { values: toNumbers(t), shape: t.shape };
}

const rng = new Rng(7);
const randn = (shape: Shape) => ({ shape, data: Array.from(rng.normalArray(sizeOf(shape))) });

function expectClose(actual: readonly number[], expected: readonly number[], tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(0, ...actual.map((a, i) => Math.abs(a - (expected[i] as number))));
  expect(worst).toBeLessThanOrEqual(tol);
}

interface ConvParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** Direct-loop conv2d, PyTorch semantics. */
function naiveConv2d(x: number[], xs: Shape, w: number[], ws: Shape, b: number[] | null, p: ConvParams) {
  const [n, c, h, wd] = xs as [number, number, number, number];
  const [o, cg, kh, kw] = ws as [number, number, number, number];
  const ho = Math.floor((h + 2 * p.padding[0] - p.dilation[0] * (kh - 1) - 1) / p.stride[0]) + 1;
  const wo = Math.floor((wd + 2 * p.padding[1] - p.dilation[1] * (kw - 1) - 1) / p.stride[1]) + 1;
  const og = o / p.groups;
  const out: number[] = [];
  for (let ni = 0; ni < n; ni++)
    for (let oi = 0; oi < o; oi++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++) {
          let acc = b ? (b[oi] as number) : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let a = 0; a < kh; a++)
              for (let bb = 0; bb < kw; bb++) {
                const r = i * p.stride[0] + a * p.dilation[0] - p.padding[0];
                const s = j * p.stride[1] + bb * p.dilation[1] - p.padding[1];
                if (r < 0 || r >= h || s < 0 || s >= wd) continue;
                const cin = Math.floor(oi / og) * cg + ci;
                acc += (x[((ni * c + cin) * h + r) * wd + s] as number) * (w[((oi * cg + ci) * kh + a) * kw + bb] as number);
              }
          out.push(acc);
        }
  return { values: out, shape: [n, o, ho, wo] };
}

/** Direct-loop conv_transpose2d: each input pixel scatters its weighted kernel. */
function naiveConvTranspose2d(x: number[], xs: Shape, w: number[], ws: Shape, p: ConvParams & { outputPadding: [number, number] }) {
  const [n, c, h, wd] = xs as [number, number, number, number];
  const [, og, kh, kw] = ws as [number, number, number, number];
  const cg = c / p.groups;
  const o = og * p.groups;
  const ho = p.stride[0] * (h - 1) + p.dilation[0] * (kh - 1) + 1 + p.outputPadding[0] - 2 * p.padding[0];
  const wo = p.stride[1] * (wd - 1) + p.dilation[1] * (kw - 1) + 1 + p.outputPadding[1] - 2 * p.padding[1];
  const out = new Array<number>(n * o * ho * wo).fill(0);
  for (let ni = 0; ni < n; ni++)
    for (let ci = 0; ci < c; ci++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++)
          for (let oj = 0; oj < og; oj++)
            for (let a = 0; a < kh; a++)
              for (let bb = 0; bb < kw; bb++) {
                const r = i * p.stride[0] + a * p.dilation[0] - p.padding[0];
                const s = j * p.stride[1] + bb * p.dilation[1] - p.padding[1];
                if (r < 0 || r >= ho || s < 0 || s >= wo) continue;
                const oc = Math.floor(ci / cg) * og + oj;
                const k = ((ni * o + oc) * ho + r) * wo + s;
                out[k] = (out[k] as number) + (x[((ni * c + ci) * h + i) * wd + j] as number) * (w[((ci * og + oj) * kh + a) * kw + bb] as number);
              }
  return { values: out, shape: [n, o, ho, wo] };
}

/** Direct-loop pooling over windows that fit the padded input (floor mode). */
function naivePool(x: number[], xs: Shape, k: number, s: number, p: number, kind: "max" | "avg" | "avgExcludePad") {
  const [n, c, h, w] = xs as [number, number, number, number];
  const ho = Math.floor((h + 2 * p - k) / s) + 1;
  const wo = Math.floor((w + 2 * p - k) / s) + 1;
  const out: number[] = [];
  for (let nc = 0; nc < n * c; nc++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) {
        let best = -Infinity;
        let total = 0;
        let count = 0;
        for (let a = 0; a < k; a++)
          for (let b = 0; b < k; b++) {
            const r = i * s + a - p;
            const q = j * s + b - p;
            if (r < 0 || r >= h || q < 0 || q >= w) continue;
            const v = x[(nc * h + r) * w + q] as number;
            best = Math.max(best, v);
            total += v;
            count++;
          }
        out.push(kind === "max" ? best : kind === "avg" ? total / (k * k) : total / count);
      }
  return { values: out, shape: [n, c, ho, wo] };
}

describe("conv2d: values against a direct loop", () => {
  const cases: [string, Shape, Shape, ConvParams, boolean][] = [
    ["stride 1, padding 1, bias", [2, 3, 5, 5], [4, 3, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 }, true],
    ["stride 2, odd size", [1, 2, 8, 7], [3, 2, 3, 2], { stride: [2, 2], padding: [1, 0], dilation: [1, 1], groups: 1 }, false],
    ["dilation 2", [1, 2, 9, 8], [2, 2, 3, 3], { stride: [1, 2], padding: [2, 1], dilation: [2, 2], groups: 1 }, true],
    ["groups 2", [2, 4, 6, 5], [6, 2, 3, 3], { stride: [2, 1], padding: [1, 1], dilation: [1, 1], groups: 2 }, true],
    ["depthwise", [1, 3, 5, 5], [3, 1, 3, 3], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 3 }, false],
  ];
  for (const [name, xs, ws, p, withBias] of cases) {
    it(name, async () => {
      const x = randn(xs);
      const w = randn(ws);
      const b = randn([ws[0] as number]);
      const got = await run(
        (xt, wt, bt) => ops.conv2d(xt as Tensor, wt as Tensor, withBias ? bt : undefined, p),
        [x, w, b],
      );
      const want = naiveConv2d(x.data, xs, w.data, ws, withBias ? b.data : null, p);
      expect(got.shape).toEqual(want.shape);
      expectClose(got.values, want.values);
    });
  }

  it("a hand-computed 3×3 example", async () => {
    // x = 1..9 in a 3×3 image, w = [[1, 0], [0, -1]]: each output is x[i][j] − x[i+1][j+1] = −4.
    const got = await run((x, w) => ops.conv2d(x as Tensor, w as Tensor), [
      { shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
      { shape: [1, 1, 2, 2], data: [1, 0, 0, -1] },
    ]);
    expect(got.shape).toEqual([1, 1, 2, 2]);
    expectClose(got.values, [-4, -4, -4, -4]);
  });

  it("conv1d equals conv2d of height 1", async () => {
    const x = randn([2, 4, 9]);
    const w = randn([6, 2, 3]);
    const got = await run((xt, wt) => ops.conv1d(xt as Tensor, wt as Tensor, undefined, { stride: 2, padding: 1, dilation: 2, groups: 2 }), [x, w]);
    const want = naiveConv2d(x.data, [2, 4, 1, 9], w.data, [6, 2, 1, 3], null, { stride: [1, 2], padding: [0, 1], dilation: [1, 2], groups: 2 });
    expect(got.shape).toEqual([2, 6, 4]);
    expectClose(got.values, want.values);
  });

  it("convTranspose2d against a direct scatter loop", async () => {
    const p = { stride: [2, 2], padding: [1, 0], dilation: [1, 2], groups: 2, outputPadding: [1, 1] } as ConvParams & { outputPadding: [number, number] };
    const x = randn([1, 4, 3, 4]);
    const w = randn([4, 3, 3, 2]);
    const got = await run((xt, wt) => ops.convTranspose2d(xt as Tensor, wt as Tensor, undefined, p), [x, w]);
    const want = naiveConvTranspose2d(x.data, [1, 4, 3, 4], w.data, [4, 3, 3, 2], p);
    expect(got.shape).toEqual(want.shape);
    expectClose(got.values, want.values);
  });
});

describe("pooling and upsampling: values", () => {
  const x = randn([2, 2, 7, 6]);
  it("maxPool2d k3 s2 p1", async () => {
    const got = await run((t) => ops.maxPool2d(t, { kernel: 3, stride: 2, padding: 1 }), [x]);
    const want = naivePool(x.data, x.shape, 3, 2, 1, "max");
    expect(got.shape).toEqual(want.shape);
    expectClose(got.values, want.values);
  });
  it("avgPool2d k3 s2 p1 counts padding by default, as PyTorch", async () => {
    const got = await run((t) => ops.avgPool2d(t, { kernel: 3, stride: 2, padding: 1 }), [x]);
    expectClose(got.values, naivePool(x.data, x.shape, 3, 2, 1, "avg").values);
    const excl = await run((t) => ops.avgPool2d(t, { kernel: 3, stride: 2, padding: 1, countIncludePad: false }), [x]);
    expectClose(excl.values, naivePool(x.data, x.shape, 3, 2, 1, "avgExcludePad").values);
  });
  it("globalAvgPool2d is the spatial mean", async () => {
    const got = await run((t) => ops.globalAvgPool2d(t), [{ shape: [1, 2, 2, 2], data: [1, 2, 3, 4, 5, 6, 7, 9] }], "float64");
    expect(got.shape).toEqual([1, 2]);
    expectClose(got.values, [2.5, 6.75]);
  });
  it("upsample2d matches PyTorch F.interpolate(scale_factor=2)", async () => {
    const img = { shape: [1, 1, 2, 2], data: [1, 2, 3, 4] };
    const nearest = await run((t) => ops.upsample2d(t, { scale: 2, mode: "nearest" }), [img]);
    expectClose(nearest.values, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    // torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    const bilinear = await run((t) => ops.upsample2d(t, { scale: 2, mode: "bilinear" }), [img]);
    expectClose(bilinear.values, [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
    expect(bilinear.shape).toEqual([1, 1, 4, 4]);
  });
});

describe("conv family: gradients by central finite differences", () => {
  const conv2dCases: [string, Shape, Shape, ops.Conv2dOptions, boolean][] = [
    ["stride 1, padding 1, bias", [2, 3, 5, 5], [4, 3, 3, 3], { padding: 1 }, true],
    ["stride 2, (H+2p−k) mod s ≠ 0", [1, 2, 8, 7], [3, 2, 3, 3], { stride: 2, padding: 1 }, true],
    ["stride 2 without padding, odd sizes", [2, 2, 7, 6], [2, 2, 2, 3], { stride: 2 }, false],
    ["dilation 2 with stride [1, 2]", [1, 2, 9, 8], [2, 2, 3, 3], { stride: [1, 2], padding: [2, 1], dilation: 2 }, true],
    ["groups 2, stride 2", [2, 4, 6, 5], [6, 2, 3, 3], { stride: 2, padding: 1, groups: 2 }, true],
    ["depthwise, dilation 2", [2, 3, 6, 6], [3, 1, 3, 3], { padding: 2, dilation: 2, groups: 3 }, false],
    ["depthwise multiplier 2, stride 2", [1, 2, 7, 7], [4, 1, 3, 3], { stride: 2, padding: 1, groups: 2 }, true],
    // stride 1: the input gradient is a conv with the flipped filter, padded d(k − 1) − p
    ["groups 2, 3×2 kernel, dilation [2, 1], padding [1, 0]", [2, 4, 7, 6], [6, 2, 3, 2], { padding: [1, 0], dilation: [2, 1], groups: 2 }, true],
    ["padding past the kernel's reach", [1, 2, 4, 4], [3, 2, 3, 3], { padding: 3 }, false],
    // ≥ 8 input channels, "same" output: the filter gradient reads its windows as ranges of rows
    // laid end to end, gy masked where a window's columns wrap
    ["filter gradient on the row grid", [2, 8, 12, 12], [3, 8, 3, 3], { padding: 1 }, false],
    ["row grid, odd batch, 3×3 dilated by 2, padding 2", [1, 8, 7, 6], [2, 8, 3, 3], { padding: 2, dilation: 2 }, true],
    ["row grid, 5×3 kernel, padding [2, 1]", [3, 8, 5, 4], [2, 8, 5, 3], { padding: [2, 1] }, false],
    ["row grid without zero rows, 1×3 kernel, padding [0, 1]", [2, 8, 4, 5], [3, 8, 1, 3], { padding: [0, 1] }, false],
    // ≥ 8 input channels, output smaller than the input: a window per tap
    ["filter gradient from one window per tap", [2, 8, 5, 5], [3, 8, 3, 3], {}, true],
    ["a window per tap, odd batch, 3×2 kernel, dilation [2, 1]", [1, 8, 16, 10], [2, 8, 3, 2], { padding: [2, 0], dilation: [2, 1] }, true],
  ];
  for (const [name, xs, ws, options, withBias] of conv2dCases) {
    it(`conv2d ${name}`, async () => {
      const specs = [{ shape: xs }, { shape: ws }, ...(withBias ? [{ shape: [ws[0] as number] }] : [])];
      await checkGradients((x, w, b) => ops.conv2d(x as Tensor, w as Tensor, b, options), specs, f32);
    });
  }

  it("conv1d with stride, padding, dilation and groups", async () => {
    await checkGradients((x, w, b) => ops.conv1d(x as Tensor, w as Tensor, b, { stride: 2, padding: 1 }), [{ shape: [2, 3, 9] }, { shape: [4, 3, 3] }, { shape: [4] }], f32);
    await checkGradients((x, w) => ops.conv1d(x as Tensor, w as Tensor, undefined, { dilation: 2, padding: 2, groups: 3 }), [{ shape: [1, 3, 8] }, { shape: [6, 1, 3] }], f32);
  });

  const transposeCases: [string, Shape, Shape, ops.ConvTranspose2dOptions, boolean][] = [
    ["k4 s2 p1 with bias", [1, 3, 4, 4], [3, 2, 4, 4], { stride: 2, padding: 1 }, true],
    ["k3 s2 p1 outputPadding 1", [2, 2, 3, 4], [2, 3, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }, false],
    ["groups 2, dilation 2, stride 2", [1, 4, 3, 3], [4, 2, 3, 3], { stride: 2, dilation: 2, groups: 2, outputPadding: 1 }, true],
    ["stride [1, 3], dilation [2, 1], outputPadding [0, 2]", [1, 2, 4, 3], [2, 2, 2, 3], { stride: [1, 3], dilation: [2, 1], outputPadding: [0, 2] }, false],
  ];
  for (const [name, xs, ws, options, withBias] of transposeCases) {
    it(`convTranspose2d ${name}`, async () => {
      const specs = [{ shape: xs }, { shape: ws }, ...(withBias ? [{ shape: [(ws[1] as number) * (options.groups ?? 1)] }] : [])];
      await checkGradients((x, w, b) => ops.convTranspose2d(x as Tensor, w as Tensor, b, options), specs, f32);
    });
  }

  it("maxPool2d with overlapping windows k3 s2 p1, and k2 s2 (float64)", async () => {
    await checkGradients((x) => ops.maxPool2d(x, { kernel: 3, stride: 2, padding: 1 }), [{ shape: [2, 2, 7, 7] }]);
    await checkGradients((x) => ops.maxPool2d(x, { kernel: 2 }), [{ shape: [1, 2, 4, 6] }]);
    await checkGradients((x) => ops.maxPool2d(x, { kernel: [2, 3], stride: [1, 2] }), [{ shape: [1, 1, 5, 7] }]);
  });

  it("avgPool2d with and without counting padding", async () => {
    await checkGradients((x) => ops.avgPool2d(x, { kernel: 3, stride: 2, padding: 1 }), [{ shape: [2, 2, 7, 6] }], f32);
    await checkGradients((x) => ops.avgPool2d(x, { kernel: 3, stride: 2, padding: 1, countIncludePad: false }), [{ shape: [1, 2, 8, 7] }], f32);
    await checkGradients((x) => ops.avgPool2d(x, { kernel: 2 }), [{ shape: [1, 3, 4, 5] }], f32);
  });

  it("globalAvgPool2d (float64)", async () => {
    await checkGradients((x) => ops.globalAvgPool2d(x), [{ shape: [2, 3, 4, 5] }]);
  });

  it("upsample2d nearest (integer and fractional scales) and bilinear", async () => {
    await checkGradients((x) => ops.upsample2d(x, { scale: 2, mode: "nearest" }), [{ shape: [2, 2, 3, 4] }], f32);
    await checkGradients((x) => ops.upsample2d(x, { scale: [1.5, 3], mode: "nearest" }), [{ shape: [1, 2, 4, 3] }], f32);
    await checkGradients((x) => ops.upsample2d(x, { scale: 2, mode: "bilinear" }), [{ shape: [1, 2, 3, 4] }], f32);
    await checkGradients((x) => ops.upsample2d(x, { scale: [1.5, 2.5], mode: "bilinear" }), [{ shape: [1, 1, 4, 3] }], f32);
  });
});

describe("conv family: the backward pass is differentiable again", () => {
  // Each VJP is built from conv ops with swapped strides and dilations; differentiating it checks
  // those rules on unusual parameters too.
  it("conv2d's filter and input gradients, grouped and strided", async () => {
    const options = { stride: 2, padding: 1, groups: 2 };
    const backward = (wrt: 0 | 1) => (x: Tensor, w: Tensor, gy: Tensor) =>
      vjp([ops.conv2d(x, w, undefined, options)], [gy], [wrt === 0 ? x : w])[0] as Tensor;
    const specs = [{ shape: [1, 4, 5, 6] }, { shape: [2, 2, 3, 3] }, { shape: [1, 2, 3, 3] }];
    await checkGradients((x, w, gy) => backward(1)(x as Tensor, w as Tensor, gy as Tensor), specs, f32);
    await checkGradients((x, w, gy) => backward(0)(x as Tensor, w as Tensor, gy as Tensor), specs, f32);
  });

  it("conv2d's filter gradient through the one-hot im2col of a few input channels", async () => {
    const backward = (x: Tensor, w: Tensor, gy: Tensor) => vjp([ops.conv2d(x, w, undefined, { padding: 1 })], [gy], [w])[0] as Tensor;
    const specs = [{ shape: [2, 2, 4, 5] }, { shape: [3, 2, 3, 3] }, { shape: [2, 3, 4, 5] }];
    await checkGradients((x, w, gy) => backward(x as Tensor, w as Tensor, gy as Tensor), specs, f32);
  });

  it("maxPool2d's scatter gradient (float64)", async () => {
    await checkGradients(
      (x, gy) => vjp([ops.maxPool2d(x as Tensor, { kernel: 3, stride: 2, padding: 1 })], [gy as Tensor], [x as Tensor])[0] as Tensor,
      [{ shape: [1, 1, 5, 5], differentiable: false }, { shape: [1, 1, 3, 3] }],
    );
  });
});

describe("conv family: trace-time errors", () => {
  it("conv2d names the op and the shapes on a channel mismatch", () => {
    const g = new Graph();
    const x = g.input("x", [1, 3, 5, 5]);
    expect(() => ops.conv2d(x, g.input("w", [4, 2, 3, 3]))).toThrow(ShapeError);
    expect(() => ops.conv2d(x, g.input("w2", [4, 2, 3, 3]))).toThrow(
      "conv2d: input [1, 3, 5, 5] has 3 channels but weight [4, 2, 3, 3] with groups=1 expects 2",
    );
    expect(() => ops.conv2d(x, g.input("w3", [4, 1, 3, 3]), undefined, { groups: 3 })).toThrow("do not divide into 3 groups");
  });

  it("rejects a kernel larger than the padded input, a wrong bias and bad options", () => {
    const g = new Graph();
    const x = g.input("x", [1, 1, 2, 2]);
    expect(() => ops.conv2d(x, g.input("w", [1, 1, 3, 3]))).toThrow("conv2d: kernel [3, 3]");
    expect(() => ops.conv2d(x, g.input("w2", [2, 1, 1, 1]), g.input("b", [3]))).toThrow("conv2d: bias must be [2], got [3]");
    expect(() => ops.conv2d(x, g.input("w3", [1, 1, 1, 1]), undefined, { stride: 0 })).toThrow("conv2d: stride must be");
    expect(() => ops.conv1d(x, g.input("w4", [1, 1, 1]))).toThrow("conv1d: input must be [N, C, L], got float32[1, 1, 2, 2]");
  });

  it("convTranspose2d, pools and upsample check their inputs", () => {
    const g = new Graph();
    const x = g.input("x", [1, 3, 4, 4]);
    expect(() => ops.convTranspose2d(x, g.input("w", [2, 3, 3, 3]))).toThrow("convTranspose2d: input [1, 3, 4, 4] has 3 channels but weight [2, 3, 3, 3] expects 2");
    expect(() => ops.convTranspose2d(x, g.input("w2", [3, 1, 3, 3]), undefined, { stride: 2, outputPadding: 2 })).toThrow(
      "convTranspose2d: outputPadding [2, 2] must be less than the stride [2, 2]",
    );
    expect(() => ops.maxPool2d(x, { kernel: 2, padding: 2 })).toThrow("maxPool2d: padding [2, 2] must be at most half the kernel [2, 2]");
    expect(() => ops.avgPool2d(x, { kernel: 5 })).toThrow("avgPool2d: kernel [5, 5] is larger than padded input [1, 3, 4, 4]");
    expect(() => ops.upsample2d(g.input("v", [3, 4, 4]), { scale: 2, mode: "nearest" })).toThrow("upsample2d: input must be [N, C, H, W]");
    expect(() => ops.globalAvgPool2d(g.input("u", [3, 4]))).toThrow("globalAvgPool2d");
  });
});

/**
 * Micro-benchmark of conv forward/backward formulations on ORT (NCHW, 3x3, pad 1, stride 1):
 * `npx tsx bench/conv-micro.ts [N] [C] [O] [H] [runs] [threads]` (`ONLY=<regex>` picks variants).
 * Each variant is its own session; median ms.
 */
import { vjp } from "../src/autodiff/index.js";
import { Graph, type Tensor, attr } from "../src/graph/index.js";
import { conv2d } from "../src/ops/conv.js";
import { add, slice } from "../src/ops/index.js";
import { Rng } from "../src/random/rng.js";
import type * as OrtNode from "onnxruntime-node";
import { type Backend, Program, float32 } from "../src/runtime/index.js";
import { nodeBackend } from "../src/runtime/node-backend.js";
import { createOrtSession } from "../src/runtime/ort-session.js";

const [n, c, o, h, runs, threads] = [256, 32, 32, 28, 15, 0].map((d, i) => Number(process.argv[2 + i] ?? d)) as [number, number, number, number, number, number];
const w = h;
const rng = new Rng(0);
const feeds = {
  x: float32([n, c, h, w], rng.normalArray(n * c * h * w)),
  g: float32([n, o, h, w], rng.normalArray(n * o * h * w)),
  k: float32([o, c, 3, 3], rng.normalArray(o * c * 9, 0, 0.1)),
};
const convAttrs = { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([1, 1]) };

type Build = (g: Graph, x: Tensor, gy: Tensor, k: Tensor) => Tensor;
const variants: Record<string, Build> = {
  "fwd Conv": (g, x, _gy, k) => g.emit1("Conv", [x, k], [n, o, h, w], "float32", convAttrs),
  "fwd Conv, constant filter (ORT's NCHWc kernels)": (g, x) => {
    const constant = g.constant(feeds.k.data as Float32Array, [o, c, 3, 3]);
    return g.emit1("Conv", [x, constant], [n, o, h, w], "float32", convAttrs);
  },
  "fwd im2col NHWC: 9 slices, concat, one MatMul": (g, x, _gy, k) => {
    const xl = g.emit1("Transpose", [x], [n, h, w, c], "float32", { perm: attr.ints([0, 2, 3, 1]) });
    const xp = g.emit1("Pad", [xl, g.int64s([0, 1, 1, 0, 0, 1, 1, 0])], [n, h + 2, w + 2, c], "float32");
    const taps: Tensor[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) taps.push(g.emit1("Slice", [xp, g.int64s([a, b]), g.int64s([a + h, b + w]), g.int64s([1, 2])], [n, h, w, c], "float32"));
    const cols = g.emit1("Reshape", [g.emit1("Concat", taps, [n, h, w, 9 * c], "float32", { axis: attr.int(3) }), g.int64s([n * h * w, 9 * c])], [n * h * w, 9 * c], "float32");
    const kl = g.emit1("Reshape", [g.emit1("Transpose", [k], [3, 3, c, o], "float32", { perm: attr.ints([2, 3, 1, 0]) }), g.int64s([9 * c, o])], [9 * c, o], "float32");
    const y = g.emit1("MatMul", [cols, kl], [n * h * w, o], "float32");
    return g.emit1("Transpose", [g.emit1("Reshape", [y, g.int64s([n, h, w, o])], [n, h, w, o], "float32")], [n, o, h, w], "float32", { perm: attr.ints([0, 3, 1, 2]) });
  },
  "dX ConvTranspose": (g, _x, gy, k) => g.emit1("ConvTranspose", [gy, k], [n, c, h, w], "float32", convAttrs),
  "dX Conv(flipped W^T)": (g, _x, gy, k) => {
    const kt = g.emit1("Transpose", [k], [c, o, 3, 3], "float32", { perm: attr.ints([1, 0, 2, 3]) });
    const flipped = g.emit1("Slice", [kt, g.int64s([-1, -1]), g.int64s([-4, -4]), g.int64s([2, 3]), g.int64s([-1, -1])], [c, o, 3, 3], "float32");
    return g.emit1("Conv", [gy, flipped], [n, c, h, w], "float32", convAttrs);
  },
  "dW Conv(whole map as kernel)": (g, x, gy) => {
    const xs = g.emit1("Transpose", [x], [c, n, h, w], "float32", { perm: attr.ints([1, 0, 2, 3]) });
    const gs = g.emit1("Transpose", [gy], [o, n, h, w], "float32", { perm: attr.ints([1, 0, 2, 3]) });
    const r = g.emit1("Conv", [xs, gs], [c, o, 3, 3], "float32", { kernel_shape: attr.ints([h, w]), pads: attr.ints([1, 1, 1, 1]) });
    return g.emit1("Transpose", [r], [o, c, 3, 3], "float32", { perm: attr.ints([1, 0, 2, 3]) });
  },
  "dW im2col NCHW: 9 slices, concat, batched MatMul + ReduceSum": (g, x, gy) => {
    const xp = g.emit1("Pad", [x, g.int64s([0, 0, 1, 1, 0, 0, 1, 1])], [n, c, h + 2, w + 2], "float32");
    const taps: Tensor[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        const s = g.emit1("Slice", [xp, g.int64s([a, b]), g.int64s([a + h, b + w]), g.int64s([2, 3])], [n, c, h, w], "float32");
        taps.push(g.emit1("Reshape", [s, g.int64s([n, c, 1, h * w])], [n, c, 1, h * w], "float32"));
      }
    const cols = g.emit1("Concat", taps, [n, c, 9, h * w], "float32", { axis: attr.int(2) });
    const cols2 = g.emit1("Reshape", [cols, g.int64s([n, c * 9, h * w])], [n, c * 9, h * w], "float32");
    const g3 = g.emit1("Reshape", [gy, g.int64s([n, o, h * w])], [n, o, h * w], "float32");
    const colsT = g.emit1("Transpose", [cols2], [n, h * w, c * 9], "float32", { perm: attr.ints([0, 2, 1]) });
    const per = g.emit1("MatMul", [g3, colsT], [n, o, c * 9], "float32");
    const s = g.emit1("ReduceSum", [per, g.int64s([0])], [o, c * 9], "float32", { keepdims: attr.int(0) });
    return g.emit1("Reshape", [s, g.int64s([o, c, 3, 3])], [o, c, 3, 3], "float32");
  },
  "dW im2col NCHW, MatMul(cols[N,9C,HW], G^T[N,HW,O]) + ReduceSum": (g, x, gy) => {
    const xp = g.emit1("Pad", [x, g.int64s([0, 0, 1, 1, 0, 0, 1, 1])], [n, c, h + 2, w + 2], "float32");
    const taps: Tensor[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        const s = g.emit1("Slice", [xp, g.int64s([a, b]), g.int64s([a + h, b + w]), g.int64s([2, 3])], [n, c, h, w], "float32");
        taps.push(g.emit1("Reshape", [s, g.int64s([n, c, 1, h * w])], [n, c, 1, h * w], "float32"));
      }
    const cols = g.emit1("Reshape", [g.emit1("Concat", taps, [n, c, 9, h * w], "float32", { axis: attr.int(2) }), g.int64s([n, c * 9, h * w])], [n, c * 9, h * w], "float32");
    const gt = g.emit1("Transpose", [g.emit1("Reshape", [gy, g.int64s([n, o, h * w])], [n, o, h * w], "float32")], [n, h * w, o], "float32", { perm: attr.ints([0, 2, 1]) });
    const per = g.emit1("MatMul", [cols, gt], [n, c * 9, o], "float32");
    const s = g.emit1("ReduceSum", [per, g.int64s([0])], [c * 9, o], "float32", { keepdims: attr.int(0) });
    return g.emit1("Transpose", [g.emit1("Reshape", [s, g.int64s([c, 3, 3, o])], [c, 3, 3, o], "float32")], [o, c, 3, 3], "float32", { perm: attr.ints([3, 0, 1, 2]) });
  },
  "dW per tap: MatMul(X_ab[N,C,HW], G^T[N,HW,O]) + ReduceSum, 9x": (g, x, gy) => {
    const xp = g.emit1("Pad", [x, g.int64s([0, 0, 1, 1, 0, 0, 1, 1])], [n, c, h + 2, w + 2], "float32");
    const gt = g.emit1("Transpose", [g.emit1("Reshape", [gy, g.int64s([n, o, h * w])], [n, o, h * w], "float32")], [n, h * w, o], "float32", { perm: attr.ints([0, 2, 1]) });
    const taps: Tensor[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        const s = g.emit1("Slice", [xp, g.int64s([a, b]), g.int64s([a + h, b + w]), g.int64s([2, 3])], [n, c, h, w], "float32");
        const m = g.emit1("MatMul", [g.emit1("Reshape", [s, g.int64s([n, c, h * w])], [n, c, h * w], "float32"), gt], [n, c, o], "float32");
        taps.push(g.emit1("ReduceSum", [m, g.int64s([0])], [c, 1, o], "float32", { keepdims: attr.int(0) }));
      }
    const all = g.emit1("Concat", taps.map((t) => g.emit1("Reshape", [t, g.int64s([c, 1, o])], [c, 1, o], "float32")), [c, 9, o], "float32", { axis: attr.int(1) });
    return g.emit1("Reshape", [g.emit1("Transpose", [all], [o, c, 9], "float32", { perm: attr.ints([2, 0, 1]) }), g.int64s([o, c, 3, 3])], [o, c, 3, 3], "float32");
  },
  "dW per tap, K split in S=2 batches: MatMul([S,O,M/S], [S,C,M/S]^T) + ReduceSum": (g, x, gy) => {
    const S = 2;
    const m = (n / S) * h * w;
    const xt = g.emit1("Transpose", [g.emit1("Reshape", [x, g.int64s([S, n / S, c, h, w])], [S, n / S, c, h, w], "float32")], [S, c, n / S, h, w], "float32", { perm: attr.ints([0, 2, 1, 3, 4]) });
    const xp = g.emit1("Pad", [xt, g.int64s([0, 0, 0, 1, 1, 0, 0, 0, 1, 1])], [S, c, n / S, h + 2, w + 2], "float32");
    const gt = g.emit1("Reshape", [g.emit1("Transpose", [g.emit1("Reshape", [gy, g.int64s([S, n / S, o, h * w])], [S, n / S, o, h * w], "float32")], [S, o, n / S, h * w], "float32", { perm: attr.ints([0, 2, 1, 3]) }), g.int64s([S, o, m])], [S, o, m], "float32");
    const taps: Tensor[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        const sl = g.emit1("Slice", [xp, g.int64s([a, b]), g.int64s([a + h, b + w]), g.int64s([3, 4])], [S, c, n / S, h, w], "float32");
        const s2 = g.emit1("Transpose", [g.emit1("Reshape", [sl, g.int64s([S, c, m])], [S, c, m], "float32")], [S, m, c], "float32", { perm: attr.ints([0, 2, 1]) });
        const d = g.emit1("ReduceSum", [g.emit1("MatMul", [gt, s2], [S, o, c], "float32"), g.int64s([0])], [o, c], "float32", { keepdims: attr.int(0) });
        taps.push(g.emit1("Reshape", [d, g.int64s([o, c, 1])], [o, c, 1], "float32"));
      }
    const all = g.emit1("Concat", taps, [o, c, 9], "float32", { axis: attr.int(2) });
    return g.emit1("Reshape", [all, g.int64s([o, c, 3, 3])], [o, c, 3, 3], "float32");
  },
  "dW per tap, flat padded grid, contiguous window slices (S=2)": (g, x, gy) => {
    // Every image is laid out on its padded (H+2)x(W+2) grid, flattened with the batch: tap (a, b)
    // is then one contiguous range of the flat input, shifted by a(W+2)+b, and the cotangent sits
    // at the top-left of each grid with zeros elsewhere.
    const S = 2;
    const wp = w + 2;
    const p = (h + 2) * wp;
    const len = (n / S) * p - (2 * wp + 2);
    const xt = g.emit1("Transpose", [g.emit1("Reshape", [x, g.int64s([S, n / S, c, h, w])], [S, n / S, c, h, w], "float32")], [S, c, n / S, h, w], "float32", { perm: attr.ints([0, 2, 1, 3, 4]) });
    const xp = g.emit1("Pad", [xt, g.int64s([0, 0, 0, 1, 1, 0, 0, 0, 1, 1])], [S, c, n / S, h + 2, w + 2], "float32");
    const xf = g.emit1("Reshape", [xp, g.int64s([S, c, (n / S) * p])], [S, c, (n / S) * p], "float32");
    const gt = g.emit1("Transpose", [g.emit1("Reshape", [gy, g.int64s([S, n / S, o, h, w])], [S, n / S, o, h, w], "float32")], [S, o, n / S, h, w], "float32", { perm: attr.ints([0, 2, 1, 3, 4]) });
    const gp = g.emit1("Pad", [gt, g.int64s([0, 0, 0, 0, 0, 0, 0, 0, 2, 2])], [S, o, n / S, h + 2, w + 2], "float32");
    const gf = g.emit1("Slice", [g.emit1("Reshape", [gp, g.int64s([S, o, (n / S) * p])], [S, o, (n / S) * p], "float32"), g.int64s([0]), g.int64s([len]), g.int64s([2])], [S, o, len], "float32");
    const taps: Tensor[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        const off = a * wp + b;
        const sl = g.emit1("Slice", [xf, g.int64s([off]), g.int64s([off + len]), g.int64s([2])], [S, c, len], "float32");
        const s2 = g.emit1("Transpose", [sl], [S, len, c], "float32", { perm: attr.ints([0, 2, 1]) });
        const d = g.emit1("ReduceSum", [g.emit1("MatMul", [gf, s2], [S, o, c], "float32"), g.int64s([0])], [o, c], "float32", { keepdims: attr.int(0) });
        taps.push(g.emit1("Reshape", [d, g.int64s([o, c, 1])], [o, c, 1], "float32"));
      }
    const all = g.emit1("Concat", taps, [o, c, 9], "float32", { axis: attr.int(2) });
    return g.emit1("Reshape", [all, g.int64s([o, c, 3, 3])], [o, c, 3, 3], "float32");
  },
  // The filter gradient as a conv whose output is not 3x3: the C input planes side by side make one
  // wide image, G^T is a whole-map filter and a stride of one plane lands output column c on plane c.
  // 2026-12-05, 256x32x28x28: 8.8 ms per conv x 3 on NCHWc (its huge filter is re-read per output
  // chunk), 27 ms on the im2col path, plus a 23 ms filter reorder; the library rule takes 35 ms.
  "dW side-by-side planes: 3 column-shifted Pads of x^(N,H,C,W) as one wide image, G^T as a whole-map filter, stride (1, plane pitch)": (g, x, gy) => {
    const p = w + 2;
    const gt = g.emit1("Transpose", [gy], [o, n, h, w], "float32", { perm: attr.ints([1, 0, 2, 3]) });
    const xt = g.emit1("Transpose", [x], [n, h, c, w], "float32", { perm: attr.ints([0, 2, 1, 3]) });
    const cols: Tensor[] = [];
    for (let j = 0; j < 3; j++) {
      const padded = g.emit1("Pad", [xt, g.int64s([0, 1, 0, 1 - j, 0, 1, 0, 1 + j])], [n, h + 2, c, p], "float32");
      const wide = g.emit1("Reshape", [padded, g.int64s([1, n, h + 2, c * p])], [1, n, h + 2, c * p], "float32");
      const r = g.emit1("Conv", [wide, gt], [1, o, 3, c], "float32", { kernel_shape: attr.ints([h, w]), strides: attr.ints([1, p]) });
      cols.push(g.emit1("Reshape", [r, g.int64s([o, 3, c, 1])], [o, 3, c, 1], "float32"));
    }
    const r = g.emit1("Concat", cols, [o, 3, c, 3], "float32", { axis: attr.int(3) });
    return g.emit1("Transpose", [r], [o, c, 3, 3], "float32", { perm: attr.ints([0, 2, 1, 3]) });
  },
  // Whether the GEMMs are memory-bound: chunks small enough to stay in cache between the window
  // copies and their products. They are not: 38-41 ms at 2-16 chunks against 35 ms unchunked.
  "dW library rule on batch chunks, chunk-major (CHUNKS=4)": (g, x, gy, k) => {
    const chunks = Number(process.env.CHUNKS ?? 4);
    const per = n / chunks;
    let total: Tensor | null = null;
    for (let q = 0; q < chunks; q++) {
      const xq = slice(x, [q * per], [(q + 1) * per], [0]);
      const gq = slice(gy, [q * per], [(q + 1) * per], [0]);
      const dw = vjp([conv2d(xq, k, undefined, { padding: 1 })], [gq], [k])[0] as Tensor;
      total = total === null ? dw : add(total, dw);
    }
    return total as Tensor;
  },
  "dW library rule (src/ops conv2d's filter gradient)": (g, x, gy, k) => vjp([conv2d(x, k, undefined, { padding: 1 })], [gy], [k])[0] as Tensor,
  "dW row grid, per column offset one row Gather of the 3 row offsets and one GEMM (S=2)": (g, x, gy) => {
    const f = "float32";
    const [s, m] = [2, n / 2];
    const period = (h + 1) * w;
    const lx = (m + 2) * period;
    const xt = g.emit1("Transpose", [g.emit1("Reshape", [x, g.int64s([s, m, c, h * w])], [s, m, c, h * w], f)], [s, c, m, h * w], f, { perm: attr.ints([0, 2, 1, 3]) });
    const xg = g.emit1("Reshape", [g.emit1("Pad", [xt, g.int64s([0, 0, 1, 0, 0, 0, 1, w])], [s, c, m + 2, period], f), g.int64s([s, c, lx])], [s, c, lx], f);
    const gt = g.emit1("Transpose", [g.emit1("Reshape", [gy, g.int64s([s, m, o, h * w])], [s, m, o, h * w], f)], [s, o, m, h * w], f, { perm: attr.ints([0, 2, 1, 3]) });
    const gg = g.emit1("Pad", [gt, g.int64s([0, 0, 0, 0, 0, 0, 0, w])], [s, o, m, period], f);
    const rows = m * (h + 1);
    const rx = (lx - 2 * w) / w;
    const index = new Array<number>(3 * rows);
    for (let j = 0; j < 3; j++) for (let r = 0; r < rows; r++) index[j * rows + r] = h + j - 1 + r;
    const indices = g.constant(index, [3, rows], "int64");
    const perDb: Tensor[] = [];
    for (const db of [-1, 0, 1]) {
      const xs = g.emit1("Slice", [xg, g.int64s([db + w]), g.int64s([db + w + lx - 2 * w]), g.int64s([2])], [s, c, lx - 2 * w], f);
      const windows = g.emit1("Gather", [g.emit1("Reshape", [xs, g.int64s([s, c, rx, w])], [s, c, rx, w], f), indices], [s, c, 3, rows, w], f, { axis: attr.int(2) });
      const cols = g.emit1("Reshape", [windows, g.int64s([s, 3 * c, rows * w])], [s, 3 * c, rows * w], f);
      const keep = new Float32Array(period).map((_, i) => ((i % w) + db >= 0 && (i % w) + db < w ? 1 : 0));
      const gm = db === 0 ? gg : g.emit1("Mul", [gg, g.constant(keep, [period])], [s, o, m, period], f);
      const g2 = g.emit1("Reshape", [gm, g.int64s([s, o, m * period])], [s, o, m * period], f);
      const prod = g.emit1("MatMul", [g2, g.emit1("Transpose", [cols], [s, rows * w, 3 * c], f, { perm: attr.ints([0, 2, 1]) })], [s, o, 3 * c], f);
      const red = g.emit1("ReduceSum", [prod, g.int64s([0])], [o, 3 * c], f, { keepdims: attr.int(0) });
      perDb.push(g.emit1("Reshape", [red, g.int64s([o, c, 3, 1])], [o, c, 3, 1], f));
    }
    return g.emit1("Concat", perDb, [o, c, 3, 3], f, { axis: attr.int(3) });
  },
  "dW per tap, each image flat on its padded grid, MatMul batched over N + ReduceSum (no transposes)": (g, x, gy) => {
    const wp = w + 2;
    const p = (h + 2) * wp;
    const len = p - (2 * wp + 2);
    const xf = g.emit1("Reshape", [g.emit1("Pad", [x, g.int64s([0, 0, 1, 1, 0, 0, 1, 1])], [n, c, h + 2, w + 2], "float32"), g.int64s([n, c, p])], [n, c, p], "float32");
    const gp = g.emit1("Pad", [gy, g.int64s([0, 0, 0, 0, 0, 0, 2, 2])], [n, o, h + 2, w + 2], "float32");
    const gf = g.emit1("Slice", [g.emit1("Reshape", [gp, g.int64s([n, o, p])], [n, o, p], "float32"), g.int64s([0]), g.int64s([len]), g.int64s([2])], [n, o, len], "float32");
    const taps: Tensor[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        const off = a * wp + b;
        const sl = g.emit1("Slice", [xf, g.int64s([off]), g.int64s([off + len]), g.int64s([2])], [n, c, len], "float32");
        const s2 = g.emit1("Transpose", [sl], [n, len, c], "float32", { perm: attr.ints([0, 2, 1]) });
        const d = g.emit1("ReduceSum", [g.emit1("MatMul", [gf, s2], [n, o, c], "float32"), g.int64s([0])], [o, c], "float32", { keepdims: attr.int(0) });
        taps.push(g.emit1("Reshape", [d, g.int64s([o, c, 1])], [o, c, 1], "float32"));
      }
    const all = g.emit1("Concat", taps, [o, c, 9], "float32", { axis: attr.int(2) });
    return g.emit1("Reshape", [all, g.int64s([o, c, 3, 3])], [o, c, 3, 3], "float32");
  },
  "dW im2col by a constant one-hot conv, batched MatMul(G[N,O,HW], cols[N,9C,HW]^T) + ReduceSum": (g, x, gy) => {
    const onehot = new Float32Array(81);
    for (let t = 0; t < 9; t++) onehot[t * 9 + t] = 1;
    const filter = g.constant(onehot, [9, 1, 3, 3]);
    const x1 = g.emit1("Reshape", [x, g.int64s([n * c, 1, h, w])], [n * c, 1, h, w], "float32");
    const cols = g.emit1("Conv", [x1, filter], [n * c, 9, h, w], "float32", convAttrs);
    const cols2 = g.emit1("Reshape", [cols, g.int64s([n, c * 9, h * w])], [n, c * 9, h * w], "float32");
    const g3 = g.emit1("Reshape", [gy, g.int64s([n, o, h * w])], [n, o, h * w], "float32");
    const colsT = g.emit1("Transpose", [cols2], [n, h * w, c * 9], "float32", { perm: attr.ints([0, 2, 1]) });
    const per = g.emit1("MatMul", [g3, colsT], [n, o, c * 9], "float32");
    const s = g.emit1("ReduceSum", [per, g.int64s([0])], [o, c * 9], "float32", { keepdims: attr.int(0) });
    return g.emit1("Reshape", [s, g.int64s([o, c, 3, 3])], [o, c, 3, 3], "float32");
  },
  "dW per tap: Gemm(G'[O,NHW], X_ab'[C,NHW]^T), 9x": (g, x, gy) => {
    const xp = g.emit1("Pad", [x, g.int64s([0, 0, 1, 1, 0, 0, 1, 1])], [n, c, h + 2, w + 2], "float32");
    const xpt = g.emit1("Transpose", [xp], [c, n, h + 2, w + 2], "float32", { perm: attr.ints([1, 0, 2, 3]) });
    const gt = g.emit1("Reshape", [g.emit1("Transpose", [gy], [o, n, h, w], "float32", { perm: attr.ints([1, 0, 2, 3]) }), g.int64s([o, n * h * w])], [o, n * h * w], "float32");
    const taps: Tensor[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) {
        const s = g.emit1("Slice", [xpt, g.int64s([a, b]), g.int64s([a + h, b + w]), g.int64s([2, 3])], [c, n, h, w], "float32");
        const s2 = g.emit1("Reshape", [s, g.int64s([c, n * h * w])], [c, n * h * w], "float32");
        const d = g.emit1("Gemm", [gt, s2], [o, c], "float32", { transB: attr.int(1) });
        taps.push(g.emit1("Reshape", [d, g.int64s([o, c, 1])], [o, c, 1], "float32"));
      }
    const all = g.emit1("Concat", taps, [o, c, 9], "float32", { axis: attr.int(2) });
    return g.emit1("Reshape", [all, g.int64s([o, c, 3, 3])], [o, c, 3, 3], "float32");
  },
  "dW NHWC im2col: one Gemm(G[NHW,O]^T, cols[NHW,9C])": (g, x, gy) => {
    const xl = g.emit1("Transpose", [x], [n, h, w, c], "float32", { perm: attr.ints([0, 2, 3, 1]) });
    const xp = g.emit1("Pad", [xl, g.int64s([0, 1, 1, 0, 0, 1, 1, 0])], [n, h + 2, w + 2, c], "float32");
    const taps: Tensor[] = [];
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) taps.push(g.emit1("Slice", [xp, g.int64s([a, b]), g.int64s([a + h, b + w]), g.int64s([1, 2])], [n, h, w, c], "float32"));
    const cols = g.emit1("Reshape", [g.emit1("Concat", taps, [n, h, w, 9 * c], "float32", { axis: attr.int(3) }), g.int64s([n * h * w, 9 * c])], [n * h * w, 9 * c], "float32");
    const gl = g.emit1("Reshape", [g.emit1("Transpose", [gy], [n, h, w, o], "float32", { perm: attr.ints([0, 2, 3, 1]) }), g.int64s([n * h * w, o])], [n * h * w, o], "float32");
    const d = g.emit1("Gemm", [gl, cols], [o, 9 * c], "float32", { transA: attr.int(1) }); // [O, (a,b,c)]
    return g.emit1("Transpose", [g.emit1("Reshape", [d, g.int64s([o, 3, 3, c])], [o, 3, 3, c], "float32")], [o, c, 3, 3], "float32", { perm: attr.ints([0, 3, 1, 2]) });
  },
};

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
let reference: Float32Array | null = null;
let forward: Float32Array | null = null;
// `PROFILE=1` writes ORT's per-node profile of each variant to /tmp/pretext-conv-micro-*.json;
// `REWRITES=0` compiles without the node backend's rewrites (NCHWc convs, fused batch norm).
const profiling: Backend | null =
  process.env.PROFILE === "1" || process.env.REWRITES === "0"
    ? {
        name: "onnxruntime-node (profiling)",
        async createSession(model, options = {}) {
          const ort = (await import("onnxruntime-node")) as typeof OrtNode;
          const profile = process.env.PROFILE === "1" ? { enableProfiling: true, profileFilePrefix: `/tmp/pretext-conv-micro-${process.pid}` } : {};
          return createOrtSession(ort, model, options, profile);
        },
        nodeRewrite: (options) => (process.env.REWRITES === "0" ? Promise.resolve(undefined) : (nodeBackend.nodeRewrite?.(options) ?? Promise.resolve(undefined))),
      }
    : null;
// `ONLY=<regex>` runs the matching variants alone.
const only = process.env.ONLY === undefined ? null : new RegExp(process.env.ONLY);
for (const [name, build] of Object.entries(variants)) {
  if (only !== null && !only.test(name)) continue;
  const g = new Graph();
  const x = g.input("x", [n, c, h, w]);
  const gy = g.input("g", [n, o, h, w]);
  const k = g.input("k", [o, c, 3, 3]);
  const out = build(g, x, gy, k);
  const p = await Program.compile(g, { inputs: [x, gy, k], outputs: { out } }, { threads, ...(profiling ? { backend: profiling } : {}) });
  const r = await p.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await p.run(feeds);
    times.push(performance.now() - t0);
  }
  let check = "";
  const data = r.out?.data as Float32Array;
  if (name.startsWith("fwd")) {
    if (name === "fwd Conv") forward = data;
    else check = ` maxdiff ${maxDiff(data, forward as Float32Array).toExponential(1)}`;
  }
  if (name.startsWith("dW")) {
    if (reference === null) reference = data;
    else check = ` maxdiff ${maxDiff(data, reference as Float32Array).toExponential(1)}`;
  }
  console.log(`${median(times).toFixed(1).padStart(8)} ms  ${name}${check}`);
  await p.release();
}

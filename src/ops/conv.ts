import { type AttributeValue, type Graph, ShapeError, type Tensor, attr, formatShape, requireFloat } from "../graph/index.js";
import { equal, mul, where } from "./elementwise.js";
import { gather } from "./indexing.js";
import { matmul } from "./linalg.js";
import { type Op, apply1, defineOp } from "./op.js";
import { mean, sum } from "./reduce.js";
import { cast, flip, full, pad, reshape, slice, squeeze, stack, transpose, transposeLast2, unsqueeze } from "./shape.js";

// Layouts are PyTorch's: NCHW activations, [out, in/groups, kh, kw] filters (ConvTranspose:
// [in, out/groups, kh, kw]). Padding is symmetric. Every shape is checked at trace time.

/** A size given once for both spatial axes, or as `[h, w]`. */
export type IntPair = number | readonly [number, number];
type Pair = readonly [number, number];

function pair(op: string, what: string, v: IntPair | undefined, fallback: number, min: number): Pair {
  const p: Pair = v === undefined ? [fallback, fallback] : typeof v === "number" ? [v, v] : v;
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new ShapeError(op, `${what} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** floor((size + 2 pad − dil (k − 1) − 1) / stride) + 1: the output extent of a conv or pool window. */
function windows(size: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((size + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

const at = (s: readonly number[], i: number): number => s[i] as number;

/** A pair computed per spatial axis (0 = H, 1 = W). */
const perAxis = (f: (i: number) => number): Pair => [f(0), f(1)];

function requireRank(op: string, what: string, t: Tensor, rank: number, layout: string): void {
  if (t.rank !== rank) throw new ShapeError(op, `${what} must be ${layout}, got ${t.dtype}${formatShape(t.shape)}`);
}

function requireSameDtype(op: string, ts: readonly Tensor[]): void {
  const first = ts[0] as Tensor;
  requireFloat(op, first);
  if (ts.some((t) => t.dtype !== first.dtype)) {
    throw new ShapeError(op, `dtypes differ: ${ts.map((t) => `${t.dtype}${formatShape(t.shape)}`).join(", ")}`);
  }
}

function requireBias(op: string, bias: Tensor | undefined, channels: number): void {
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== channels)) {
    throw new ShapeError(op, `bias must be [${channels}], got ${formatShape(bias.shape)}`);
  }
}

function windowAttrs(kernel: Pair, stride: Pair, padding: Pair, dilation?: Pair): Record<string, AttributeValue> {
  return {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(stride),
    pads: attr.ints([padding[0], padding[1], padding[0], padding[1]]),
    ...(dilation ? { dilations: attr.ints(dilation) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// conv2d
// ---------------------------------------------------------------------------------------------

export interface Conv2dOptions {
  /** Step between windows; 1 as PyTorch. */
  readonly stride?: IntPair;
  /** Zeros added on both sides of each spatial axis; 0 as PyTorch. */
  readonly padding?: IntPair;
  /** Spacing between kernel taps; 1 as PyTorch. */
  readonly dilation?: IntPair;
  /** Channel groups: C and O must both divide by it; groups = C is a depthwise conv. */
  readonly groups?: number;
}

interface ConvAttrs {
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;
}

interface ConvTransposeAttrs extends ConvAttrs {
  readonly outputPadding: Pair;
}

function convAttrs(op: string, o: Conv2dOptions): ConvAttrs {
  const groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ShapeError(op, `groups must be a positive integer, got ${groups}`);
  return {
    stride: pair(op, "stride", o.stride, 1, 1),
    padding: pair(op, "padding", o.padding, 0, 0),
    dilation: pair(op, "dilation", o.dilation, 1, 1),
    groups,
  };
}

const conv2dOp: Op<ConvAttrs> = defineOp<ConvAttrs>({
  name: "conv2d",
  lower: (graph, inputs, a) => {
    const [x, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
    requireRank("conv2d", "input", x, 4, "[N, C, H, W]");
    requireRank("conv2d", "weight", w, 4, "[O, C/groups, kh, kw]");
    requireSameDtype("conv2d", inputs);
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const [o, cg, kh, kw] = w.shape as [number, number, number, number];
    if (c !== cg * a.groups || o % a.groups !== 0) {
      throw new ShapeError(
        "conv2d",
        `input ${formatShape(x.shape)} has ${c} channels but weight ${formatShape(w.shape)} with groups=${a.groups} expects ${cg * a.groups}` +
          (o % a.groups !== 0 ? ` (and ${o} output channels do not divide into ${a.groups} groups)` : ""),
      );
    }
    requireBias("conv2d", b, o);
    const ho = windows(h, kh, at(a.stride, 0), at(a.padding, 0), at(a.dilation, 0));
    const wo = windows(wd, kw, at(a.stride, 1), at(a.padding, 1), at(a.dilation, 1));
    if (ho < 1 || wo < 1) {
      throw new ShapeError("conv2d", `kernel ${formatShape([kh, kw])} (dilation ${formatShape(a.dilation)}) is larger than padded input ${formatShape(x.shape)}`);
    }
    return [
      graph.emit1("Conv", inputs, [n, o, ho, wo], x.dtype, {
        ...windowAttrs([kh, kw], a.stride, a.padding, a.dilation),
        group: attr.int(a.groups),
      }),
    ];
  },
  // y = K(w) x + b is linear in each input:
  //   dx = Kᵀ g (a ConvTranspose), dw[o,c,a,b] = Σ g[n,o,i,j] x[n,c,i·s+a·d−p, …], db = Σ_{n,i,j} g
  vjp: ({ inputs: [x, w, b], attrs }, [g]) => {
    if (!g) return [null, null, null];
    const xt = x as Tensor;
    const wt = w as Tensor;
    // NOTE: the rows a strided conv never reads come back as ConvTranspose output_padding, so dx
    // has exactly x's shape even when (H + 2p − d(k − 1) − 1) is not a multiple of the stride.
    const outputPadding = perAxis(
      (i) => (at(xt.shape, 2 + i) + 2 * at(attrs.padding, i) - at(attrs.dilation, i) * (at(wt.shape, 2 + i) - 1) - 1) % at(attrs.stride, i),
    );
    const dx = convInputGradByFlippedConv(g, wt, attrs) ?? apply1(convTranspose2dOp, [g, wt], { ...attrs, outputPadding });
    const dw = convWeightGrad(xt, g, wt.shape, attrs);
    return [dx, dw, b ? sum(g, [0, 2, 3]) : null];
  },
});

/**
 * The input gradient of a stride-1 conv as another conv: dx = g ⋆ flip(w)ᵀ, the filter's in/out
 * channels swapped (per group) and its taps reversed, padded by d(k − 1) − p so dx has x's size.
 * Measured on ORT (bench/conv-micro.ts, 2 threads, [256, 32, 28, 28] and [256, 64, 14, 14],
 * 3×3): 38 and 28 ms against ConvTranspose's 56 and 41, whose kernel is a GEMM followed by a
 * Col2Im scatter. Returns null when the conv is strided or pads more than the kernel reaches.
 */
function convInputGradByFlippedConv(g: Tensor, w: Tensor, a: ConvAttrs): Tensor | null {
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const padding = perAxis((i) => at(a.dilation, i) * ([kh, kw][i] as number - 1) - at(a.padding, i));
  if (a.stride.some((s) => s !== 1) || padding.some((p) => p < 0)) return null;
  const groups = a.groups;
  const swapped =
    groups === 1
      ? transpose(w, [1, 0, 2, 3])
      : reshape(transpose(reshape(w, [groups, o / groups, cg, kh, kw]), [0, 2, 1, 3, 4]), [groups * cg, o / groups, kh, kw]);
  return apply1(conv2dOp, [g, flip(swapped, [2, 3])], { stride: a.stride, padding, dilation: a.dilation, groups });
}

/**
 * The filter gradient of a conv with input `x: [N, C, H, W]` and output cotangent
 * `gy: [N, O, Ho, Wo]`: dw[o, c, a, b] = Σ_{n,i,j} gy[n, o, i, j] · x_pad[n, c, a·d + i·s, b·d + j·s].
 * That sum is itself a conv: batch and channel axes swap roles (x becomes [C/groups, groups·N, H, W],
 * gy becomes a filter [O, N, Ho, Wo]), stride and dilation swap, and `groups` keeps each group's
 * channels apart. The result may extend past the kernel; it is sliced back.
 */
function convWeightGrad(x: Tensor, gy: Tensor, wShape: readonly number[], a: ConvAttrs): Tensor {
  if (a.groups === 1 && a.stride.every((s) => s === 1)) {
    if ((x.shape[1] as number) <= IM2COL_MAX_CHANNELS) return convWeightGradByIm2col(x, gy, wShape, a);
    return convWeightGradOnRowGrid(x, gy, wShape, a) ?? convWeightGradByTaps(x, gy, wShape, a);
  }
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [, o, ho, wo] = gy.shape as [number, number, number, number];
  const [, cg, kh, kw] = wShape as [number, number, number, number];
  const g = a.groups;
  const xs = g === 1 ? transpose(x, [1, 0, 2, 3]) : reshape(transpose(reshape(x, [n, g, c / g, h, wd]), [2, 1, 0, 3, 4]), [cg, g * n, h, wd]);
  const gs = g === 1 ? transpose(gy, [1, 0, 2, 3]) : reshape(transpose(reshape(gy, [n, g, o / g, ho, wo]), [1, 2, 0, 3, 4]), [o, n, ho, wo]);
  const r = apply1(conv2dOp, [xs, gs], { stride: a.dilation, padding: a.padding, dilation: a.stride, groups: g }); // [C/g, O, ≥kh, ≥kw]
  return transpose(slice(r, [0, 0], [kh, kw], [2, 3]), [1, 0, 2, 3]);
}

/**
 * The same filter gradient for stride 1 and one group, one matrix product per kernel tap:
 * dw[:, :, a, b] = G · X_abᵀ with G = gy as [O, N·Ho·Wo] and X_ab = the window of x_pad shifted by
 * (a·d, b·d), as [C, N·Ho·Wo]. Measured on ORT (x, gy [256, 32, 28, 28], 3×3, 1 thread): 203 ms
 * against 540 ms for the conv above, whose 28×28 "kernel" ORT runs through a slow im2col, and
 * against 267 ms for an explicit im2col with a batched MatMul; about the forward conv's 177 ms.
 * The long N·Ho·Wo axis is split into two batches summed afterwards: MLAS threads a GEMM over its
 * O×C output only, which is small here, but a batched MatMul over its batches (2 threads: 91–188
 * against 117–267 ms, bench/conv-micro.ts, alternated on a loaded VM).
 */
function convWeightGradByTaps(x: Tensor, gy: Tensor, wShape: readonly number[], a: ConvAttrs): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [, o, ho, wo] = gy.shape as [number, number, number, number];
  const [, , kh, kw] = wShape as [number, number, number, number];
  const s = n % 2 === 0 ? 2 : 1;
  const m = (n / s) * ho * wo;
  const [ph, pw] = a.padding;
  const [dh, dw] = a.dilation;
  const xt = transpose(reshape(x, [s, n / s, c, h, w]), [0, 2, 1, 3, 4]); // [S, C, N/S, H, W]
  const xp = ph > 0 || pw > 0 ? pad(xt, [[ph, ph], [pw, pw]]) : xt;
  const g2 = reshape(transpose(reshape(gy, [s, n / s, o, ho * wo]), [0, 2, 1, 3]), [s, o, m]); // [S, O, N/S·Ho·Wo]
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const window = reshape(slice(xp, [i * dh, j * dw], [i * dh + ho, j * dw + wo], [3, 4]), [s, c, m]);
      taps.push(sum(matmul(g2, transposeLast2(window)), [0])); // [O, C]
    }
  }
  return reshape(stack(taps, 2), [o, c, kh, kw]);
}

/**
 * The per-tap filter gradient of a "same" conv (stride 1, output the input's size) with every
 * window a contiguous range of one flat array, so each window is one long copy: ORT runs Slice and
 * Pad on one thread, and copying 28-float rows took twice as long per byte as long runs.
 *
 * Each image's rows are laid end to end followed by ph zero rows, x and gy alike, and x gets one
 * zero image before and after. Tap (a, b), offset (da, db) = (a·dh − ph, b·dw − pw) from the
 * output pixel, is then the range of x starting da·W + db further on than gy's. A window row that
 * leaves the image reads zero rows. A window column that leaves the image would wrap onto the
 * neighbouring row instead, so for each horizontal offset db ≠ 0 a copy of gy has the output
 * columns whose windows wrap zeroed (one pass over gy per distinct db).
 *
 * Returns null for other convs, and when the padding is a whole row wide.
 */
function convWeightGradOnRowGrid(x: Tensor, gy: Tensor, wShape: readonly number[], a: ConvAttrs): Tensor | null {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [, o, ho, wo] = gy.shape as [number, number, number, number];
  const [, , kh, kw] = wShape as [number, number, number, number];
  const [ph, pw] = a.padding;
  const [dh, dw] = a.dilation;
  const same = ho === h && wo === w && 2 * ph === dh * (kh - 1) && 2 * pw === dw * (kw - 1);
  if (!same || ph + pw === 0 || pw >= w) return null;
  const s = n % 2 === 0 ? 2 : 1;
  const images = n / s;
  const period = (h + ph) * w;
  const len = images * period;
  const xt = transpose(reshape(x, [s, images, c, h * w]), [0, 2, 1, 3]); // [S, C, N/S, H·W]
  const xf = reshape(pad(xt, [[1, 1], [0, ph * w]]), [s, c, (images + 2) * period]);
  const gt = pad(transpose(reshape(gy, [s, images, o, h * w]), [0, 2, 1, 3]), [[0, 0], [0, ph * w]]); // [S, O, N/S, period]
  const masked = new Map<number, Tensor>();
  const gyFor = (db: number): Tensor => {
    let t = masked.get(db);
    if (t === undefined) {
      const keep = new Float32Array(period).map((_, i) => ((i % w) + db >= 0 && (i % w) + db < w ? 1 : 0));
      t = reshape(db === 0 ? gt : mul(gt, x.graph.constant(keep, [period], gy.dtype)), [s, o, len]);
      masked.set(db, t);
    }
    return t;
  };
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const [da, db] = [i * dh - ph, j * dw - pw];
      const start = period + da * w + db; // x's image k starts at (k + 1)·period, gy's at k·period
      taps.push(sum(matmul(gyFor(db), transposeLast2(slice(xf, [start], [start + len], [2]))), [0])); // [O, C]
    }
  }
  return reshape(stack(taps, 2), [o, c, kh, kw]);
}

// A first layer's input has few channels (1 for MNIST, 3 for RGB), so its im2col is small
// (9 columns for 1 channel: 7 MB at batch 256 on 28×28) while gy is 32+ channels wide. Per tap,
// gy was read 9 times over for 9 matrix-vector products, each memory-bound: 11 ms of the SmallCnn
// step (ORT profiler, 2 threads). On the flat grid, gy's copies cost more than the products.
const IM2COL_MAX_CHANNELS = 7;

/**
 * The filter gradient (stride 1, one group) through an explicit im2col, for inputs with few
 * channels: a conv with a constant one-hot filter lays the C·kh·kw windows of every image out as
 * channels, [N, kh·kw·C, Ho, Wo], and one batched product with gy as [N, O, Ho·Wo], summed over
 * the batch, gives every tap at once. Neither gy nor x is transposed.
 */
function convWeightGradByIm2col(x: Tensor, gy: Tensor, wShape: readonly number[], a: ConvAttrs): Tensor {
  const [n, c] = x.shape as [number, number];
  const [, o, ho, wo] = gy.shape as [number, number, number, number];
  const [, , kh, kw] = wShape as [number, number, number, number];
  const taps = kh * kw;
  // column t·C + ch of the im2col is input channel ch at tap t = a·kw + b
  const oneHot = new Float32Array(taps * c * c * taps);
  for (let t = 0; t < taps; t++) for (let ch = 0; ch < c; ch++) oneHot[((t * c + ch) * c + ch) * taps + t] = 1;
  const selector = x.graph.constant(oneHot, [taps * c, c, kh, kw], x.dtype);
  const columns = apply1(conv2dOp, [x, selector], { stride: [1, 1], padding: a.padding, dilation: a.dilation, groups: 1 });
  const products = matmul(reshape(gy, [n, o, ho * wo]), transposeLast2(reshape(columns, [n, taps * c, ho * wo]))); // [N, O, taps·C]
  return reshape(transpose(reshape(sum(products, [0]), [o, taps, c]), [0, 2, 1]), [o, c, kh, kw]);
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's `F.conv2d`).
 * @param x `[N, C, H, W]`
 * @param weight `[O, C/groups, kh, kw]`
 * @param bias `[O]`, optional
 * @returns `[N, O, Ho, Wo]`, Ho = ⌊(H + 2p − d(kh − 1) − 1) / s⌋ + 1
 *
 * The bias is Conv's own third input rather than a separate Add: one node, which ORT's kernel
 * adds in the GEMM epilogue, and its gradient is a single ReduceSum over [N, Ho, Wo].
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, options: Conv2dOptions = {}): Tensor {
  return apply1(conv2dOp, bias ? [x, weight, bias] : [x, weight], convAttrs("conv2d", options));
}

export interface Conv1dOptions {
  readonly stride?: number;
  readonly padding?: number;
  readonly dilation?: number;
  readonly groups?: number;
}

/**
 * 1-D convolution, as PyTorch's `F.conv1d`; lowered as a conv2d of height 1 (ORT runs 1-D Conv
 * through the same kernel), so its gradient is conv2d's.
 * @param x `[N, C, L]`
 * @param weight `[O, C/groups, k]`
 * @param bias `[O]`, optional
 * @returns `[N, O, Lo]`
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor, options: Conv1dOptions = {}): Tensor {
  requireRank("conv1d", "input", x, 3, "[N, C, L]");
  requireRank("conv1d", "weight", weight, 3, "[O, C/groups, k]");
  const groups = options.groups ?? 1;
  if (at(x.shape, 1) !== at(weight.shape, 1) * groups) {
    throw new ShapeError(
      "conv1d",
      `input ${formatShape(x.shape)} has ${at(x.shape, 1)} channels but weight ${formatShape(weight.shape)} with groups=${groups} expects ${at(weight.shape, 1) * groups}`,
    );
  }
  const y = conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, {
    stride: [1, options.stride ?? 1],
    padding: [0, options.padding ?? 0],
    dilation: [1, options.dilation ?? 1],
    groups,
  });
  return squeeze(y, 2);
}

// ---------------------------------------------------------------------------------------------
// convTranspose2d
// ---------------------------------------------------------------------------------------------

export interface ConvTranspose2dOptions extends Conv2dOptions {
  /** Extra rows/columns on the bottom/right of the output; less than the stride. */
  readonly outputPadding?: IntPair;
}

const convTranspose2dOp: Op<ConvTransposeAttrs> = defineOp<ConvTransposeAttrs>({
  name: "convTranspose2d",
  lower: (graph, inputs, a) => {
    const [x, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
    requireRank("convTranspose2d", "input", x, 4, "[N, C, H, W]");
    requireRank("convTranspose2d", "weight", w, 4, "[C, O/groups, kh, kw]");
    requireSameDtype("convTranspose2d", inputs);
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const [ci, og, kh, kw] = w.shape as [number, number, number, number];
    if (c !== ci || c % a.groups !== 0) {
      throw new ShapeError(
        "convTranspose2d",
        `input ${formatShape(x.shape)} has ${c} channels but weight ${formatShape(w.shape)} expects ${ci}` +
          (c % a.groups !== 0 ? ` (and ${c} channels do not divide into ${a.groups} groups)` : ""),
      );
    }
    requireBias("convTranspose2d", b, og * a.groups);
    // NOTE: PyTorch also allows outputPadding < dilation, but ORT's ConvTranspose rejects any
    // outputPadding ≥ stride at run time (measured), so it is refused here at trace time.
    if (a.outputPadding.some((p, i) => p >= at(a.stride, i))) {
      throw new ShapeError("convTranspose2d", `outputPadding ${formatShape(a.outputPadding)} must be less than the stride ${formatShape(a.stride)}`);
    }
    const out = (size: number, i: number, k: number) =>
      at(a.stride, i) * (size - 1) + at(a.outputPadding, i) + at(a.dilation, i) * (k - 1) + 1 - 2 * at(a.padding, i);
    const ho = out(h, 0, kh);
    const wo = out(wd, 1, kw);
    if (ho < 1 || wo < 1) throw new ShapeError("convTranspose2d", `padding ${formatShape(a.padding)} leaves no output for input ${formatShape(x.shape)}`);
    return [
      graph.emit1("ConvTranspose", inputs, [n, og * a.groups, ho, wo], x.dtype, {
        ...windowAttrs([kh, kw], a.stride, a.padding, a.dilation),
        group: attr.int(a.groups),
        output_padding: attr.ints(a.outputPadding),
      }),
    ];
  },
  // z = K(w)ᵀ x + b, K the conv with the same stride/padding/dilation/groups:
  //   dx = K g (a conv; outputPadding < stride makes it exactly x's shape), dw = the conv filter gradient
  //   with the roles of input and output swapped (input g, output cotangent x), db = Σ_{n,i,j} g
  vjp: ({ inputs: [x, w, b], attrs }, [g]) => {
    if (!g) return [null, null, null];
    const xt = x as Tensor;
    const wt = w as Tensor;
    const { outputPadding: _, ...conv } = attrs;
    return [apply1(conv2dOp, [g, wt], conv), convWeightGrad(g, xt, wt.shape, conv), b ? sum(g, [0, 2, 3]) : null];
  },
});

/**
 * Transposed 2-D convolution (the gradient of conv2d with respect to its input), as PyTorch's
 * `F.conv_transpose2d`.
 * @param x `[N, C, H, W]`
 * @param weight `[C, O/groups, kh, kw]`
 * @param bias `[O]`, optional
 * @returns `[N, O, Ho, Wo]`, Ho = s(H − 1) − 2p + d(kh − 1) + outputPadding + 1
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor, options: ConvTranspose2dOptions = {}): Tensor {
  const outputPadding = pair("convTranspose2d", "outputPadding", options.outputPadding, 0, 0);
  return apply1(convTranspose2dOp, bias ? [x, weight, bias] : [x, weight], { ...convAttrs("convTranspose2d", options), outputPadding });
}

// ---------------------------------------------------------------------------------------------
// Pooling
// ---------------------------------------------------------------------------------------------

export interface Pool2dOptions {
  readonly kernel: IntPair;
  /** Defaults to the kernel, as PyTorch. */
  readonly stride?: IntPair;
  /** Implicit padding on both sides, at most half the kernel (as PyTorch). */
  readonly padding?: IntPair;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Whether padded zeros count in the divisor; true as PyTorch's `AvgPool2d` default. */
  readonly countIncludePad?: boolean;
}

interface PoolAttrs {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
}

function poolAttrs(op: string, o: Pool2dOptions): PoolAttrs {
  const kernel = pair(op, "kernel", o.kernel, 1, 1);
  const stride = pair(op, "stride", o.stride ?? kernel, 1, 1);
  const padding = pair(op, "padding", o.padding, 0, 0);
  if (padding.some((p, i) => 2 * p > at(kernel, i))) {
    throw new ShapeError(op, `padding ${formatShape(padding)} must be at most half the kernel ${formatShape(kernel)}`);
  }
  return { kernel, stride, padding };
}

function poolShape(op: string, x: Tensor, a: PoolAttrs): [number, number, number, number] {
  requireRank(op, "input", x, 4, "[N, C, H, W]");
  requireFloat(op, x);
  const ho = windows(at(x.shape, 2), at(a.kernel, 0), at(a.stride, 0), at(a.padding, 0), 1);
  const wo = windows(at(x.shape, 3), at(a.kernel, 1), at(a.stride, 1), at(a.padding, 1), 1);
  if (ho < 1 || wo < 1) throw new ShapeError(op, `kernel ${formatShape(a.kernel)} is larger than padded input ${formatShape(x.shape)}`);
  return [at(x.shape, 0), at(x.shape, 1), ho, wo];
}

const maxPool2dOp = defineOp<PoolAttrs>({
  name: "maxPool2d",
  lower: (graph, [input], a) => {
    const x = input as Tensor;
    const shape = poolShape("maxPool2d", x, a);
    // Indices are flat over N·C·H·W (storage_order 0), which is what the gradient scatters into.
    return graph.emit("MaxPool", [x], [{ shape, dtype: x.dtype }, { shape, dtype: "int64" }], windowAttrs(a.kernel, a.stride, a.padding));
  },
  // each window's cotangent goes to its argmax; overlapping windows that share one add up
  // NOTE: MaxUnpool assigns instead of adding and loses gradient when windows overlap (measured),
  // so the rule scatter-adds into the flat indices.
  vjp: ({ inputs: [x], outputs: [, indices] }, [g]) => [g ? scatterAddFlat(g, indices as Tensor, (x as Tensor).shape) : null],
});

interface ScatterAttrs {
  readonly shape: readonly number[];
}
const scatterAddFlatOp = defineOp<ScatterAttrs>({
  name: "scatterAddFlat",
  lower: (graph, [updates, indices], { shape }) => {
    const u = updates as Tensor;
    const i = indices as Tensor;
    const n = shape.reduce((p, d) => p * d, 1);
    const zeros = graph.emit1("Expand", [graph.scalar(0, u.dtype), graph.int64s([n])], [n], u.dtype);
    const flatI = graph.emit1("Reshape", [i, graph.int64s([i.size])], [i.size], i.dtype);
    const flatU = graph.emit1("Reshape", [u, graph.int64s([u.size])], [u.size], u.dtype);
    const out = graph.emit1("ScatterElements", [zeros, flatI, flatU], [n], u.dtype, {
      axis: attr.int(0),
      reduction: attr.string("add"),
    });
    return [graph.emit1("Reshape", [out, graph.int64s(shape)], shape, u.dtype)];
  },
  // out.flat[i[k]] += u[k], so du[k] = g.flat[i[k]]: a gather
  vjp: ({ inputs: [, indices] }, [g]) => [g ? gather(reshape(g, [-1]), indices as Tensor) : null, null],
});

/** Zeros of `shape` with `updates[k]` added at flat position `indices[k]`. */
function scatterAddFlat(updates: Tensor, indices: Tensor, shape: readonly number[]): Tensor {
  return apply1(scatterAddFlatOp, [updates, indices], { shape });
}

/**
 * Max pooling over kh×kw windows, as PyTorch's `F.max_pool2d` (floor mode, padding never wins).
 * @param x `[N, C, H, W]` → `[N, C, Ho, Wo]`
 */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const a = poolAttrs("maxPool2d", options);
  poolShape("maxPool2d", x, a);
  const tiles = a.padding.every((p) => p === 0) && [0, 1].every((i) => at(a.kernel, i) === at(a.stride, i) && at(x.shape, 2 + i) % at(a.kernel, i) === 0);
  if (tiles) return apply1(maxPoolTilesOp, [x], a);
  return maxPool2dOp.apply([x], a)[0] as Tensor;
}

/**
 * Max pooling whose windows tile the input exactly (kernel = stride, no padding, H and W multiples
 * of the kernel: the 2×2 pools of CNNs). Its forward is MaxPool without the indices output, which
 * ORT runs through its fast blocked (NCHWc) kernel where the generic one with indices was ~3x
 * slower (profiled on SmallCnn inference), and its gradient needs no ScatterElements.
 */
const maxPoolTilesOp = defineOp<PoolAttrs>({
  name: "maxPool2dTiles",
  lower: (graph, [input], a) => {
    const x = input as Tensor;
    return [graph.emit1("MaxPool", [x], poolShape("maxPool2d", x, a), x.dtype, windowAttrs(a.kernel, a.stride, a.padding))];
  },
  // y = max over each window, so dx = g at the window's maximum, 0 elsewhere:
  // dx = where(x = up(y), up(g), 0), with up the nearest-neighbour upsampling by the kernel.
  // NOTE: an exact tie sends g to every tied element where PyTorch picks the first. Ties of
  // nonzero floats are rare, and tied zeros after a ReLU (all-negative windows) get no gradient
  // through the ReLU anyway, so CNN gradients are PyTorch's.
  // Measured for x [256, 32, 28, 28] (forward included, bench/pool-micro.ts): 84 ms, against
  // 175 ms for MaxPool with indices + ScatterElements, 123 ms for SpaceToDepth views, and 329 ms
  // comparing in a [N, C, Ho, kh, Wo, kw] view (ORT broadcasts over an innermost axis of 2 slowly).
  vjp: ({ inputs: [x], outputs: [y], attrs: { kernel } }, [g]) => {
    if (!g) return [null];
    const xt = x as Tensor;
    if (xt.dtype === "float32") {
      const up = (t: Tensor) => upsample2d(t, { scale: kernel, mode: "nearest" });
      // the mask as a float factor: cheaper than Where on ORT's CPU kernels, as in relu's rule
      return [mul(up(g), cast(equal(xt, up(y as Tensor)), g.dtype))];
    }
    // NOTE: ORT's Resize has no double kernel; the same mask in the window view works for any dtype.
    const [n, c, h, w] = xt.shape as [number, number, number, number];
    const [kh, kw] = kernel;
    const windows = [n, c, h / kh, 1, w / kw, 1];
    const isMax = equal(reshape(xt, [n, c, h / kh, kh, w / kw, kw]), reshape(y as Tensor, windows));
    return [reshape(where(isMax, reshape(g, windows), 0), [n, c, h, w])];
  },
});

interface AvgPoolAttrs extends PoolAttrs {
  readonly countIncludePad: boolean;
}
const avgPool2dOp = defineOp<AvgPoolAttrs>({
  name: "avgPool2d",
  lower: (graph, [input], a) => {
    const x = input as Tensor;
    return [
      graph.emit1("AveragePool", [x], poolShape("avgPool2d", x, a), x.dtype, {
        ...windowAttrs(a.kernel, a.stride, a.padding),
        count_include_pad: attr.int(a.countIncludePad ? 1 : 0),
      }),
    ];
  },
  // y[i] = Σ_{window i} x / count_i, so dx = Σ_{windows ∋ x} g_i / count_i: scale g by 1/count and
  // spread it over each window with a depthwise ConvTranspose of a ones kernel
  vjp: ({ inputs: [x], outputs: [y], attrs: a }, [g]) => {
    if (!g) return [null];
    const xt = x as Tensor;
    const c = at(xt.shape, 1);
    const [kh, kw] = a.kernel;
    const scaled = mul(g, a.countIncludePad ? 1 / (kh * kw) : inverseCounts(xt, y as Tensor, a));
    const ones = full(g.graph, [c, 1, kh, kw], 1, g.dtype);
    const outputPadding = perAxis((i) => (at(xt.shape, 2 + i) + 2 * at(a.padding, i) - at(a.kernel, i)) % at(a.stride, i));
    return [
      apply1(convTranspose2dOp, [scaled, ones], { stride: a.stride, padding: a.padding, dilation: [1, 1], groups: c, outputPadding }),
    ];
  },
});

/** 1 / (number of unpadded elements in each output window), as a constant [Ho, Wo]. */
function inverseCounts(x: Tensor, y: Tensor, a: PoolAttrs): Tensor {
  const counts = [0, 1].map((i) =>
    Array.from({ length: at(y.shape, 2 + i) }, (_, j) => {
      const start = j * at(a.stride, i) - at(a.padding, i);
      return Math.min(start + at(a.kernel, i), at(x.shape, 2 + i)) - Math.max(start, 0);
    }),
  ) as [number[], number[]];
  const values = counts[0].flatMap((ch) => counts[1].map((cw) => 1 / (ch * cw)));
  return y.graph.constant(values, [counts[0].length, counts[1].length], y.dtype);
}

/**
 * Average pooling over kh×kw windows, as PyTorch's `F.avg_pool2d` (floor mode). With padding,
 * padded zeros count in the divisor unless `countIncludePad: false` (PyTorch's default is true).
 * @param x `[N, C, H, W]` → `[N, C, Ho, Wo]`
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  return apply1(avgPool2dOp, [x], { ...poolAttrs("avgPool2d", options), countIncludePad: options.countIncludePad ?? true });
}

const globalAvgPool2dOp = defineOp<object>({
  name: "globalAvgPool2d",
  lower: (graph, [input]) => {
    const x = input as Tensor;
    const [n, c] = x.shape as [number, number, number, number];
    const pooled = graph.emit1("GlobalAveragePool", [x], [n, c, 1, 1], x.dtype);
    return [graph.emit1("Reshape", [pooled, graph.int64s([n, c])], [n, c], x.dtype)];
  },
  // y[n, c] = Σ_{h,w} x[n, c, h, w] / (H·W), so dx = g / (H·W) broadcast over H and W
  vjp: ({ inputs: [x] }, [g]) => {
    if (!g) return [null];
    const [n, c, h, w] = (x as Tensor).shape as [number, number, number, number];
    return [reshape(mul(g, 1 / (h * w)), [n, c, 1, 1])];
  },
});

/**
 * The mean over H and W, as PyTorch's `AdaptiveAvgPool2d(1)` then `flatten(1)`: `[N, C, H, W]` → `[N, C]`.
 * ONNX GlobalAveragePool rather than ReduceMean: ORT runs it in its blocked NCHWc layout after the
 * convs of an inference graph, saving the reorder of the whole last feature map.
 */
export function globalAvgPool2d(x: Tensor): Tensor {
  requireRank("globalAvgPool2d", "input", x, 4, "[N, C, H, W]");
  requireFloat("globalAvgPool2d", x);
  // NOTE: ORT's GlobalAveragePool has no double kernel; other dtypes take ReduceMean.
  return x.dtype === "float32" ? apply1(globalAvgPool2dOp, [x], {}) : mean(x, [2, 3]);
}

// ---------------------------------------------------------------------------------------------
// upsample2d
// ---------------------------------------------------------------------------------------------

export interface Upsample2dOptions {
  /** Output size is ⌊H · scale⌋ × ⌊W · scale⌋. */
  readonly scale: number | readonly [number, number];
  /** "nearest" (PyTorch's legacy nearest) or "bilinear" with align_corners=False. */
  readonly mode: "nearest" | "bilinear";
}

interface UpsampleAttrs {
  readonly scale: Pair;
  readonly mode: "nearest" | "bilinear";
}

const upsample2dOp = defineOp<UpsampleAttrs>({
  name: "upsample2d",
  lower: (graph, [input], { scale, mode }) => {
    const x = input as Tensor;
    requireRank("upsample2d", "input", x, 4, "[N, C, H, W]");
    requireFloat("upsample2d", x);
    const shape = [at(x.shape, 0), at(x.shape, 1), Math.floor(at(x.shape, 2) * scale[0]), Math.floor(at(x.shape, 3) * scale[1])];
    if (at(shape, 2) < 1 || at(shape, 3) < 1) throw new ShapeError("upsample2d", `scale ${formatShape(scale)} leaves no output for ${formatShape(x.shape)}`);
    const scales = graph.constant([1, 1, scale[0], scale[1]], [4], "float32");
    // Resize-18 attributes that reproduce PyTorch: nearest reads src = ⌊dst / scale⌋; bilinear
    // reads src = (dst + 0.5) / scale − 0.5, clamped to the edges (align_corners=False).
    const attributes: Record<string, AttributeValue> =
      mode === "nearest"
        ? { mode: attr.string("nearest"), coordinate_transformation_mode: attr.string("asymmetric"), nearest_mode: attr.string("floor") }
        : { mode: attr.string("linear"), coordinate_transformation_mode: attr.string("half_pixel") };
    return [graph.emit1("Resize", [x, null, scales], shape, x.dtype, attributes)];
  },
  // y = A_h x A_wᵀ per (n, c), with A the constant interpolation matrices, so dx = A_hᵀ g A_w.
  // For nearest with integer scales that is a sum over each scale×scale block.
  vjp: ({ inputs: [x], attrs: { scale, mode } }, [g]) => {
    if (!g) return [null];
    const [n, c, h, w] = (x as Tensor).shape as [number, number, number, number];
    if (mode === "nearest" && Number.isInteger(scale[0]) && Number.isInteger(scale[1])) {
      return [sum(reshape(g, [n, c, h, scale[0], w, scale[1]]), [3, 5])];
    }
    const ah = interpolation(g.graph, h, at(g.shape, 2), scale[0], mode, g.dtype, true); // [H, Ho]
    const aw = interpolation(g.graph, w, at(g.shape, 3), scale[1], mode, g.dtype, false); // [Wo, W]
    return [matmul(ah, matmul(g, aw))];
  },
});

/**
 * The [out, in] matrix of 1-D resampling that ORT's Resize applies along one axis (transposed to
 * [in, out] when `transposed`).
 */
function interpolation(graph: Graph, size: number, outSize: number, scale: number, mode: UpsampleAttrs["mode"], dtype: Tensor["dtype"], transposed: boolean): Tensor {
  const m = new Float64Array(size * outSize);
  const put = (o: number, i: number, v: number) => {
    const k = transposed ? i * outSize + o : o * size + i;
    m[k] = (m[k] as number) + v;
  };
  for (let o = 0; o < outSize; o++) {
    if (mode === "nearest") {
      put(o, Math.min(Math.floor(o / scale), size - 1), 1);
    } else {
      const src = Math.min(Math.max((o + 0.5) / scale - 0.5, 0), size - 1);
      const i0 = Math.floor(src);
      const lambda = src - i0;
      put(o, i0, 1 - lambda);
      put(o, Math.min(i0 + 1, size - 1), lambda);
    }
  }
  return graph.constant(m, transposed ? [size, outSize] : [outSize, size], dtype);
}

/**
 * Upsamples H and W by `scale` with ONNX Resize, matching PyTorch's `F.interpolate` with
 * `scale_factor` ("nearest", or "bilinear" with align_corners=False).
 * @param x `[N, C, H, W]` → `[N, C, ⌊H·sh⌋, ⌊W·sw⌋]`
 */
export function upsample2d(x: Tensor, options: Upsample2dOptions): Tensor {
  const s = options.scale;
  const scale: Pair = typeof s === "number" ? [s, s] : s;
  if (scale.length !== 2 || !scale.every((v) => Number.isFinite(v) && v > 0)) {
    throw new ShapeError("upsample2d", `scale must be a positive number or a pair of them, got ${JSON.stringify(s)}`);
  }
  return apply1(upsample2dOp, [x], { scale, mode: options.mode });
}

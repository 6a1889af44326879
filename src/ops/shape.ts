import {
  type DType,
  type Graph,
  type Shape,
  ShapeError,
  type Tensor,
  formatShape,
  isFloat,
  onnxDataType,
  normalizeAxis,
  sameShape,
  sizeOf,
} from "../graph/index.js";
import { apply1, defineOp } from "./op.js";
import { sum } from "./reduce.js";

// ---------------------------------------------------------------------------------------------
// Reshape family: reshape, flatten, squeeze, unsqueeze all lower to one Reshape
// ---------------------------------------------------------------------------------------------

interface ReshapeAttrs {
  readonly shape: readonly number[];
}
const reshapeOp = defineOp<ReshapeAttrs>({
  name: "reshape",
  // NOTE: allowzero=1 so that a 0 in the (fully resolved) target shape means an empty axis, not
  // "copy the input's dimension", which is what ONNX Reshape does with 0 by default.
  lower: (graph, [x], { shape }) => [
    graph.emit1("Reshape", [x as Tensor, graph.int64s(shape)], shape, (x as Tensor).dtype, { allowzero: { kind: "int", value: 1 } }),
  ],
  // reshaping moves no values: the cotangent takes the input's shape back
  vjp: ({ inputs: [x] }, [g]) => [g ? reshape(g, (x as Tensor).shape) : null],
});

/** Reshape to `shape`; one dimension may be -1 and is inferred. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = resolveReshape(x, shape);
  return apply1(reshapeOp, [x], { shape: resolved });
}

function resolveReshape(x: Tensor, shape: readonly number[]): number[] {
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) throw new ShapeError("reshape", `only one dimension may be -1, got ${formatShape(shape)}`);
  const known = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  if (shape.some((d) => d < -1 || !Number.isInteger(d))) throw new ShapeError("reshape", `invalid target shape ${formatShape(shape)}`);
  if (inferred === 1 ? known === 0 || x.size % known !== 0 : known !== x.size) {
    throw new ShapeError("reshape", `cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  return shape.map((d) => (d === -1 ? x.size / known : d));
}

/** Collapses axes `startAxis..` into one: [N, C, H, W] → [N, C·H·W] by default. */
export function flatten(x: Tensor, startAxis = 1): Tensor {
  const a = normalizeAxis(startAxis, x.rank, "flatten");
  return reshape(x, [...x.shape.slice(0, a), sizeOf(x.shape.slice(a))]);
}

/** Removes the given size-1 axes (all size-1 axes when omitted). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const list =
    axes === undefined
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : (typeof axes === "number" ? [axes] : axes).map((a) => normalizeAxis(a, x.rank, "squeeze"));
  for (const a of list) {
    if (x.shape[a] !== 1) throw new ShapeError("squeeze", `axis ${a} of ${formatShape(x.shape)} has size ${x.shape[a]}, not 1`);
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !list.includes(i)),
  );
}

/** Inserts size-1 axes at the given positions of the result. */
export function unsqueeze(x: Tensor, axes: number | readonly number[]): Tensor {
  const rank = x.rank + (typeof axes === "number" ? 1 : axes.length);
  const list = (typeof axes === "number" ? [axes] : axes).map((a) => normalizeAxis(a, rank, "unsqueeze"));
  if (new Set(list).size !== list.length) {
    throw new ShapeError("unsqueeze", `axes [${(typeof axes === "number" ? [axes] : axes).join(", ")}] repeat an axis (input ${formatShape(x.shape)})`);
  }
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(list.includes(i) ? 1 : (x.shape[k++] as number));
  return reshape(x, out);
}

// ---------------------------------------------------------------------------------------------
// Transpose, broadcast
// ---------------------------------------------------------------------------------------------

interface TransposeAttrs {
  readonly perm: readonly number[];
}
const transposeOp = defineOp<TransposeAttrs>({
  name: "transpose",
  lower: (graph, [input], { perm }) => {
    const x = input as Tensor;
    return [graph.emit1("Transpose", [x], perm.map((p) => x.shape[p] as number), x.dtype, { perm: { kind: "ints", value: perm } })];
  },
  // the cotangent is permuted back by the inverse permutation
  vjp: ({ attrs: { perm } }, [g]) => {
    if (!g) return [null];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [transpose(g, inverse)];
  },
});

/** Permutes axes (reverses them when `perm` is omitted), as `np.transpose`. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normalizeAxis(a, x.rank, "transpose")) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p).size !== x.rank) {
    throw new ShapeError("transpose", `perm [${perm?.join(", ")}] is not a permutation of the axes of ${formatShape(x.shape)}`);
  }
  return apply1(transposeOp, [x], { perm: p });
}

/** Swaps the last two axes: the matrix transpose of a batch of matrices. */
export function transposeLast2(x: Tensor): Tensor {
  if (x.rank < 2) throw new ShapeError("transposeLast2", `needs rank >= 2, got ${formatShape(x.shape)}`);
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return transpose(x, perm);
}

interface ExpandAttrs {
  readonly shape: readonly number[];
}
// A float broadcast whose repeat factor (the product of the expanded axes) is at most this many
// elements is a Mul by a ones constant of that size instead of an Expand: ORT runs Mul on all
// threads and Expand on one. [256, 128, 1, 1] → [256, 128, 7, 7] (the average pool's gradient in
// SmallCnn): 0.97 against 3.43 ms, with the next Mul included (2 threads).
const BROADCAST_BY_MUL_MAX_FACTOR = 1 << 16;

const broadcastToOp = defineOp<ExpandAttrs>({
  name: "broadcastTo",
  lower: (graph, [input], { shape }) => {
    const x = input as Tensor;
    const lead = shape.length - x.rank;
    const repeats = shape.map((d, i) => (i < lead || x.shape[i - lead] === 1 ? d : 1));
    const factor = repeats.reduce((a, b) => a * b, 1);
    if (isFloat(x.dtype) && factor <= BROADCAST_BY_MUL_MAX_FACTOR) {
      return [graph.emit1("Mul", [x, graph.constant(new Array<number>(factor).fill(1), repeats, x.dtype)], shape, x.dtype)];
    }
    return [graph.emit1("Expand", [x, graph.int64s(shape)], shape, x.dtype)];
  },
  // a broadcast copies values: their cotangents are summed back
  vjp: ({ inputs: [x] }, [g]) => [g ? sumToShape(g, (x as Tensor).shape) : null],
});

/** Broadcasts to `shape` by NumPy rules (the ONNX Expand op). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const ok =
    shape.length >= x.rank &&
    x.shape.every((d, i) => {
      const target = shape[shape.length - x.rank + i] as number;
      return d === target || d === 1;
    });
  if (!ok) throw new ShapeError("broadcastTo", `cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`);
  return apply1(broadcastToOp, [x], { shape: [...shape] });
}

/** Sums a broadcast result back to `shape`: the adjoint of broadcasting, used by autodiff. */
export function sumToShape(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const lead = x.rank - shape.length;
  if (lead < 0) throw new ShapeError("sumToShape", `cannot sum ${formatShape(x.shape)} to the larger ${formatShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    const target = i < lead ? undefined : shape[i - lead];
    if (target === undefined || (target === 1 && x.shape[i] !== 1)) axes.push(i);
    else if (target !== x.shape[i]) throw new ShapeError("sumToShape", `cannot sum ${formatShape(x.shape)} to ${formatShape(shape)}`);
  }
  return reshape(sum(x, axes, true), shape);
}

// ---------------------------------------------------------------------------------------------
// Slice, pad, concat, split
// ---------------------------------------------------------------------------------------------

interface SliceAttrs {
  /** Per axis of the input, normalized: [start, end) with step 1. */
  readonly starts: readonly number[];
  readonly ends: readonly number[];
}
const sliceOp = defineOp<SliceAttrs>({
  name: "slice",
  lower: (graph, [input], { starts, ends }) => {
    const x = input as Tensor;
    const axes = x.shape.map((_, i) => i);
    return [
      graph.emit1(
        "Slice",
        [x, graph.int64s(starts), graph.int64s(ends), graph.int64s(axes)],
        starts.map((s, i) => (ends[i] as number) - s),
        x.dtype,
      ),
    ];
  },
  // the cotangent of a window is zero outside it: pad it back to the input's extent
  vjp: ({ inputs: [x], attrs: { starts, ends } }, [g]) => {
    if (!g) return [null];
    const t = x as Tensor;
    return [pad(g, starts.map((s, i) => [s, (t.shape[i] as number) - (ends[i] as number)] as const))];
  },
});

/**
 * The window [start, end) along each listed axis (Python slice semantics: negative indices count
 * from the end, bounds are clamped). Axes default to 0, 1, ….
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[]): Tensor {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, x.rank, "slice"));
  if (starts.length !== ax.length || ends.length !== ax.length) {
    throw new ShapeError("slice", `starts, ends and axes differ in length (${starts.length}, ${ends.length}, ${ax.length}) for ${formatShape(x.shape)}`);
  }
  if (new Set(ax).size !== ax.length) throw new ShapeError("slice", `axes [${ax.join(", ")}] repeat an axis of ${formatShape(x.shape)}`);
  if (![...starts, ...ends].every(Number.isInteger)) {
    throw new ShapeError("slice", `starts [${starts.join(", ")}] and ends [${ends.join(", ")}] must be integers`);
  }
  const s = x.shape.map(() => 0);
  const e = [...x.shape];
  ax.forEach((a, i) => {
    const dim = x.shape[a] as number;
    const clampIndex = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    s[a] = clampIndex(starts[i] as number);
    e[a] = Math.max(clampIndex(ends[i] as number), s[a] as number);
  });
  if (s.every((v) => v === 0) && e.every((v, i) => v === x.shape[i])) return x;
  return apply1(sliceOp, [x], { starts: s, ends: e });
}

interface FlipAttrs {
  readonly axes: readonly number[];
}
const flipOp = defineOp<FlipAttrs>({
  name: "flip",
  lower: (graph, [input], { axes }) => {
    const x = input as Tensor;
    // NOTE: a step of -1 walks each axis from its last element; an end of -(dim + 1) lies before
    // the first one, so the whole axis is taken (ONNX clamps it to -1, "before index 0").
    const starts = axes.map(() => -1);
    const ends = axes.map((a) => -((x.shape[a] as number) + 1));
    return [
      graph.emit1("Slice", [x, graph.int64s(starts), graph.int64s(ends), graph.int64s(axes), graph.int64s(axes.map(() => -1))], x.shape, x.dtype),
    ];
  },
  // reversing is a permutation that is its own inverse: the cotangent is reversed back
  vjp: ({ attrs: { axes } }, [g]) => [g ? flip(g, axes) : null],
});

/** Reverses the order of the elements along each listed axis (PyTorch's `torch.flip`). */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  const ax = (typeof axes === "number" ? [axes] : axes).map((a) => normalizeAxis(a, x.rank, "flip"));
  if (new Set(ax).size !== ax.length) throw new ShapeError("flip", `axes [${ax.join(", ")}] repeat an axis of ${formatShape(x.shape)}`);
  const moving = ax.filter((a) => (x.shape[a] as number) > 1);
  return moving.length === 0 ? x : apply1(flipOp, [x], { axes: moving });
}

interface PadAttrs {
  readonly pads: readonly (readonly [number, number])[];
  readonly value: number;
}
const padOp = defineOp<PadAttrs>({
  name: "pad",
  lower: (graph, [input], { pads, value }) => {
    const x = input as Tensor;
    const onnxPads = [...pads.map((p) => p[0]), ...pads.map((p) => p[1])];
    const shape = x.shape.map((d, i) => d + (pads[i] as readonly [number, number])[0] + (pads[i] as readonly [number, number])[1]);
    return [graph.emit1("Pad", [x, graph.int64s(onnxPads), graph.scalar(value, x.dtype)], shape, x.dtype)];
  },
  // padding adds constants: the cotangent is the window over the original values (negative pads crop)
  vjp: ({ inputs: [x], attrs: { pads } }, [g]) => {
    if (!g) return [null];
    const t = x as Tensor;
    if (pads.every(([b, a]) => b >= 0 && a >= 0)) {
      return [slice(g, pads.map(([b]) => b), pads.map(([b], i) => b + (t.shape[i] as number)))];
    }
    return [pad(g, pads.map(([b, a]) => [-b, -a] as const))];
  },
});

/**
 * Pads each axis with `[before, after]` elements of `value` (negative amounts crop).
 * `pads` lists every axis, or the trailing ones: `pad(x, [[1, 1], [1, 1]])` pads H and W of NCHW.
 */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  const describe = () => `[${pads.map(([b, a]) => `[${b}, ${a}]`).join(", ")}]`;
  if (pads.length > x.rank) throw new ShapeError("pad", `${pads.length} pad pairs ${describe()} for ${formatShape(x.shape)}`);
  const full = [...x.shape.slice(0, x.rank - pads.length).map(() => [0, 0] as const), ...pads];
  if (!full.every(([b, a]) => Number.isInteger(b) && Number.isInteger(a))) throw new ShapeError("pad", `pads ${describe()} must be integers`);
  if (full.some(([b, a], i) => (x.shape[i] as number) + b + a < 0)) {
    throw new ShapeError("pad", `pads ${describe()} remove more than ${formatShape(x.shape)} has`);
  }
  if (full.every(([b, a]) => b === 0 && a === 0)) return x;
  return apply1(padOp, [x], { pads: full, value });
}

interface AxisAttrs {
  readonly axis: number;
}
const concatOp = defineOp<AxisAttrs>({
  name: "concat",
  lower: (graph, inputs, { axis }) => {
    const first = inputs[0] as Tensor;
    for (const t of inputs) {
      const ok = t.dtype === first.dtype && t.rank === first.rank && t.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!ok) {
        throw new ShapeError(
          "concat",
          `along axis ${axis}, shapes must agree elsewhere: ${inputs.map((u) => `${u.dtype}${formatShape(u.shape)}`).join(", ")}`,
        );
      }
    }
    const shape = [...first.shape];
    shape[axis] = inputs.reduce((n, t) => n + (t.shape[axis] as number), 0);
    return [graph.emit1("Concat", inputs, shape, first.dtype, { axis: { kind: "int", value: axis } })];
  },
  // the cotangent splits back into the pieces
  vjp: ({ inputs, attrs: { axis } }, [g]) => {
    if (!g) return inputs.map(() => null);
    return split(g, inputs.map((t) => t.shape[axis] as number), axis);
  },
});

/** Joins tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  const first = xs[0];
  if (first === undefined) throw new ShapeError("concat", "needs at least one tensor");
  if (xs.length === 1) return first;
  return apply1(concatOp, xs, { axis: normalizeAxis(axis, first.rank, "concat") });
}

/** Joins tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  const first = xs[0];
  if (first === undefined) throw new ShapeError("stack", "needs at least one tensor");
  const a = normalizeAxis(axis, first.rank + 1, "stack");
  if (!xs.every((x) => x.dtype === first.dtype && sameShape(x.shape, first.shape))) {
    throw new ShapeError("stack", `tensors must agree in shape and dtype: ${xs.map((x) => `${x.dtype}${formatShape(x.shape)}`).join(", ")}`);
  }
  return concat(
    xs.map((x) => unsqueeze(x, a)),
    a,
  );
}

interface SplitAttrs {
  readonly sizes: readonly number[];
  readonly axis: number;
}
const splitOp = defineOp<SplitAttrs>({
  name: "split",
  lower: (graph, [input], { sizes, axis }) => {
    const x = input as Tensor;
    const outs = sizes.map((n) => ({ shape: x.shape.map((d, i) => (i === axis ? n : d)), dtype: x.dtype }));
    return graph.emit("Split", [x, graph.int64s(sizes)], outs, { axis: { kind: "int", value: axis } });
  },
  // pieces without a cotangent contribute zeros
  vjp: ({ outputs, attrs: { axis } }, cots) => [concat(outputs.map((o, i) => cots[i] ?? zeros(o.graph, o.shape, o.dtype)), axis)],
});

/** Splits along `axis` into pieces of the given sizes, or into `sizes` equal pieces when a number. */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normalizeAxis(axis, x.rank, "split");
  const dim = x.shape[a] as number;
  const list = typeof sizes === "number" ? Array.from({ length: sizes }, () => dim / sizes) : [...sizes];
  if (list.some((n) => !Number.isInteger(n) || n < 0) || list.reduce((s, n) => s + n, 0) !== dim) {
    throw new ShapeError("split", `cannot split axis ${a} of ${formatShape(x.shape)} into [${list.join(", ")}]`);
  }
  return splitOp.apply([x], { sizes: list, axis: a });
}

// ---------------------------------------------------------------------------------------------
// Cast, stop-gradient, constants
// ---------------------------------------------------------------------------------------------

interface CastAttrs {
  readonly to: DType;
}
const castOp = defineOp<CastAttrs>({
  name: "cast",
  lower: (graph, [x], { to }) => [
    graph.emit1("Cast", [x as Tensor], (x as Tensor).shape, to, { to: { kind: "int", value: onnxDataType[to] } }),
  ],
  // between float types the cotangent is cast back; from or to integers nothing flows
  vjp: ({ inputs: [x], attrs: { to } }, [g]) => [g && isFloat(to) && isFloat((x as Tensor).dtype) ? cast(g, (x as Tensor).dtype) : null],
});

export function cast(x: Tensor, to: DType): Tensor {
  if (x.dtype === to) return x;
  return apply1(castOp, [x], { to });
}

const stopGradientOp = defineOp<object>({
  name: "stopGradient",
  lower: (graph, [x]) => [graph.emit1("Identity", [x as Tensor], (x as Tensor).shape, (x as Tensor).dtype)],
  // NOTE: the whole point: no cotangent reaches the input (SimSiam's and BYOL's targets).
  vjp: () => [null],
});

/** The identity in the forward pass, a wall for gradients in the backward pass. */
export function stopGradient(x: Tensor): Tensor {
  return apply1(stopGradientOp, [x], {});
}

/** A tensor of zeros computed in the graph (not stored as a constant); a leaf for autodiff. */
export function zeros(graph: Graph, shape: Shape, dtype: DType = "float32"): Tensor {
  return full(graph, shape, 0, dtype);
}

/** A tensor filled with `value`, computed in the graph by broadcasting a scalar; a leaf for autodiff. */
export function full(graph: Graph, shape: Shape, value: number, dtype: DType = "float32"): Tensor {
  return graph.emit1("Expand", [graph.scalar(value, dtype), graph.int64s(shape)], shape, dtype);
}

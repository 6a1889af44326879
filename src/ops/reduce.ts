import { ShapeError, type Tensor, formatShape, normalizeAxis, requireFloat } from "../graph/index.js";
import { div, equal, exp, mul, sub } from "./elementwise.js";
import { apply1, defineOp } from "./op.js";
import { broadcastTo, cast, reshape } from "./shape.js";

/** Axes to reduce: one, several, or (undefined) all of them. */
export type Axes = number | readonly number[] | undefined;

interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

function resolveAxes(op: string, x: Tensor, axes: Axes): number[] {
  const list = axes === undefined ? x.shape.map((_, i) => i) : typeof axes === "number" ? [axes] : [...axes];
  const resolved = list.map((a) => normalizeAxis(a, x.rank, op));
  if (new Set(resolved).size !== resolved.length) throw new ShapeError(op, `axes ${list.join(", ")} repeat an axis of ${formatShape(x.shape)}`);
  return resolved.sort((a, b) => a - b);
}

function reducedShape(x: Tensor, { axes, keepDims }: ReduceAttrs): number[] {
  const out: number[] = [];
  x.shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/** The input's shape with reduced axes kept as 1, which a reduced cotangent broadcasts from. */
function keptShape(x: Tensor, axes: readonly number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function defineReduction(name: string, opType: string, vjp: Parameters<typeof defineOp<ReduceAttrs>>[0]["vjp"]) {
  const op = defineOp<ReduceAttrs>({
    name,
    lower: (graph, [input], attrs) => {
      const x = input as Tensor;
      if (name !== "sum") requireFloat(name, x);
      if (attrs.axes.length === 0) {
        // NOTE: ONNX reads empty axes as "all axes" unless noop_with_empty_axes; we never emit it.
        throw new ShapeError(name, `no axes to reduce for ${formatShape(x.shape)}`);
      }
      if (attrs.axes.some((a) => x.shape[a] === 0)) throw new ShapeError(name, `cannot reduce an empty axis of ${formatShape(x.shape)}`);
      return [
        graph.emit1(opType, [x, graph.int64s(attrs.axes)], reducedShape(x, attrs), x.dtype, {
          keepdims: { kind: "int", value: attrs.keepDims ? 1 : 0 },
        }),
      ];
    },
    vjp,
  });
  return (x: Tensor, axes?: Axes, keepDims = false): Tensor => {
    const resolved = resolveAxes(name, x, axes);
    if (resolved.length === 0) return x;
    return apply1(op, [x], { axes: resolved, keepDims });
  };
}

/** The cotangent of a reduction, reshaped with the reduced axes kept and broadcast over the input. */
function spread(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return broadcastTo(reshape(g, keptShape(x, axes)), x.shape);
}

/** Sum over `axes` (all when omitted). */
export const sum = defineReduction("sum", "ReduceSum", ({ inputs: [x], attrs }, [g]) => [
  // d sum(x) = broadcast(dy)
  g ? spread(g, x as Tensor, attrs.axes) : null,
]);

/** Mean over `axes` (all when omitted). */
export const mean = defineReduction("mean", "ReduceMean", ({ inputs: [x], attrs }, [g]) => {
  if (!g) return [null];
  const t = x as Tensor;
  const count = attrs.axes.reduce((n, a) => n * (t.shape[a] as number), 1);
  // d mean(x) = broadcast(dy) / count
  return [div(spread(g, t, attrs.axes), count)];
});

/** Max over `axes`. The gradient is shared equally among tied maxima, as PyTorch's amax. */
export const max = defineReduction("max", "ReduceMax", ({ inputs: [x], outputs: [y], attrs }, [g]) =>
  extremumVjp(x as Tensor, y as Tensor, attrs, g ?? null),
);

/** Min over `axes`. The gradient is shared equally among tied minima. */
export const min = defineReduction("min", "ReduceMin", ({ inputs: [x], outputs: [y], attrs }, [g]) =>
  extremumVjp(x as Tensor, y as Tensor, attrs, g ?? null),
);

function extremumVjp(x: Tensor, y: Tensor, attrs: ReduceAttrs, g: Tensor | null): (Tensor | null)[] {
  if (!g) return [null];
  // NOTE: a cast of the comparison, not where(hit, 1, 0): both branches would be plain numbers.
  const hit = cast(equal(x, spread(y, x, attrs.axes)), x.dtype);
  const ties = sum(hit, attrs.axes, true);
  return [mul(hit, div(spread(g, x, attrs.axes), ties))];
}

/** log(sum(exp(x))) over `axes`, computed stably. */
export const logSumExp = defineReduction("logSumExp", "ReduceLogSumExp", ({ inputs: [x], outputs: [y], attrs }, [g]) => {
  if (!g) return [null];
  const t = x as Tensor;
  // d lse(x) = softmax(x) dx
  return [mul(spread(g, t, attrs.axes), exp(sub(t, spread(y as Tensor, t, attrs.axes))))];
});

/**
 * Variance over `axes`. `correction` 0 is the biased (population) variance that batch norm
 * normalizes with; 1 is the unbiased estimate (PyTorch's `var` default).
 */
export function variance(x: Tensor, axes?: Axes, keepDims = false, correction = 0): Tensor {
  requireFloat("variance", x);
  const resolved = resolveAxes("variance", x, axes);
  const count = resolved.reduce((n, a) => n * (x.shape[a] as number), 1);
  if (count - correction <= 0) {
    throw new ShapeError(
      "variance",
      `${count} elements of ${formatShape(x.shape)} over axes ${resolved.join(", ")} leave no degrees of freedom`,
    );
  }
  const centered = sub(x, mean(x, resolved, true));
  const ss = sum(mul(centered, centered), resolved, keepDims);
  return div(ss, count - correction);
}

// ---------------------------------------------------------------------------------------------
// Softmax family
// ---------------------------------------------------------------------------------------------

interface AxisAttrs {
  readonly axis: number;
}

const softmaxOp = defineOp<AxisAttrs>({
  name: "softmax",
  lower: (graph, [input], { axis }) => {
    const x = input as Tensor;
    requireFloat("softmax", x);
    return [graph.emit1("Softmax", [x], x.shape, x.dtype, { axis: { kind: "int", value: axis } })];
  },
  // d softmax = y (dy - sum(dy y))
  vjp: ({ outputs: [out], attrs }, [g]) => {
    if (!g) return [null];
    const y = out as Tensor;
    return [mul(y, sub(g, sum(mul(g, y), attrs.axis, true)))];
  },
});

const logSoftmaxOp = defineOp<AxisAttrs>({
  name: "logSoftmax",
  // NOTE: LogSoftmax rather than Log(Softmax(x)): the latter underflows to -inf for large gaps.
  lower: (graph, [input], { axis }) => {
    const x = input as Tensor;
    requireFloat("logSoftmax", x);
    return [graph.emit1("LogSoftmax", [x], x.shape, x.dtype, { axis: { kind: "int", value: axis } })];
  },
  // d logSoftmax = dy - softmax(x) sum(dy)
  vjp: ({ outputs: [out], attrs }, [g]) => (g ? [sub(g, mul(exp(out as Tensor), sum(g, attrs.axis, true)))] : [null]),
});

/** Softmax along one axis (the last by default). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return apply1(softmaxOp, [x], { axis: normalizeAxis(axis, x.rank, "softmax") });
}

/** log(softmax(x)) along one axis, computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return apply1(logSoftmaxOp, [x], { axis: normalizeAxis(axis, x.rank, "logSoftmax") });
}


const argmaxOp = defineOp<{ readonly axis: number; readonly keepDims: boolean }>({
  name: "argmax",
  lower: (graph, [input], { axis, keepDims }) => {
    const x = input as Tensor;
    requireFloat("argmax", x);
    const shape = x.shape.flatMap((d, i) => (i !== axis ? [d] : keepDims ? [1] : []));
    // NOTE: select_last_index 0: ties go to the first index, as NumPy and PyTorch.
    return [graph.emit1("ArgMax", [x], shape, "int64", { axis: { kind: "int", value: axis }, keepdims: { kind: "int", value: keepDims ? 1 : 0 } })];
  },
  vjp: "nondifferentiable",
});

/** The int64 index of the largest value along `axis` (the first on ties). */
export function argmax(x: Tensor, axis = -1, keepDims = false): Tensor {
  return apply1(argmaxOp, [x], { axis: normalizeAxis(axis, x.rank, "argmax"), keepDims });
}

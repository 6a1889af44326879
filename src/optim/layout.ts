import { type DType, type Graph, type Shape, ShapeError, type Tensor, formatShape, sizeOf } from "../graph/index.js";
import { concat, full, reshape, split } from "../ops/index.js";

/**
 * One parameter's place in the flat parameter vector: elements `[offset, offset + size)`,
 * reshaped to `shape`. `decay` says whether weight decay (and LARS's trust ratio) applies.
 */
export interface Segment {
  readonly name: string;
  readonly shape: Shape;
  readonly offset: number;
  readonly size: number;
  readonly decay: boolean;
}

/**
 * How all trainable parameters are packed into ONE flat vector `[size]`. The train step feeds the
 * parameters, and the optimizer keeps its state, as flat vectors laid out alike, so an update is a
 * handful of elementwise ops over big tensors and a step copies few outputs (see ARCHITECTURE:
 * the JS binding copies every output, ~2.5 µs per extra tensor).
 */
export interface FlatLayout {
  readonly segments: readonly Segment[];
  /** Total number of elements, the length of the flat vector. */
  readonly size: number;
}

/** A named parameter shape to lay out; `decay` defaults to ndim >= 2 (weights, not biases or norm scales). */
export interface ParameterSpec {
  readonly name: string;
  readonly shape: Shape;
  readonly decay?: boolean;
}

/**
 * Lays out parameters in the order given (for a module tree, its field order from
 * `namedParameters`). Accepts specs or a map such as `namedParameters(model)` whose values carry
 * `shape` and optionally `decay`.
 */
export function flatLayout(
  parameters: readonly ParameterSpec[] | ReadonlyMap<string, { readonly shape: Shape; readonly decay?: boolean }>,
): FlatLayout {
  const specs: ParameterSpec[] = Array.isArray(parameters)
    ? [...(parameters as readonly ParameterSpec[])]
    : Array.from(parameters as ReadonlyMap<string, { readonly shape: Shape; readonly decay?: boolean }>, ([name, p]) => ({
        name,
        shape: p.shape,
        ...(p.decay === undefined ? {} : { decay: p.decay }),
      }));
  const seen = new Set<string>();
  const segments: Segment[] = [];
  let offset = 0;
  for (const { name, shape, decay } of specs) {
    if (seen.has(name)) throw new ShapeError("flatLayout", `parameter "${name}" appears twice`);
    seen.add(name);
    const size = sizeOf(shape);
    // NOTE: an empty segment would become a zero-length Split output, which some providers reject.
    if (size === 0) throw new ShapeError("flatLayout", `parameter "${name}" has no elements (${formatShape(shape)})`);
    segments.push({ name, shape: [...shape], offset, size, decay: decay ?? shape.length >= 2 });
    offset += size;
  }
  if (segments.length === 0) throw new ShapeError("flatLayout", "no parameters to lay out");
  return { segments, size: offset };
}

/** 1 for every element of a segment with `decay`, 0 elsewhere: the weight decay mask on the host. */
export function decayMask(layout: FlatLayout): Float32Array {
  const mask = new Float32Array(layout.size);
  for (const s of layout.segments) if (s.decay) mask.fill(1, s.offset, s.offset + s.size);
  return mask;
}

/** Packs per-parameter values into one flat vector; every parameter of the layout must be given, at its size. */
export function pack(layout: FlatLayout, values: ReadonlyMap<string, ArrayLike<number>>): Float32Array {
  const flat = new Float32Array(layout.size);
  for (const s of layout.segments) {
    const v = values.get(s.name);
    if (v === undefined) throw new ShapeError("pack", `no value for parameter "${s.name}"`);
    if (v.length !== s.size) throw new ShapeError("pack", `"${s.name}" has ${v.length} values, its shape ${formatShape(s.shape)} needs ${s.size}`);
    flat.set(v, s.offset);
  }
  return flat;
}

/** Unpacks a flat vector into per-parameter copies. */
export function unpack(layout: FlatLayout, flat: ArrayLike<number>): Map<string, Float32Array> {
  if (flat.length !== layout.size) throw new ShapeError("unpack", `${flat.length} values for a layout of ${layout.size}`);
  const out = new Map<string, Float32Array>();
  for (const s of layout.segments) out.set(s.name, Float32Array.from({ length: s.size }, (_, i) => flat[s.offset + i] as number));
  return out;
}

/**
 * Traced: the per-parameter tensors of a flat `[size]` tensor, in layout order (one Split node,
 * then one Reshape per non-vector parameter). Differentiable: the gradient of anything computed
 * from the pieces comes back as one flat `[size]` cotangent (Split's VJP is a Concat).
 */
export function segmentList(flat: Tensor, layout: FlatLayout): Tensor[] {
  if (flat.rank !== 1 || flat.shape[0] !== layout.size) {
    throw new ShapeError("segments", `expects a flat [${layout.size}] tensor for this layout, got ${formatShape(flat.shape)}`);
  }
  const pieces = split(flat, layout.segments.map((s) => s.size));
  return pieces.map((piece, i) => {
    const s = layout.segments[i] as Segment;
    return s.shape.length === 1 ? piece : reshape(piece, s.shape);
  });
}

/** Traced: the per-parameter tensors of a flat tensor, by parameter name (see `segmentList`). */
export function segments(flat: Tensor, layout: FlatLayout): Map<string, Tensor> {
  const list = segmentList(flat, layout);
  return new Map(layout.segments.map((s, i) => [s.name, list[i] as Tensor]));
}

/**
 * Traced: a `[size]` tensor holding, for each segment, the value `valueOf(segment)`, built from one
 * Expand per run of equal values and a Concat, so no `[size]` constant is stored in the model.
 */
export function perSegmentConstant(graph: Graph, layout: FlatLayout, valueOf: (s: Segment) => number, dtype: DType): Tensor {
  const runs: { value: number; size: number }[] = [];
  for (const s of layout.segments) {
    const v = valueOf(s);
    const last = runs[runs.length - 1];
    if (last !== undefined && Object.is(last.value, v)) last.size += s.size;
    else runs.push({ value: v, size: s.size });
  }
  return concat(runs.map((r) => full(graph, [r.size], r.value, dtype)));
}

/** Traced: the decay mask of `decayMask` as a graph tensor (1 on decayed segments, 0 elsewhere). */
export function decayMaskTensor(graph: Graph, layout: FlatLayout, dtype: DType = "float32"): Tensor {
  return perSegmentConstant(graph, layout, (s) => (s.decay ? 1 : 0), dtype);
}

/** Whether any / every segment is decayed: lets updates skip the mask when it is all ones or zeros. */
export function decayCoverage(layout: FlatLayout): "all" | "none" | "some" {
  const n = layout.segments.filter((s) => s.decay).length;
  return n === layout.segments.length ? "all" : n === 0 ? "none" : "some";
}

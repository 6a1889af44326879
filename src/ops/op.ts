import { type Graph, ShapeError, Tensor, graphOf } from "../graph/index.js";

/** What a VJP rule sees of the op call it differentiates. */
export interface VjpContext<A> {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: A;
}

/**
 * Maps the cotangents of an op's outputs (null where an output got none) to one cotangent per
 * input, null where the input is not differentiable. A cotangent may have any shape that
 * broadcasts to its input's: autodiff sums it back to the input's shape, once, for every rule.
 */
export type VjpRule<A> = (ctx: VjpContext<A>, cotangents: readonly (Tensor | null)[]) => (Tensor | null)[];

/**
 * One op: its lowering (validate, infer shapes, emit ONNX nodes) and its VJP, in one record.
 * `vjp` is required so that a missing gradient is a compile error; ops without any gradient
 * (comparisons, argmax, oneHot) say "nondifferentiable" explicitly.
 */
export interface OpDef<A> {
  readonly name: string;
  readonly lower: (graph: Graph, inputs: readonly Tensor[], attrs: A) => Tensor[];
  readonly vjp: VjpRule<A> | "nondifferentiable";
}

/** The type-erased form autodiff looks rules up in. */
export interface RegisteredOp {
  readonly name: string;
  readonly vjp: VjpRule<object> | "nondifferentiable";
}

const registry = new Map<string, RegisteredOp>();

/** The op registered under `name`; autodiff uses it to find the VJP of a recorded call. */
export function lookupOp(name: string): RegisteredOp {
  const op = registry.get(name);
  if (op === undefined) throw new Error(`no op named "${name}" is registered`);
  return op;
}

/** An op bound for calling: `op.apply(inputs, attrs)` emits it and records the call for autodiff. */
export interface Op<A> {
  readonly name: string;
  apply(inputs: readonly Tensor[], attrs: A): Tensor[];
}

export function defineOp<A extends object>(def: OpDef<A>): Op<A> {
  if (registry.has(def.name)) throw new Error(`op "${def.name}" is defined twice`);
  const { vjp } = def;
  registry.set(def.name, {
    name: def.name,
    // The attrs stored with a call are the ones this op was applied with, so the cast is sound.
    vjp: vjp === "nondifferentiable" ? vjp : (ctx, cots) => vjp(ctx as VjpContext<A>, cots),
  });
  return {
    name: def.name,
    apply(inputs, attrs) {
      const graph = graphOf(def.name, inputs);
      const outputs = def.lower(graph, inputs, attrs);
      graph.record({ op: def.name, inputs: [...inputs], outputs, attrs });
      return outputs;
    },
  };
}

/** Applies a single-output op. */
export function apply1<A>(op: Op<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  return op.apply(inputs, attrs)[0] as Tensor;
}

/** A tensor, or a number that becomes a scalar constant of the other operand's dtype. */
export type TensorLike = Tensor | number;

/** Lifts numbers to scalar constants so that `mul(x, 2)` works; at least one operand must be a tensor. */
export function liftPair(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (a instanceof Tensor && b instanceof Tensor) return [a, b];
  if (a instanceof Tensor) return [a, a.graph.scalar(b as number, a.dtype)];
  if (b instanceof Tensor) return [b.graph.scalar(a, b.dtype), b];
  throw new ShapeError(op, "needs at least one tensor operand");
}

import { ShapeError, type Tensor, formatShape, sameShape } from "../graph/index.js";
import { add, div, minimum, mul, sqrt, sum } from "../ops/index.js";
import type { FlatLayout } from "./layout.js";
import type { Schedule } from "./schedule.js";

/** The per-step scalars of an update as rank-0 graph tensors, by name (see `Optimizer.scalars`). */
export type StepScalars = Readonly<Record<string, Tensor>>;

/** What an optimizer's traced update is given. All vectors are flat `[layout.size]`. */
export interface UpdateArgs {
  /** The incoming updates: the raw gradient for the first transformation of a chain. */
  readonly grads: Tensor;
  /** The current parameters (before this step). */
  readonly params: Tensor;
  /** The current state slots, by the names `init` gave them. */
  readonly state: StepScalars;
  /** This step's scalars, by the names `scalars` gives them, as rank-0 tensors of the params' dtype. */
  readonly scalars: StepScalars;
  readonly layout: FlatLayout;
}

export interface UpdateResult {
  /** The outgoing updates. For an optimizer (the last of a chain) the delta: new params = params + updates. */
  readonly updates: Tensor;
  /** The next value of every state slot. */
  readonly state: Record<string, Tensor>;
}

/**
 * A gradient transformation over the flat parameter vector, optax-style `{ init, update }` and
 * composable with `chain`. Design decisions:
 * - State slots are flat `[P]` vectors laid out like the parameters (Adam: `m`, `v`), so a step is
 *   a few big elementwise ops and a few outputs to copy.
 * - Everything that changes from step to step but not per element (learning rate from the
 *   schedule, Adam's bias corrections) is computed on the HOST by `scalars(step)` in float64 and
 *   fed as rank-0 inputs: the graph is the same every step and is compiled once. So no step
 *   counter lives in the state.
 * - `update` returns a delta (`params + updates`); a transformation such as `clipByGlobalNorm`
 *   returns modified gradients for the next member of a chain instead.
 */
export interface Optimizer {
  /** Names and initial host values (each of length `layout.size`) of the flat state slots. */
  init(layout: FlatLayout): Record<string, Float32Array>;
  /** Traced: the updates and next state from flat grads, params, state and this step's scalars. */
  update(args: UpdateArgs): UpdateResult;
  /**
   * Host: the per-step scalar inputs for step `step` (0-based; PyTorch's `t` is `step + 1`).
   * `scheduleStep` (default `step`) is where the learning-rate schedule is read, and only it: a
   * run whose horizon moved reads its schedules on a remapped, possibly fractional step
   * (`scheduleStep` in `src/train/step-plan.ts`), while counts of steps taken, such as Adam's
   * bias corrections, stay at `step`. A transformation with a schedule must pass it on.
   */
  scalars(step: number, scheduleStep?: number): Record<string, number>;
}

/** A learning rate: a constant, or a schedule from the 0-based step to the rate. */
export type LearningRate = number | Schedule;

/** The rate at `step`. */
export function learningRateAt(lr: LearningRate, step: number): number {
  return typeof lr === "number" ? lr : lr(step);
}

/** Reads a named slot or scalar that an optimizer declared, or throws naming what is missing. */
export function required(record: StepScalars, name: string, what: string): Tensor {
  const t = record[name];
  if (t === undefined) throw new ShapeError(what, `missing "${name}" (have ${Object.keys(record).join(", ") || "none"})`);
  return t;
}

/**
 * Composes transformations left to right: each one's `updates` are the next one's `grads`, as
 * optax's `chain`. State slots and scalars are namespaced by position (`"1.m"`), so two members
 * may use the same names.
 */
export function chain(...members: readonly Optimizer[]): Optimizer {
  if (members.length === 0) throw new Error("chain: needs at least one transformation");
  const prefix = (i: number, name: string) => `${i}.${name}`;
  const pick = (record: StepScalars, i: number): Record<string, Tensor> => {
    const out: Record<string, Tensor> = {};
    const p = `${i}.`;
    for (const [k, v] of Object.entries(record)) if (k.startsWith(p)) out[k.slice(p.length)] = v;
    return out;
  };
  return {
    init(layout) {
      const out: Record<string, Float32Array> = {};
      members.forEach((m, i) => {
        for (const [k, v] of Object.entries(m.init(layout))) out[prefix(i, k)] = v;
      });
      return out;
    },
    update({ grads, params, state, scalars, layout }) {
      let updates = grads;
      const next: Record<string, Tensor> = {};
      members.forEach((m, i) => {
        const r = m.update({ grads: updates, params, state: pick(state, i), scalars: pick(scalars, i), layout });
        updates = r.updates;
        for (const [k, v] of Object.entries(r.state)) next[prefix(i, k)] = v;
      });
      return { updates, state: next };
    },
    scalars(step, scheduleStep = step) {
      const out: Record<string, number> = {};
      members.forEach((m, i) => {
        for (const [k, v] of Object.entries(m.scalars(step, scheduleStep))) out[prefix(i, k)] = v;
      });
      return out;
    },
  };
}

/** The global L2 norm of a flat vector: sqrt(sum(x²)), rank 0. */
export function globalNorm(x: Tensor): Tensor {
  return sqrt(sum(mul(x, x)));
}

/**
 * Scales the gradient so that its global L2 norm is at most `maxNorm`, as PyTorch's
 * `clip_grad_norm_`: g · min(1, maxNorm / (‖g‖ + 1e-6)). Chain it before an optimizer.
 */
export function clipByGlobalNorm(maxNorm: number): Optimizer {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
  return {
    init: () => ({}),
    update({ grads }) {
      // NOTE: PyTorch's 1e-6 in the denominator keeps a zero gradient finite (and matches its numbers).
      const coef = minimum(div(maxNorm, add(globalNorm(grads), 1e-6)), 1);
      return { updates: mul(grads, coef), state: {} };
    },
    scalars: () => ({}),
  };
}

/** Flat graph inputs for an optimizer's state and scalars, and the new params and state it computes. */
export interface TracedUpdate {
  /** params + updates. */
  readonly params: Tensor;
  /** The next state, by slot name (feed it back as `stateInputs` next step). */
  readonly state: Record<string, Tensor>;
  /** The graph inputs declared for the state slots, by slot name: `[P]` each. */
  readonly stateInputs: Record<string, Tensor>;
  /** The graph inputs declared for the step scalars, by scalar name: rank 0 each. */
  readonly scalarInputs: Record<string, Tensor>;
}

/**
 * Traced: declares graph inputs `${prefix}state.${slot}` (`[P]`) and `${prefix}scalar.${name}`
 * (rank 0) in the params' dtype, applies the optimizer and adds its updates to `params`. This is
 * how the train step appends the optimizer to its graph; the host feeds `optimizer.init(layout)`
 * (then the fetched state) and `optimizer.scalars(step)`.
 */
export function traceUpdate(
  optimizer: Optimizer,
  layout: FlatLayout,
  { params, grads }: { readonly params: Tensor; readonly grads: Tensor },
  prefix = "opt.",
): TracedUpdate {
  const flat = [layout.size];
  if (!sameShape(params.shape, flat) || !sameShape(grads.shape, flat) || params.dtype !== grads.dtype) {
    throw new ShapeError(
      "traceUpdate",
      `params ${params.dtype}${formatShape(params.shape)} and grads ${grads.dtype}${formatShape(grads.shape)} must both be flat ${formatShape(flat)}`,
    );
  }
  const graph = params.graph;
  const stateInputs: Record<string, Tensor> = {};
  for (const name of Object.keys(optimizer.init(layout))) stateInputs[name] = graph.input(`${prefix}state.${name}`, flat, params.dtype);
  const scalarInputs: Record<string, Tensor> = {};
  for (const name of Object.keys(optimizer.scalars(0))) scalarInputs[name] = graph.input(`${prefix}scalar.${name}`, [], params.dtype);
  const { updates, state } = optimizer.update({ grads, params, state: stateInputs, scalars: scalarInputs, layout });
  return { params: add(params, updates), state, stateInputs, scalarInputs };
}

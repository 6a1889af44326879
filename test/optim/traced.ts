import { Graph, type Tensor } from "../../src/graph/index.js";
import { type FlatLayout, type Optimizer, traceUpdate } from "../../src/optim/index.js";
import { type HostTensor, Program, float32, float64, toNumbers } from "../../src/runtime/index.js";

export type FloatDType = "float32" | "float64";

export interface TracedRun {
  /** The flat params after each step. */
  readonly history: number[][];
  /** The state slots after the last step, by name. */
  readonly state: Record<string, number[]>;
}

/** Compiles `traceUpdate` once and runs it `grads.length` steps on ORT (1 thread), feeding the state back each step. */
export async function runTracedWithState(
  optimizer: Optimizer,
  l: FlatLayout,
  params0: ArrayLike<number>,
  grads: readonly ArrayLike<number>[],
  dtype: FloatDType,
): Promise<TracedRun> {
  const graph = new Graph();
  const params = graph.input("params", [l.size], dtype);
  const gradsIn = graph.input("grads", [l.size], dtype);
  const traced = traceUpdate(optimizer, l, { params, grads: gradsIn });
  const outputs: Record<string, Tensor> = { newParams: traced.params };
  for (const [k, v] of Object.entries(traced.state)) outputs[`next.${k}`] = v;
  const inputs = [params, gradsIn, ...Object.values(traced.stateInputs), ...Object.values(traced.scalarInputs)];
  const program = await Program.compile(graph, { inputs, outputs }, { threads: 1 });
  const host = (shape: number[], data: ArrayLike<number>): HostTensor => (dtype === "float64" ? float64(shape, data) : float32(shape, data));

  let p: ArrayLike<number> = params0;
  const state: Record<string, ArrayLike<number>> = optimizer.init(l);
  const history: number[][] = [];
  for (const [step, g] of grads.entries()) {
    const feeds: Record<string, HostTensor> = { params: host([l.size], p), grads: host([l.size], g) };
    for (const [k, t] of Object.entries(traced.stateInputs)) feeds[t.name] = host([l.size], state[k] as ArrayLike<number>);
    const scalars = optimizer.scalars(step);
    for (const [k, t] of Object.entries(traced.scalarInputs)) feeds[t.name] = host([], [scalars[k] as number]);
    const out = await program.run(feeds);
    p = toNumbers(out.newParams as HostTensor);
    for (const k of Object.keys(traced.state)) state[k] = toNumbers(out[`next.${k}`] as HostTensor);
    history.push(Array.from(p));
  }
  await program.release();
  return { history, state: Object.fromEntries(Object.entries(state).map(([k, v]) => [k, Array.from(v)])) };
}

/** `runTracedWithState`'s params after each step. */
export async function runTraced(optimizer: Optimizer, l: FlatLayout, params0: ArrayLike<number>, grads: readonly ArrayLike<number>[], dtype: FloatDType): Promise<number[][]> {
  return (await runTracedWithState(optimizer, l, params0, grads, dtype)).history;
}

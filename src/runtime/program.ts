import { Graph, type ProgramSignature, ShapeError, type Tensor, formatShape, sameShape, toOnnxModel } from "../graph/index.js";
import type { Backend, Session, SessionOptions } from "./backend.js";
import { type HostTensor, hostDataProblem, hostTensor } from "./host-tensor.js";
import { nodeBackend } from "./node-backend.js";

export interface CompileOptions extends SessionOptions {
  /** Where the program runs; onnxruntime-node by default. */
  readonly backend?: Backend;
}

/**
 * A program that runs up to `steps` steps per call (see `RepeatSpec`): `carry` maps an input
 * name to the fetch name of the output that feeds it at the next step.
 */
export interface RepeatOptions {
  readonly steps: number;
  readonly carry: Readonly<Record<string, string>>;
}

/** The int64 input of a repeated program's model that says how many steps a call runs. */
const STEP_COUNT_INPUT = "repeat.steps";

/** A graph compiled into a session: feed its inputs by name, get its outputs by name. */
export class Program {
  private constructor(
    readonly signature: ProgramSignature,
    readonly session: Session,
    readonly modelBytes: number,
    /** Fetch names the model uses instead of the caller's, where the caller's already name a value. */
    private readonly renamed: ReadonlyMap<string, string>,
    /** Steps per call and the carried inputs, for a repeated program; null for a plain one. */
    readonly repeat: { readonly steps: number; readonly carried: ReadonlySet<string> } | null = null,
  ) {}

  /**
   * Serializes the part of `graph` the outputs need and creates a session for it. An output may
   * be fetched under the name of an input (state in, updated state out: `{ params: newParams }`).
   */
  static compile(graph: Graph, signature: ProgramSignature, options: CompileOptions = {}): Promise<Program> {
    return Program.build(graph, signature, options, null);
  }

  /**
   * Like `compile`, for a program that runs `repeat.steps` steps of the graph per call, as one
   * ONNX Loop. A carried input is fed once with its traced shape; every other input is fed for
   * every step, stacked: `[steps, ...traced shape]`. Carried outputs come back as after the last
   * step run; the others with a leading axis of one entry per step run.
   */
  static async compileRepeated(graph: Graph, signature: ProgramSignature, repeat: RepeatOptions, options: CompileOptions = {}): Promise<Program> {
    checkRepeat(signature, repeat);
    return Program.build(graph, signature, options, repeat);
  }

  private static async build(graph: Graph, signature: ProgramSignature, options: CompileOptions, repeat: RepeatOptions | null): Promise<Program> {
    const { outputs, renamed } = modelOutputs(graph, signature);
    // A carried output is named in the model as `modelOutputs` named it.
    const internal = new Map([...renamed].map(([model, caller]) => [caller, model]));
    const spec =
      repeat === null
        ? undefined
        : { steps: repeat.steps, carry: new Map(Object.entries(repeat.carry).map(([input, output]) => [input, internal.get(output) ?? output])), countInput: STEP_COUNT_INPUT };
    const { backend = nodeBackend, ...sessionOptions } = options;
    const rewrite = backend.nodeRewrite ? await backend.nodeRewrite(sessionOptions) : undefined;
    const model = toOnnxModel(graph, { inputs: signature.inputs, outputs }, "pretext", rewrite, spec);
    const session = await backend.createSession(model, sessionOptions);
    return new Program(signature, session, model.byteLength, renamed, spec === undefined ? null : { steps: spec.steps, carried: new Set(spec.carry.keys()) });
  }

  /**
   * Runs once; every input must be fed with its traced shape and dtype, and nothing else fed. A
   * repeated program runs `steps` steps (1 to its `repeat.steps`; all of them by default) and
   * takes its per-step inputs stacked for all its steps (the rows past `steps` are not read).
   */
  async run(feeds: Readonly<Record<string, HostTensor>>, steps?: number): Promise<Record<string, HostTensor>> {
    const repeat = this.repeat;
    if (steps !== undefined && (repeat === null || !Number.isInteger(steps) || steps < 1 || steps > repeat.steps)) {
      throw new Error(repeat === null ? "run: this program runs one step per call" : `run: steps must be an integer from 1 to ${repeat.steps}, got ${steps}`);
    }
    const known = new Set(this.signature.inputs.map((t) => t.name));
    for (const name of Object.keys(feeds)) {
      if (!known.has(name)) throw new ShapeError("run", `unknown input "${name}"; the inputs are ${[...known].map((n) => `"${n}"`).join(", ") || "none"}`);
    }
    for (const t of this.signature.inputs) {
      const f = feeds[t.name];
      const shape = repeat === null || repeat.carried.has(t.name) ? t.shape : [repeat.steps, ...t.shape];
      const wanted = `${t.dtype}${formatShape(shape)}`;
      if (f === undefined) throw new ShapeError("run", `missing feed for input "${t.name}" (${wanted})`);
      if (f.dtype !== t.dtype || !sameShape(f.shape, shape)) {
        throw new ShapeError("run", `input "${t.name}" expects ${wanted}, got ${f.dtype}${formatShape(f.shape)}`);
      }
      const problem = hostDataProblem(f.dtype, f.shape, f.data);
      if (problem !== null) throw new ShapeError("run", `input "${t.name}": ${problem}`);
    }
    const count = repeat === null ? null : { [STEP_COUNT_INPUT]: hostTensor("int64", [], BigInt64Array.of(BigInt(steps ?? repeat.steps))) };
    const results = await this.session.run(count === null ? feeds : { ...feeds, ...count });
    if (this.renamed.size === 0) return results;
    return Object.fromEntries(Object.entries(results).map(([name, t]) => [this.renamed.get(name) ?? name, t]));
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

function checkRepeat(signature: ProgramSignature, { steps, carry }: RepeatOptions): void {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`a repeated program needs steps >= 1, got ${steps}`);
  for (const [input, output] of Object.entries(carry)) {
    const from = signature.inputs.find((t) => t.name === input);
    const to = signature.outputs[output];
    if (from === undefined) throw new Error(`carried "${input}" is not an input of the program`);
    if (to === undefined) throw new Error(`carried "${input}" takes output "${output}", which the program does not fetch`);
    if (from.dtype !== to.dtype || !sameShape(from.shape, to.shape)) {
      throw new Error(`carried "${input}" is ${from.dtype}${formatShape(from.shape)} but output "${output}" is ${to.dtype}${formatShape(to.shape)}`);
    }
  }
  if (signature.inputs.some((t) => t.name === STEP_COUNT_INPUT)) throw new Error(`"${STEP_COUNT_INPUT}" is reserved for the step count of a repeated program`);
}

/**
 * The outputs under the names the model will use. ONNX gives each value one name, so an output
 * fetched under a name that already names another value (an input, a constant, a node's output)
 * gets a fresh name in the model, mapped back when the program runs.
 */
function modelOutputs(graph: Graph, { inputs, outputs }: ProgramSignature): { outputs: Record<string, Tensor>; renamed: Map<string, string> } {
  for (const t of inputs) {
    if (t.graph !== graph) throw new Error(`input ${t.name} belongs to another graph`);
    if (!graph.inputs.includes(t)) throw new Error(`${t.name} is not an input of this graph`);
  }
  const entries = Object.entries(outputs);
  if (entries.length === 0) throw new Error("a program needs at least one output");
  const valueNames = new Set<string>([...graph.inputs.map((t) => t.name), ...graph.constants.keys()]);
  for (const n of graph.nodes) for (const o of n.outputs) valueNames.add(o);
  const used = new Set<string>([...valueNames, ...entries.map(([name]) => name)]);
  const renamed = new Map<string, string>();
  const result: Record<string, Tensor> = {};
  for (const [fetchName, t] of entries) {
    if (t.graph !== graph) throw new Error(`output "${fetchName}" belongs to another graph`);
    if (fetchName === "") throw new Error("an output name must not be empty");
    if (fetchName === t.name || !valueNames.has(fetchName)) {
      result[fetchName] = t;
      continue;
    }
    let internal = `${fetchName}:out`;
    for (let k = 1; used.has(internal); k++) internal = `${fetchName}:out${k}`;
    used.add(internal);
    renamed.set(internal, fetchName);
    result[internal] = t;
  }
  return { outputs: result, renamed };
}

/** A function over symbolic tensors whose named results become the program's outputs. */
export type TraceableFunction = (...inputs: Tensor[]) => Record<string, Tensor>;

/**
 * Traces `fn` for the shapes and dtypes of the arguments it is first called with and compiles it;
 * later calls with the same signature reuse the session, a new signature traces again.
 */
export function jit(fn: TraceableFunction, options: CompileOptions = {}): (...args: HostTensor[]) => Promise<Record<string, HostTensor>> {
  const cache = new Map<string, Promise<Program>>();
  return async (...args) => {
    const key = args.map((a) => `${a.dtype}${formatShape(a.shape)}`).join(";");
    let program = cache.get(key);
    if (program === undefined) {
      const graph = new Graph();
      const inputs = args.map((a, i) => graph.input(`arg${i}`, a.shape, a.dtype));
      program = Program.compile(graph, { inputs, outputs: fn(...inputs) }, options);
      cache.set(key, program);
      // A session that failed to compile is not kept: the next call with this signature retries.
      program.catch(() => cache.delete(key));
    }
    const p = await program;
    return p.run(Object.fromEntries(args.map((a, i) => [`arg${i}`, a])));
  };
}

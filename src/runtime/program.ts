import { Graph, type ProgramSignature, ShapeError, type Tensor, formatShape, sameShape, toOnnxModel } from "../graph/index.js";
import type { Backend, Session, SessionOptions } from "./backend.js";
import { type HostTensor, hostDataProblem } from "./host-tensor.js";
import { nodeBackend } from "./node-backend.js";

export interface CompileOptions extends SessionOptions {
  /** Where the program runs; onnxruntime-node by default. */
  readonly backend?: Backend;
}

/** A graph compiled into a session: feed its inputs by name, get its outputs by name. */
export class Program {
  private constructor(
    readonly signature: ProgramSignature,
    readonly session: Session,
    readonly modelBytes: number,
    /** Fetch names the model uses instead of the caller's, where the caller's already name a value. */
    private readonly renamed: ReadonlyMap<string, string>,
  ) {}

  /**
   * Serializes the part of `graph` the outputs need and creates a session for it. An output may
   * be fetched under the name of an input (state in, updated state out: `{ params: newParams }`).
   */
  static async compile(graph: Graph, signature: ProgramSignature, options: CompileOptions = {}): Promise<Program> {
    const { outputs, renamed } = modelOutputs(graph, signature);
    const { backend = nodeBackend, ...sessionOptions } = options;
    const rewrite = backend.nodeRewrite ? await backend.nodeRewrite(sessionOptions) : undefined;
    const model = toOnnxModel(graph, { inputs: signature.inputs, outputs }, "pretext", rewrite);
    return new Program(signature, await backend.createSession(model, sessionOptions), model.byteLength, renamed);
  }

  /** Runs once; every input must be fed with its traced shape and dtype, and nothing else fed. */
  async run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
    const known = new Set(this.signature.inputs.map((t) => t.name));
    for (const name of Object.keys(feeds)) {
      if (!known.has(name)) throw new ShapeError("run", `unknown input "${name}"; the inputs are ${[...known].map((n) => `"${n}"`).join(", ") || "none"}`);
    }
    for (const t of this.signature.inputs) {
      const f = feeds[t.name];
      const wanted = `${t.dtype}${formatShape(t.shape)}`;
      if (f === undefined) throw new ShapeError("run", `missing feed for input "${t.name}" (${wanted})`);
      if (f.dtype !== t.dtype || !sameShape(f.shape, t.shape)) {
        throw new ShapeError("run", `input "${t.name}" expects ${wanted}, got ${f.dtype}${formatShape(f.shape)}`);
      }
      const problem = hostDataProblem(f.dtype, f.shape, f.data);
      if (problem !== null) throw new ShapeError("run", `input "${t.name}": ${problem}`);
    }
    const results = await this.session.run(feeds);
    if (this.renamed.size === 0) return results;
    return Object.fromEntries(Object.entries(results).map(([name, t]) => [this.renamed.get(name) ?? name, t]));
  }

  release(): Promise<void> {
    return this.session.release();
  }
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

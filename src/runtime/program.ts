import { Graph, type ProgramSignature, ShapeError, type Tensor, formatShape, sameShape, toOnnxModel } from "../graph/index.js";
import type { Backend, Session, SessionOptions } from "./backend.js";
import type { HostTensor } from "./host-tensor.js";
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
  ) {}

  static async compile(graph: Graph, signature: ProgramSignature, options: CompileOptions = {}): Promise<Program> {
    const { backend = nodeBackend, ...sessionOptions } = options;
    const model = toOnnxModel(graph, signature);
    return new Program(signature, await backend.createSession(model, sessionOptions), model.byteLength);
  }

  /** Runs once; every input must be fed with its traced shape and dtype. */
  async run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
    for (const t of this.signature.inputs) {
      const f = feeds[t.name];
      if (f === undefined) throw new ShapeError("run", `missing feed for input "${t.name}" (${t.dtype}${formatShape(t.shape)})`);
      if (f.dtype !== t.dtype || !sameShape(f.shape, t.shape)) {
        throw new ShapeError("run", `input "${t.name}" expects ${t.dtype}${formatShape(t.shape)}, got ${f.dtype}${formatShape(f.shape)}`);
      }
    }
    const known = new Set(this.signature.inputs.map((t) => t.name));
    for (const name of Object.keys(feeds)) if (!known.has(name)) throw new ShapeError("run", `unknown input "${name}"`);
    return this.session.run(feeds);
  }

  release(): Promise<void> {
    return this.session.release();
  }
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
    }
    const p = await program;
    return p.run(Object.fromEntries(args.map((a, i) => [`arg${i}`, a])));
  };
}

import { type DType, Graph, type Shape, type Tensor } from "../../src/graph/index.js";
import { type AbstractModule, BoundContext, type StateBuffer, bindModule, namedParameters, namedState } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { type HostTensor, Program, float32, toNumbers } from "../../src/runtime/index.js";

export interface RunOptions {
  readonly training?: boolean;
  /** Parameters as graph inputs fed with their values (default), or baked in as constants. */
  readonly bindAs?: "input" | "constant";
  /** Seed of the host noise fed to dropout. */
  readonly noiseSeed?: number;
}

export interface RunResult {
  readonly y: { readonly shape: Shape; readonly values: Float32Array };
  /** New values of the state buffers the forward pass updated, by dotted path. */
  readonly state: Map<string, number[]>;
  /** The traced graph's node count, to see what a module lowers to. */
  readonly nodes: number;
}

/**
 * Traces `module.call(ctx, x)` with every parameter and state buffer bound by `bindModule`, runs
 * it once on ONNX Runtime (node) and returns the output and the state updates.
 */
export async function runModule(
  module: AbstractModule & { call(ctx: BoundContext, x: Tensor): Tensor },
  x: HostTensor,
  { training = false, bindAs = "input", noiseSeed = 0 }: RunOptions = {},
): Promise<RunResult> {
  const graph = new Graph();
  const input = graph.input("x", x.shape, x.dtype);
  const { bindings, inputs } = bindModule(graph, module, { parameters: bindAs, state: bindAs });
  const noiseRng = new Rng(noiseSeed);
  const noiseFeeds: Record<string, HostTensor> = {};
  const ctx = new BoundContext(training, bindings, (shape) => {
    const name = `noise${Object.keys(noiseFeeds).length}`;
    noiseFeeds[name] = float32(shape, noiseRng.uniformArray(shape.reduce((a, b) => a * b, 1)));
    return graph.input(name, shape, "float32");
  });
  const y = module.call(ctx, input);
  const statePaths = new Map<StateBuffer, string>([...namedState(module)].map(([path, b]) => [b, path]));
  const outputs: Record<string, Tensor> = { y };
  for (const [buffer, next] of ctx.stateUpdates) outputs[`state:${statePaths.get(buffer)}`] = next;

  const feeds: Record<string, HostTensor> = { x, ...noiseFeeds, ...feedsFor(module, inputs.keys()) };
  const program = await Program.compile(graph, { inputs: graph.inputs, outputs }, { threads: 1 });
  try {
    const out = await program.run(feeds);
    const yt = out.y as HostTensor;
    const state = new Map<string, number[]>();
    for (const key of Object.keys(out)) if (key.startsWith("state:")) state.set(key.slice(6), toNumbers(out[key] as HostTensor));
    return { y: { shape: [...yt.shape], values: Float32Array.from(toNumbers(yt)) }, state, nodes: graph.nodes.length };
  } finally {
    await program.release();
  }
}

/** Feeds of the current values of a module's parameters and state, by dotted path. */
export function feedsFor(module: AbstractModule, names: Iterable<string>): Record<string, HostTensor> {
  const leaves = new Map<string, { shape: Shape; value: Float32Array }>([...namedParameters(module), ...namedState(module)]);
  const feeds: Record<string, HostTensor> = {};
  for (const name of names) {
    const leaf = leaves.get(name);
    if (leaf === undefined) throw new Error(`no parameter or state named ${name}`);
    feeds[name] = float32(leaf.shape, leaf.value);
  }
  return feeds;
}

/** Deterministic pseudo-random float32 input. */
export function randomInput(shape: Shape, seed = 1, dtype: DType = "float32"): HostTensor {
  if (dtype !== "float32") throw new Error("randomInput makes float32 only");
  return float32(shape, new Rng(seed).normalArray(shape.reduce((a, b) => a * b, 1)));
}

export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  const mean = s / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += ((values[i] as number) - mean) ** 2;
  return { mean, std: Math.sqrt(ss / values.length) };
}

export function absMax(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] as number));
  return m;
}

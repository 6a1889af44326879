import type { Graph, Tensor } from "../graph/index.js";
import { type AbstractModule, type Parameter, type StateBuffer, namedParameters, namedState } from "./module.js";

/** How a module's tensors enter a trace: fed each run, or baked into the model as initializers. */
export type BindMode = "input" | "constant";

export interface BindOptions {
  readonly parameters?: BindMode;
  readonly state?: BindMode;
  /** Prefixed to every path, e.g. "encoder" → `encoder.block1.conv.weight`. */
  readonly prefix?: string;
}

export interface ModuleBinding {
  /** Graph tensor of every parameter and state buffer, for a `BoundContext`. */
  readonly bindings: Map<Parameter | StateBuffer, Tensor>;
  /** The graph inputs created, by dotted path (empty when everything is a constant). */
  readonly inputs: Map<string, Tensor>;
}

/**
 * Makes a graph tensor for every parameter and state buffer of `module`, named by its dotted
 * path: graph inputs (a training step feeds them) or constants holding their current values (an
 * exported inference model, whose initializers are then named `block1.conv.weight`, …).
 */
export function bindModule(graph: Graph, module: AbstractModule, { parameters = "input", state = "input", prefix = "" }: BindOptions = {}): ModuleBinding {
  const bindings = new Map<Parameter | StateBuffer, Tensor>();
  const inputs = new Map<string, Tensor>();
  const bind = (path: string, leaf: Parameter | StateBuffer, mode: BindMode) => {
    if (bindings.has(leaf)) return; // a tensor shared between two fields is bound once
    const t = mode === "input" ? graph.input(path, leaf.shape, "float32") : graph.constant(leaf.value, leaf.shape, "float32", path);
    if (mode === "input") inputs.set(path, t);
    bindings.set(leaf, t);
  };
  for (const [path, p] of namedParameters(module, prefix)) bind(path, p, parameters);
  for (const [path, b] of namedState(module, prefix)) bind(path, b, state);
  return { bindings, inputs };
}

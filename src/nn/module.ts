import { type Shape, ShapeError, type Tensor, formatShape, sizeOf } from "../graph/index.js";

/**
 * A trainable tensor owned by a module. Its host value is the initial (or restored) weight; in a
 * traced step the module reads it through its `ForwardContext`, which maps it to a graph tensor.
 */
export class Parameter {
  /**
   * @param decay whether weight decay and LARS adaptation apply. By default only tensors with
   *   ndim >= 2 (weights, not biases or norm scales), as nanoGPT and the SSL papers do.
   */
  constructor(
    readonly shape: Shape,
    readonly value: Float32Array,
    readonly decay: boolean = shape.length >= 2,
  ) {
    if (value.length !== sizeOf(shape)) throw new ShapeError("Parameter", `${value.length} values for shape ${formatShape(shape)}`);
  }
}

/** Non-trainable state that a forward pass may update (batch norm running statistics). */
export class StateBuffer {
  constructor(
    readonly shape: Shape,
    readonly value: Float32Array,
  ) {
    if (value.length !== sizeOf(shape)) throw new ShapeError("StateBuffer", `${value.length} values for shape ${formatShape(shape)}`);
  }
}

/** What a module's forward pass sees of the trace it runs in. */
export interface ForwardContext {
  /** Training mode: batch statistics in batch norm, dropout active. */
  readonly training: boolean;
  /** The graph tensor standing for a parameter or state buffer in this trace. */
  value(p: Parameter | StateBuffer): Tensor;
  /** Records the new value of a state buffer, to be written back after the step. */
  updateState(buffer: StateBuffer, next: Tensor): void;
  /** A tensor of uniform [0, 1) noise drawn on the host from the run's seeded RNG and fed each step (`TrainStep` feeds a byte per element: a resolution of 1/256). */
  uniformNoise(shape: Shape): Tensor;
}

/**
 * Base of every layer and model. Modules are plain classes: parameters, state and submodules are
 * fields, and are found by walking them, so `encoder.block1.conv.weight` is at once the path of a
 * field, the checkpoint key and the ONNX initializer name.
 */
export abstract class AbstractModule {}

/** Parameters of a module tree by dotted path, in field order. */
export function namedParameters(module: AbstractModule, prefix = ""): Map<string, Parameter> {
  const out = new Map<string, Parameter>();
  walk(module, prefix, (path, leaf) => {
    if (leaf instanceof Parameter) out.set(path, leaf);
  });
  return out;
}

/** State buffers of a module tree by dotted path, in field order. */
export function namedState(module: AbstractModule, prefix = ""): Map<string, StateBuffer> {
  const out = new Map<string, StateBuffer>();
  walk(module, prefix, (path, leaf) => {
    if (leaf instanceof StateBuffer) out.set(path, leaf);
  });
  return out;
}

/** The number of trainable scalars in a module tree. */
export function parameterCount(module: AbstractModule): number {
  let n = 0;
  for (const p of namedParameters(module).values()) n += p.value.length;
  return n;
}

function walk(node: unknown, path: string, visit: (path: string, leaf: Parameter | StateBuffer) => void, seen = new Set<unknown>()): void {
  if (node instanceof Parameter || node instanceof StateBuffer) {
    visit(path, node);
    return;
  }
  if (seen.has(node)) return;
  if (node instanceof AbstractModule || Array.isArray(node)) {
    seen.add(node);
    for (const [key, child] of Object.entries(node)) walk(child, path === "" ? key : `${path}.${key}`, visit, seen);
  }
}

/** A ForwardContext over explicit bindings: used to trace inference graphs and in tests. */
export class BoundContext implements ForwardContext {
  readonly stateUpdates = new Map<StateBuffer, Tensor>();
  readonly noiseInputs: Tensor[] = [];

  constructor(
    readonly training: boolean,
    private readonly bindings: ReadonlyMap<Parameter | StateBuffer, Tensor>,
    private readonly makeNoise?: (shape: Shape) => Tensor,
  ) {}

  value(p: Parameter | StateBuffer): Tensor {
    const t = this.bindings.get(p);
    if (t === undefined) throw new Error(`a ${p instanceof Parameter ? "parameter" : "state buffer"} of shape ${formatShape(p.shape)} is not bound in this trace`);
    return t;
  }

  updateState(buffer: StateBuffer, next: Tensor): void {
    this.stateUpdates.set(buffer, next);
  }

  uniformNoise(shape: Shape): Tensor {
    if (!this.makeNoise) throw new Error("this trace has no noise inputs: dropout needs a training context");
    const t = this.makeNoise(shape);
    this.noiseInputs.push(t);
    return t;
  }
}

/**
 * Named modules as one module (PyTorch's `nn.ModuleDict`): its parameters are `<name>.<path>`,
 * so a method's heads (`lmHead.weight`, `projector.blocks.0.linear.weight`) save and load as one file.
 */
export class ModuleDict extends AbstractModule {
  constructor(modules: Readonly<Record<string, AbstractModule>>) {
    super();
    for (const [name, module] of Object.entries(modules)) Object.defineProperty(this, name, { value: module, enumerable: true, writable: false });
  }
}

import { type DType, type HostArray, isFloat } from "./dtype.js";
import { type Shape, ShapeError, formatShape, sizeOf } from "./shape.js";

/** An ONNX attribute value, tagged so that ints and floats serialize to the right field. */
export type AttributeValue =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "ints"; readonly value: readonly number[] }
  | { readonly kind: "floats"; readonly value: readonly number[] };

export const attr = {
  int: (value: number): AttributeValue => ({ kind: "int", value }),
  float: (value: number): AttributeValue => ({ kind: "float", value }),
  string: (value: string): AttributeValue => ({ kind: "string", value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: "ints", value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: "floats", value }),
};

/** One ONNX node as it will be serialized. An empty input name is an omitted optional input. */
export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly domain?: string;
}

/** A constant baked into the model as an initializer. */
export interface Constant {
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: DType;
  readonly data: HostArray;
}

/**
 * One call of a pretext op, as autodiff sees it. An op may lower to several ONNX nodes; autodiff
 * differentiates the call as a whole with the op's VJP rule, found by `op` in the op registry.
 */
export interface Application {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: object;
}

/** A symbolic value in a traced graph, with a static shape and dtype. */
export class Tensor {
  #producer: Application | null = null;

  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly shape: Shape,
    readonly dtype: DType,
  ) {}

  /** The op call that produced this tensor, or null for inputs, constants and op-internal values. */
  get producer(): Application | null {
    return this.#producer;
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  /** Used by `Graph.record` only. */
  setProducer(application: Application): void {
    if (this.#producer !== null) throw new Error(`tensor ${this.name} already has a producer`);
    this.#producer = application;
  }

  toString(): string {
    return `Tensor(${this.name}, ${this.dtype}${formatShape(this.shape)})`;
  }
}

export interface InputSpec {
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** A traced computation: inputs, constants, the ONNX nodes and the op calls that emitted them. */
export class Graph {
  readonly inputs: Tensor[] = [];
  readonly constants = new Map<string, Constant>();
  readonly nodes: OnnxNode[] = [];
  readonly applications: Application[] = [];
  readonly #scalarCache = new Map<string, Tensor>();
  readonly #tensors = new Map<string, Tensor>();
  readonly #names = new Set<string>();
  #counter = 0;

  /** The input, constant or node output of that name, with its static shape and dtype. */
  tensor(name: string): Tensor | undefined {
    return this.#tensors.get(name);
  }

  /** Declares a graph input that is fed at run time. */
  input(name: string, shape: Shape, dtype: DType = "float32"): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError("input", `input "${name}" has invalid shape ${formatShape(shape)}`);
    }
    const t = new Tensor(this, this.#claim(name), [...shape], dtype);
    this.inputs.push(t);
    this.#tensors.set(t.name, t);
    return t;
  }

  /** A constant tensor stored as an initializer. `data` is copied into the dtype's host array. */
  constant(data: ArrayLike<number> | HostArray, shape: Shape, dtype: DType = "float32", name?: string): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) {
      throw new ShapeError("constant", `got ${data.length} values for shape ${formatShape(shape)} (${n} elements)`);
    }
    const t = new Tensor(this, name === undefined ? this.#fresh("const") : this.#claim(name), [...shape], dtype);
    this.constants.set(t.name, { name: t.name, shape: t.shape, dtype, data: toHostArray(data, dtype) });
    this.#tensors.set(t.name, t);
    return t;
  }

  /** A rank-0 constant, shared between all uses of the same value and dtype. */
  scalar(value: number, dtype: DType = "float32"): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? "-0" : value}`;
    let t = this.#scalarCache.get(key);
    if (t === undefined) {
      t = this.constant([value], [], dtype);
      this.#scalarCache.set(key, t);
    }
    return t;
  }

  /** An int64 vector constant, the form ONNX takes shapes, axes, pads and indices in. */
  int64s(values: readonly number[]): Tensor {
    const key = `int64s:${values.join(",")}`;
    let t = this.#scalarCache.get(key);
    if (t === undefined) {
      t = this.constant(values, [values.length], "int64");
      this.#scalarCache.set(key, t);
    }
    return t;
  }

  /**
   * Appends one raw ONNX node. Ops call this from their lowering; user code calls ops.
   * `outputs` gives the static shape and dtype the op's shape rule inferred for each output.
   */
  emit(
    opType: string,
    inputs: readonly (Tensor | null)[],
    outputs: readonly { shape: Shape; dtype: DType }[],
    attributes: Record<string, AttributeValue> = {},
    domain?: string,
  ): Tensor[] {
    for (const x of inputs) {
      if (x !== null && x.graph !== this) throw new Error(`${opType}: input ${x.name} belongs to another graph`);
    }
    const outs = outputs.map((o) => new Tensor(this, this.#fresh(opType.toLowerCase()), [...o.shape], o.dtype));
    for (const t of outs) this.#tensors.set(t.name, t);
    this.nodes.push({
      opType,
      inputs: inputs.map((x) => (x === null ? "" : x.name)),
      outputs: outs.map((t) => t.name),
      attributes,
      ...(domain === undefined ? {} : { domain }),
    });
    return outs;
  }

  /** Emits a node with a single output. */
  emit1(
    opType: string,
    inputs: readonly (Tensor | null)[],
    shape: Shape,
    dtype: DType,
    attributes: Record<string, AttributeValue> = {},
  ): Tensor {
    const [out] = this.emit(opType, inputs, [{ shape, dtype }], attributes);
    return out as Tensor;
  }

  /** Records an op call so that autodiff can walk it backwards. */
  record(application: Application): void {
    for (const t of application.outputs) t.setProducer(application);
    this.applications.push(application);
  }

  #fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.#counter++}`;
    while (this.#names.has(name));
    this.#names.add(name);
    return name;
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`graph already has a value named "${name}"`);
    this.#names.add(name);
    return name;
  }
}

/** Copies numbers into the host array type of a dtype. */
export function toHostArray(data: ArrayLike<number> | HostArray, dtype: DType): HostArray {
  switch (dtype) {
    case "float32":
      return Float32Array.from(data as ArrayLike<number>, Number);
    case "float64":
      return Float64Array.from(data as ArrayLike<number>, Number);
    case "int32":
      return Int32Array.from(data as ArrayLike<number>, Number);
    case "uint8":
      return Uint8Array.from(data as ArrayLike<number>, Number);
    case "bool":
      return Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0));
    case "int64": {
      const out = new BigInt64Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i] as number | bigint);
      return out;
    }
  }
}

/** Throws unless all tensors live in the same graph; returns that graph. */
export function graphOf(op: string, tensors: readonly Tensor[]): Graph {
  const first = tensors[0];
  if (first === undefined) throw new Error(`${op}: needs at least one tensor input`);
  for (const t of tensors) {
    if (t.graph !== first.graph) throw new ShapeError(op, "inputs come from different graphs");
  }
  return first.graph;
}

export function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new ShapeError(op, `expects a float tensor, got ${t.dtype}${formatShape(t.shape)}`);
}

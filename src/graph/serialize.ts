import { create, toBinary } from "@bufbuild/protobuf";
import {
  AttributeProtoSchema,
  AttributeProto_AttributeType,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from "onnx-buf";
import { type DType, onnxDataType } from "./dtype.js";
import type { AttributeValue, Constant, Graph, OnnxNode, Tensor } from "./graph.js";
import { formatShape } from "./shape.js";

/**
 * NOTE: opset 18 is the oldest that has everything we emit (LayerNormalization is 17,
 * ReduceMean/ReduceMax with axes as an input are 18) and GPU providers register kernels per
 * opset range, so a newer default would silently push ops onto the CPU. Ops that need a newer
 * opset (none yet) must say so here.
 */
export const OPSET = 18;
/** IR version 8 is the one that goes with opset 18. */
export const IR_VERSION = 8;

/** Which tensors a program reads and writes, by the names the caller will feed and fetch. */
export interface ProgramSignature {
  readonly inputs: readonly Tensor[];
  readonly outputs: Readonly<Record<string, Tensor>>;
}

/**
 * The nodes and constants needed to compute `outputs`, in emission order (which is topological),
 * with the outputs renamed to their fetch names. A tensor that is fetched under two names, or that
 * is an input or constant, is copied by an Identity node because ONNX gives a value one name.
 */
export function prune(graph: Graph, signature: ProgramSignature): { nodes: OnnxNode[]; constants: Constant[] } {
  const inputNames = new Set(signature.inputs.map((t) => t.name));
  const producedBy = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => producedBy.set(o, i)));

  const rename = new Map<string, string>();
  const identities: OnnxNode[] = [];
  for (const [fetchName, t] of Object.entries(signature.outputs)) {
    if (producedBy.has(t.name) && !rename.has(t.name) && !inputNames.has(fetchName) && fetchName !== t.name) {
      rename.set(t.name, fetchName);
    } else if (fetchName !== t.name) {
      identities.push({ opType: "Identity", inputs: [t.name], outputs: [fetchName], attributes: {} });
    }
  }

  const needed = new Set<number>();
  const stack = [...Object.values(signature.outputs).map((t) => t.name)];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const i = producedBy.get(name);
    if (i === undefined) {
      if (!inputNames.has(name) && !graph.constants.has(name) && name !== "") {
        throw new Error(`output depends on ${name}, which is neither computed, an input, nor a constant`);
      }
      continue;
    }
    if (needed.has(i)) continue;
    needed.add(i);
    for (const x of (graph.nodes[i] as OnnxNode).inputs) if (x !== "") stack.push(x);
  }

  const renamed = (name: string) => rename.get(name) ?? name;
  const nodes: OnnxNode[] = [...needed]
    .sort((a, b) => a - b)
    .map((i) => {
      const n = graph.nodes[i] as OnnxNode;
      return { ...n, inputs: n.inputs.map(renamed), outputs: n.outputs.map(renamed) };
    });
  nodes.push(...identities.map((n) => ({ ...n, inputs: n.inputs.map(renamed) })));
  const constants = [...graph.constants.values()].filter((c) => seen.has(c.name) && !inputNames.has(c.name));
  return { nodes, constants };
}

/**
 * A backend's rewrite of the pruned nodes before serialization (e.g. onto kernels only one runtime
 * has). It may add constants to `graph` and nodes of other domains, declared in `opsets`.
 */
export type NodeRewrite = (nodes: readonly OnnxNode[], graph: Graph) => { nodes: OnnxNode[]; opsets: readonly { domain: string; version: number }[] };

/**
 * A program that runs its graph up to `steps` times per call, as the body of one ONNX Loop: each
 * `carry` input (by name) takes the value of its paired output (by fetch name) from the step
 * before, and starts from what is fed; every other input is fed once per step, stacked on a new
 * leading axis of length `steps`; every other output comes back per step on a leading axis as long
 * as the steps run. `countInput` names the int64 scalar input that says how many steps to run
 * (1..`steps`). One call then pays the runtime's per-call costs once (copying the carried outputs
 * into host memory, dispatch) for all its steps.
 */
export interface RepeatSpec {
  readonly steps: number;
  readonly carry: ReadonlyMap<string, string>;
  readonly countInput: string;
}

/** Serializes the part of `graph` that computes the signature's outputs into an ONNX ModelProto. */
export function toOnnxModel(graph: Graph, signature: ProgramSignature, docString = "pretext", rewrite?: NodeRewrite, repeat?: RepeatSpec): Uint8Array {
  const pruned = prune(graph, signature);
  const rewritten = rewrite ? rewrite(pruned.nodes, graph) : { nodes: pruned.nodes, opsets: [] };
  const nodes = rewritten.nodes;
  let constants = pruned.constants;
  if (rewrite) {
    const inputNames = new Set(signature.inputs.map((t) => t.name));
    const read = new Set(nodes.flatMap((n) => n.inputs));
    constants = [...graph.constants.values()].filter((c) => read.has(c.name) && !inputNames.has(c.name));
  }
  const model = create(ModelProtoSchema, {
    irVersion: BigInt(IR_VERSION),
    producerName: "pretext",
    docString,
    opsetImport: [
      create(OperatorSetIdProtoSchema, { domain: "", version: BigInt(OPSET) }),
      ...rewritten.opsets.map((o) => create(OperatorSetIdProtoSchema, { domain: o.domain, version: BigInt(o.version) })),
    ],
    graph: repeat
      ? repeatedGraph(nodes, constants, signature, repeat)
      : graphProto(
          "pretext",
          nodes,
          constants,
          signature.inputs.map((t) => valueInfo(t.name, t)),
          Object.entries(signature.outputs).map(([name, t]) => valueInfo(name, t)),
        ),
  });
  return toBinary(ModelProtoSchema, model);
}

function graphProto(name: string, nodes: readonly OnnxNode[], constants: readonly Constant[], input: ValueInfoProto[], output: ValueInfoProto[]): GraphProto {
  return create(GraphProtoSchema, {
    name,
    node: nodes.map((n, i) =>
      create(NodeProtoSchema, {
        name: `${n.opType}_${i}`,
        opType: n.opType,
        domain: n.domain ?? "",
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes).map(([name, a]) => toAttributeProto(name, a)),
      }),
    ),
    initializer: constants.map(toTensorProto),
    input,
    output,
  });
}

/**
 * The outer graph of a repeated program: one Loop node whose body is the step. Inside the body,
 * every name the outer graph also uses (its inputs and outputs) gets a suffix, because a subgraph
 * may read outer names but should not shadow them: a per-step input is the outer stack's row at
 * the iteration number (`Gather`), a carried input is a body input, a fetched value is renamed.
 * `Program.compileRepeated` has checked the spec against the signature.
 */
function repeatedGraph(nodes: readonly OnnxNode[], constants: readonly Constant[], signature: ProgramSignature, repeat: RepeatSpec): GraphProto {
  const { steps, carry, countInput } = repeat;
  const inputs = new Map(signature.inputs.map((t) => [t.name, t]));
  const outputs = new Map(Object.entries(signature.outputs));
  const carriedOutputs = new Set(carry.values());
  const perStepInputs = signature.inputs.filter((t) => !carry.has(t.name));
  const perStepOutputs = [...outputs].filter(([name]) => !carriedOutputs.has(name));

  const outerNames = new Set<string>([countInput, ...inputs.keys(), ...outputs.keys()]);
  const inBody = (name: string) => (outerNames.has(name) ? `${name}@step` : name);
  const iteration = "loop.iteration@step";
  const condition = "loop.condition@step";
  const bodyNodes: OnnxNode[] = [
    ...perStepInputs.map((t): OnnxNode => ({ opType: "Gather", inputs: [t.name, iteration], outputs: [inBody(t.name)], attributes: { axis: { kind: "int", value: 0 } } })),
    ...nodes.map((n) => ({ ...n, inputs: n.inputs.map((x) => (x === "" ? x : inBody(x))), outputs: n.outputs.map(inBody) })),
    { opType: "Identity", inputs: [condition], outputs: [`${condition}:out`], attributes: {} },
  ];
  const body = graphProto(
    "step",
    bodyNodes,
    constants,
    [tensorInfo(iteration, "int64", []), tensorInfo(condition, "bool", []), ...[...carry.keys()].map((name) => valueInfo(inBody(name), inputs.get(name) as Tensor))],
    [
      tensorInfo(`${condition}:out`, "bool", []),
      ...[...carry.values()].map((name) => valueInfo(inBody(name), outputs.get(name) as Tensor)),
      ...perStepOutputs.map(([name, t]) => valueInfo(inBody(name), t)),
    ],
  );
  const loop: OnnxNode = {
    opType: "Loop",
    inputs: [countInput, "", ...carry.keys()],
    outputs: [...carry.values(), ...perStepOutputs.map(([name]) => name)],
    attributes: {},
  };
  const graph = graphProto(
    "pretext",
    [loop],
    [],
    [tensorInfo(countInput, "int64", []), ...signature.inputs.map((t) => (carry.has(t.name) ? valueInfo(t.name, t) : tensorInfo(t.name, t.dtype, [steps, ...t.shape])))],
    [
      ...[...carry.values()].map((name) => valueInfo(name, outputs.get(name) as Tensor)),
      ...perStepOutputs.map(([name, t]) => tensorInfo(name, t.dtype, ["steps", ...t.shape])),
    ],
  );
  (graph.node[0] as NodeProto).attribute.push(create(AttributeProtoSchema, { name: "body", type: AttributeProto_AttributeType.GRAPH, g: body }));
  return graph;
}

function valueInfo(name: string, t: Tensor): ValueInfoProto {
  return tensorInfo(name, t.dtype, t.shape);
}

/** A tensor's type; a string dimension is symbolic (its length is known only when the model runs). */
function tensorInfo(name: string, dtype: DType, shape: readonly (number | string)[]): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: "tensorType",
        value: create(TypeProto_TensorSchema, {
          elemType: onnxDataType[dtype],
          shape: create(TensorShapeProtoSchema, {
            dim: shape.map((d) =>
              create(TensorShapeProto_DimensionSchema, { value: typeof d === "string" ? { case: "dimParam", value: d } : { case: "dimValue", value: BigInt(d) } }),
            ),
          }),
        }),
      },
    }),
  });
}

function toTensorProto(c: Constant): TensorProto {
  const bytes = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  return create(TensorProtoSchema, {
    name: c.name,
    dims: c.shape.map(BigInt),
    dataType: onnxDataType[c.dtype],
    // NOTE: raw_data is little-endian by the ONNX spec, which every platform we run on is.
    rawData: new Uint8Array(bytes),
  });
}

function toAttributeProto(name: string, a: AttributeValue): AttributeProto {
  switch (a.kind) {
    case "int":
      return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(a.value) });
    case "float":
      return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f: a.value });
    case "string":
      return create(AttributeProtoSchema, {
        name,
        type: AttributeProto_AttributeType.STRING,
        s: new TextEncoder().encode(a.value),
      });
    case "ints":
      return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: a.value.map(BigInt) });
    case "floats":
      return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOATS, floats: [...a.value] });
  }
}

/** A stable, human-readable listing of a program, for snapshot tests and debugging. */
export function toText(graph: Graph, signature: ProgramSignature): string {
  const { nodes, constants } = prune(graph, signature);
  const describe = (t: { dtype: string; shape: readonly number[] }) => `${t.dtype}${formatShape(t.shape)}`;
  const lines: string[] = [];
  for (const t of signature.inputs) lines.push(`input ${t.name}: ${describe(t)}`);
  for (const c of constants) {
    const values = c.data.length <= 8 ? ` = ${[...c.data].join(", ")}` : "";
    lines.push(`const ${c.name}: ${describe(c)}${values}`);
  }
  for (const n of nodes) {
    const attrs = Object.entries(n.attributes)
      .map(([k, v]) => `${k}=${Array.isArray(v.value) ? `[${(v.value as number[]).join(",")}]` : String(v.value)}`)
      .join(" ");
    lines.push(`${n.outputs.join(", ")} = ${n.opType}(${n.inputs.join(", ")})${attrs ? ` {${attrs}}` : ""}`);
  }
  for (const [name, t] of Object.entries(signature.outputs)) lines.push(`output ${name}: ${describe(t)}`);
  return lines.join("\n");
}

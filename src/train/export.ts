import { writeFileAtomic } from "../io/write-atomic.js";
import { type DType, Graph, type Shape, type Tensor, toOnnxModel } from "../graph/index.js";
import { BoundContext, type Parameter, type StateBuffer, namedParameters, namedState } from "../nn/module.js";
import type { UnaryModule } from "../nn/sequential.js";

/** A module with a one-input forward pass: every encoder. */
export type ExportableModule = UnaryModule;

export interface ExportOnnxOptions {
  /** The static input shape, batch included (`[1, 1, 28, 28]`). */
  readonly inputShape: Shape;
  readonly inputDType?: DType;
  readonly inputName?: string;
  readonly outputName?: string;
  /** Stored as the model's doc string. */
  readonly description?: string;
}

/**
 * Traces `module`'s forward pass in eval mode (running statistics in batch norm, no dropout) into
 * a standalone ONNX model: its parameters and state buffers become initializers named by their
 * dotted paths (`block1.conv.weight`), the same names as the checkpoint keys, so any ONNX runtime
 * can run it and tools can map its weights back. The shapes are static, as traced.
 */
export function exportOnnx(module: ExportableModule, options: ExportOnnxOptions): Uint8Array {
  const { inputShape, inputDType = "float32", inputName = "input", outputName = "embedding", description = "pretext encoder" } = options;
  const leaves = new Map<string, Parameter | StateBuffer>([...namedParameters(module), ...namedState(module)]);
  for (const name of [inputName, outputName]) {
    if (leaves.has(name)) throw new Error(`exportOnnx: "${name}" is both a parameter path and the input or output name; choose another`);
  }
  if (inputName === outputName) throw new Error(`exportOnnx: input and output are both named "${inputName}"`);

  const graph = new Graph();
  const input = graph.input(inputName, inputShape, inputDType);
  const bindings = new Map<Parameter | StateBuffer, Tensor>();
  for (const [path, leaf] of leaves) {
    // A tensor shared by two modules is walked under two paths; it becomes one initializer, named by the first.
    if (!bindings.has(leaf)) bindings.set(leaf, graph.constant(leaf.value, leaf.shape, "float32", path));
  }
  const output = module.call(new BoundContext(false, bindings), input);
  return toOnnxModel(graph, { inputs: [input], outputs: { [outputName]: output } }, description);
}

/** Writes model bytes to `path` (creating its directory) via a temp file and a rename, so a crash never leaves half a model. */
export async function saveOnnx(path: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(path, bytes);
}

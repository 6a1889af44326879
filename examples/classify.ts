import type { Dataset } from "../src/data/dataset.js";
import { Graph, type Tensor } from "../src/graph/index.js";
import { bindModule } from "../src/nn/bind.js";
import { BoundContext, type ForwardContext } from "../src/nn/module.js";
import type { UnaryModule } from "../src/nn/sequential.js";
import { Program, hostTensor } from "../src/runtime/index.js";
import { sampleImage } from "../src/data/image/image-dataset.js";
import { imageShape } from "../src/data/sample.js";

/** Class predictions of a chain of modules in eval mode, batch by batch (the last batch padded). */
export async function classify(chain: readonly UnaryModule[], data: Dataset, batchSize = 500): Promise<Int32Array> {
  const [c, h, w] = imageShape(data.spec, "classify");
  const graph = new Graph();
  const x = graph.input("x", [batchSize, c, h, w]);
  const bindings = new Map();
  for (const m of chain) for (const [k, v] of bindModule(graph, m, { parameters: "constant", state: "constant" }).bindings) bindings.set(k, v);
  const ctx: ForwardContext = new BoundContext(false, bindings);
  const logits = chain.reduce<Tensor>((t, m) => m.call(ctx, t), x);
  const program = await Program.compile(graph, { inputs: [x], outputs: { logits } });
  const out = new Int32Array(data.length);
  const size = c * h * w;
  for (let start = 0; start < data.length; start += batchSize) {
    const images = new Float32Array(batchSize * size);
    const n = Math.min(batchSize, data.length - start);
    for (let i = 0; i < n; i++) images.set(sampleImage(data.get(start + i)), i * size);
    const result = await program.run({ x: hostTensor("float32", [batchSize, c, h, w], images) });
    const l = result.logits?.data as Float32Array;
    const classes = l.length / batchSize;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if ((l[i * classes + k] as number) > (l[i * classes + best] as number)) best = k;
      out[start + i] = best;
    }
  }
  await program.release();
  return out;
}

import { Graph, type NodeRewrite, type OnnxNode, attr, toOnnxModel } from "../graph/index.js";
import type { OrtModule } from "./ort-session.js";

/** ONNX Runtime's domain for its blocked-layout (NCHWc) CPU kernels. */
const NCHWC_DOMAIN = "com.microsoft.nchwc";

/**
 * Moves convolutions whose filter is computed in the graph onto ONNX Runtime's NCHWc kernels.
 *
 * ORT's CPU build has two convolution paths: a generic one (im2col + GEMM per image) and blocked
 * "NCHWc" kernels written directly in AVX/AVX-512, which its graph optimizer uses only when the
 * filter is a constant, because it reorders the filter once at load time. In a training step
 * every filter is a graph input, so every conv took the generic path: on the SmallCnn layers
 * (bench/conv-micro.ts, 1 thread) 143 vs 83 ms at 28×28, 125 vs 87 at 14×14, 77 vs 24 at 7×7.
 * The NchwcConv kernel itself reads its filter at run time, so this rewrite reorders the filter
 * with two Reshapes and a Transpose (a few thousand floats) and brackets the conv with the
 * ReorderInput/ReorderOutput kernels; ORT's optimizer then cancels back-to-back reorders.
 *
 * The traced graph stays standard ONNX: this runs only when onnxruntime-node compiles a session,
 * never in exported models or onnxruntime-web. A conv is left alone unless its filter is computed,
 * it has one group, float32 data, and channel counts the blocks divide (output channels a
 * multiple of the block size; input channels a multiple of it, or fewer than one block — then
 * the input stays NCHW, as ORT does for a first layer).
 */
export function nchwcConvRewrite(blockSize: number): NodeRewrite {
  return (nodes, graph) => {
    const out: OnnxNode[] = [];
    let rewritten = 0;
    for (const node of nodes) {
      const replacement = node.opType === "Conv" && (node.domain ?? "") === "" ? blockedConv(node, graph, blockSize) : null;
      if (replacement === null) {
        out.push(node);
      } else {
        out.push(...replacement);
        rewritten++;
      }
    }
    return { nodes: out, opsets: rewritten > 0 ? [{ domain: NCHWC_DOMAIN, version: 1 }] : [] };
  };
}

function blockedConv(node: OnnxNode, graph: Graph, block: number): OnnxNode[] | null {
  const [xName, wName, bName] = node.inputs as [string, string, string | undefined];
  const x = graph.tensor(xName);
  const w = graph.tensor(wName);
  const group = node.attributes.group;
  if (!x || !w || graph.constants.has(wName) || x.dtype !== "float32" || x.rank !== 4 || w.rank !== 4) return null;
  if (group !== undefined && !(group.kind === "int" && group.value === 1)) return null;
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  const blockedInput = i % block === 0;
  if (o % block !== 0 || !(blockedInput || i < block)) return null;

  const out = node.outputs[0] as string;
  const name = (suffix: string) => `${out}/nchwc/${suffix}`;
  const reshape = (input: string, shape: readonly number[], output: string): OnnxNode => ({
    opType: "Reshape",
    inputs: [input, graph.int64s(shape).name],
    outputs: [output],
    attributes: {},
  });
  // MLAS's filter layouts (its MlasReorderFilterOIHWBiBo / OIHWBo): output-channel blocks
  // outermost, then input-channel blocks (or single input channels), then the kernel taps, then an
  // input × output block with the output channel fastest. The shape stays [O, I, kh, kw].
  const [split, perm] = blockedInput
    ? [[o / block, block, i / block, block, kh, kw], [0, 2, 4, 5, 3, 1]]
    : [[o / block, block, i, kh, kw], [0, 2, 3, 4, 1]];
  const filter: OnnxNode[] = [
    reshape(wName, split, name("filter_split")),
    { opType: "Transpose", inputs: [name("filter_split")], outputs: [name("filter_blocked")], attributes: { perm: attr.ints(perm) } },
    reshape(name("filter_blocked"), [o, i, kh, kw], name("filter")),
  ];
  const input: OnnxNode[] = blockedInput
    ? [{ opType: "ReorderInput", inputs: [xName], outputs: [name("input")], attributes: {}, domain: NCHWC_DOMAIN }]
    : [];
  const conv: OnnxNode = {
    opType: "Conv",
    inputs: [blockedInput ? name("input") : xName, name("filter"), ...(bName ? [bName] : [])],
    outputs: [name("output")],
    attributes: node.attributes,
    domain: NCHWC_DOMAIN,
  };
  const output: OnnxNode = {
    opType: "ReorderOutput",
    inputs: [name("output")],
    outputs: [out],
    attributes: { channels: attr.int(o) },
    domain: NCHWC_DOMAIN,
  };
  return [...filter, ...input, conv, output];
}

/**
 * The channel block of this CPU's NCHWc kernels (16 with AVX-512, 8 with AVX2, 4 with SSE), read
 * from what ReorderInput pads 4 channels to (it takes multiples of 4); null where the build has no
 * NCHWc kernels.
 */
export async function probeNchwcBlockSize(ort: OrtModule): Promise<number | null> {
  const g = new Graph();
  const x = g.input("x", [1, 4, 1, 1]);
  // The declared output shape is a placeholder; the padded channel count is the answer.
  const [y] = g.emit("ReorderInput", [x], [{ shape: [1, 4, 1, 1], dtype: "float32" }], {}, NCHWC_DOMAIN);
  const model = toOnnxModel(g, { inputs: [x], outputs: { y: y as NonNullable<typeof y> } }, "nchwc probe", (nodes) => ({
    nodes: [...nodes],
    opsets: [{ domain: NCHWC_DOMAIN, version: 1 }],
  }));
  try {
    const session = await ort.InferenceSession.create(model, { logSeverityLevel: 4, graphOptimizationLevel: "disabled" });
    const result = await session.run({ x: new ort.Tensor("float32", new Float32Array(4), [1, 4, 1, 1]) });
    await session.release();
    const channels = Number(result.y?.dims[1]);
    return Number.isInteger(channels) && channels >= 4 ? channels : null;
  } catch {
    return null;
  }
}

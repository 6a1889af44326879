import { type Graph, type NodeRewrite, type OnnxNode, attr } from "../graph/index.js";

/**
 * Moves the batch statistics of training-mode batch norm onto ONNX Runtime's CPU kernel.
 *
 * The traced graph computes them with primitives (src/ops/normalization.ts): μ = ReduceMean(x),
 * σ² = ReduceMean((x − μ)²), then an inference-form BatchNormalization fed μ and σ². That is
 * portable ONNX, which WebGPU (no training mode) also runs, but it makes five full-size passes.
 * ORT's BatchNormalization in training mode (opset 15, `training_mode = 1`) computes the same
 * two-pass statistics and normalizes in one node: 1.7 against 5.1 ms for [256, 32, 28, 28]
 * (2 threads, bench/bn-micro.ts). Its "running" outputs are input·momentum + batch·(1 − momentum),
 * so with momentum 0 they are exactly the batch mean and the biased variance, as the primitives
 * compute them. They take over the names of the primitives' [C] statistics, so everything that
 * reads them (the backward pass, the running-statistics update with PyTorch's unbiased variance)
 * is unchanged.
 *
 * The kernel aliases its running outputs to its running inputs: it writes the statistics into
 * their buffers, which nothing else may then read. Computed zeros were merged by ORT's
 * common-subexpression elimination across layers (one layer's mean overwritten by the next's: the
 * SmallCnn-vs-PyTorch test caught it); constant zeros and ones were merged with an affine=False γ
 * or β by its constant sharing (the normalization then read the variance as γ). So each input is
 * its own RandomUniform with low = high = 0: zeros that ORT neither folds nor merges, since random
 * nodes are non-deterministic to it.
 *
 * Only the exact node pattern the lowering emits is matched: x → ReduceMean → Reshape [C] (μ),
 * x − μ → Mul with itself → ReduceMean → Reshape [C] (σ²), BatchNormalization(x, γ, β, μ, σ²) on
 * float32 or float64, with the reductions over every axis but 1, the intermediates read by nothing
 * else, and γ and β computed before the statistics (which rules out the backward pass's
 * inference-form node, whose scale and shift come from them).
 */
export function batchNormTrainingRewrite(): NodeRewrite {
  return (nodes, graph) => {
    const producer = new Map<string, number>();
    const readers = new Map<string, number>();
    nodes.forEach((node, i) => {
      for (const o of node.outputs) producer.set(o, i);
      for (const name of node.inputs) readers.set(name, (readers.get(name) ?? 0) + 1);
    });
    const removed = new Set<number>();
    const replacements = new Map<number, OnnxNode[]>();
    nodes.forEach((node, index) => {
      const match = matchStatistics(node, index, nodes, producer, readers, graph);
      // the backward pass's inference-form node reads the same statistics: the forward one claims them
      if (match === null || match.chain.some((j) => removed.has(j))) return;
      for (const j of match.chain) removed.add(j);
      const [x, gamma, beta, mean, variance] = node.inputs as [string, string, string, string, string];
      const { channels } = match;
      const dtype = match.dtype === "float64" ? 11 : 1; // ONNX TensorProto float / double
      const [y] = node.outputs as [string];
      const zeros = (role: string): OnnxNode => ({
        opType: "RandomUniform",
        inputs: [],
        outputs: [`${y}/bn_train/${role}`],
        attributes: { shape: attr.ints([channels]), low: attr.float(0), high: attr.float(0), dtype: attr.int(dtype) },
      });
      replacements.set(Math.min(...match.chain), [
        zeros("mean_in"),
        zeros("var_in"),
        {
          opType: "BatchNormalization",
          inputs: [x, gamma, beta, `${y}/bn_train/mean_in`, `${y}/bn_train/var_in`],
          outputs: [y, mean, variance],
          attributes: { ...node.attributes, momentum: attr.float(0), training_mode: attr.int(1) },
        },
      ]);
    });
    const out: OnnxNode[] = [];
    nodes.forEach((node, i) => {
      out.push(...(replacements.get(i) ?? []));
      if (!removed.has(i)) out.push(node);
    });
    return { nodes: out, opsets: [] };
  };
}

/** The indices of the statistics chain feeding an inference-form BatchNormalization, or null. */
function matchStatistics(
  bn: OnnxNode,
  index: number,
  nodes: readonly OnnxNode[],
  producer: ReadonlyMap<string, number>,
  readers: ReadonlyMap<string, number>,
  graph: Graph,
): { chain: number[]; channels: number; dtype: "float32" | "float64" } | null {
  if (bn.opType !== "BatchNormalization" || (bn.domain ?? "") !== "" || bn.outputs.length !== 1 || bn.inputs.length !== 5) return null;
  const training = bn.attributes.training_mode;
  if (training !== undefined && !(training.kind === "int" && training.value === 0)) return null;
  const [x, , , meanC, varC] = bn.inputs as [string, string, string, string, string];
  const data = graph.tensor(x);
  const rank = data?.rank;
  if (rank === undefined || rank < 2 || (data?.dtype !== "float32" && data?.dtype !== "float64")) return null;
  const from = (name: string, opType: string): [number, OnnxNode] | null => {
    const i = producer.get(name);
    const node = i === undefined ? undefined : nodes[i];
    return i !== undefined && node !== undefined && node.opType === opType && (node.domain ?? "") === "" ? [i, node] : null;
  };
  const onlyReadBy = (name: string, count: number) => readers.get(name) === count;
  const reducesAllButChannels = (node: OnnxNode) => {
    const keep = node.attributes.keepdims;
    const axes = graph.constants.get(node.inputs[1] ?? "");
    const expected = Array.from({ length: rank }, (_, a) => a).filter((a) => a !== 1);
    return (
      (keep === undefined || (keep.kind === "int" && keep.value === 1)) &&
      axes !== undefined &&
      axes.data.length === expected.length &&
      expected.every((a, k) => Number(axes.data[k]) === a)
    );
  };

  const meanReshape = from(meanC, "Reshape");
  const mean = meanReshape && from(meanReshape[1].inputs[0] as string, "ReduceMean");
  if (!meanReshape || !mean || mean[1].inputs[0] !== x || !reducesAllButChannels(mean[1])) return null;
  const varReshape = from(varC, "Reshape");
  const variance = varReshape && from(varReshape[1].inputs[0] as string, "ReduceMean");
  const square = variance && from(variance[1].inputs[0] as string, "Mul");
  const centred = square && square[1].inputs[0] === square[1].inputs[1] ? from(square[1].inputs[0] as string, "Sub") : null;
  if (!varReshape || !variance || !square || !centred || !reducesAllButChannels(variance[1])) return null;
  const meanName = mean[1].outputs[0] as string;
  if (centred[1].inputs[0] !== x || centred[1].inputs[1] !== meanName) return null;
  // μ feeds the Sub and its Reshape; x − μ feeds the Mul twice; the square and σ² one node each
  const private_ =
    onlyReadBy(meanName, 2) &&
    onlyReadBy(centred[1].outputs[0] as string, 2) &&
    onlyReadBy(square[1].outputs[0] as string, 1) &&
    onlyReadBy(variance[1].outputs[0] as string, 1);
  if (!private_) return null;
  const channels = graph.tensor(meanC)?.shape;
  if (channels?.length !== 1) return null;
  const chain = [mean[0], meanReshape[0], centred[0], square[0], variance[0], varReshape[0], index];
  // The fused node runs where the chain starts, so its scale and shift must exist by then. The
  // backward pass's node, whose scale and shift are computed from the statistics, never does.
  const start = Math.min(...chain);
  const ready = (name: string) => (producer.get(name) ?? -1) < start;
  if (!ready(bn.inputs[1] as string) || !ready(bn.inputs[2] as string)) return null;
  return { chain, channels: channels[0] as number, dtype: data.dtype };
}

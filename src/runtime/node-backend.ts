import { availableParallelism } from "node:os";
import type { NodeRewrite } from "../graph/index.js";
import type { Backend, Session, SessionOptions } from "./backend.js";
import { batchNormTrainingRewrite } from "./batch-norm-training.js";
import { nchwcConvRewrite, probeNchwcBlockSize } from "./nchwc.js";
import { type OrtModule, createOrtSession } from "./ort-session.js";

let ortNode: Promise<OrtModule> | undefined;
let nchwcBlock: Promise<number | null> | undefined;

const loadOrt = (): Promise<OrtModule> => (ortNode ??= import("onnxruntime-node"));

/** onnxruntime-node: native CPU kernels (MLAS) on all cores; the fast path on Node.js. */
export const nodeBackend: Backend = {
  name: "onnxruntime-node",
  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    // NOTE: ORT's own default (no intraOpNumThreads) ran one thread on a 2-vCPU VM; say how many.
    const threads = options.threads !== undefined && options.threads > 0 ? options.threads : availableParallelism();
    return createOrtSession(await loadOrt(), model, { ...options, threads });
  },
  async nodeRewrite(options: SessionOptions = {}): Promise<NodeRewrite | undefined> {
    const rewrites = [batchNormTrainingRewrite()];
    if (options.nchwc !== false) {
      nchwcBlock ??= loadOrt().then(probeNchwcBlockSize);
      const block = await nchwcBlock;
      if (block !== null) rewrites.push(nchwcConvRewrite(block));
    }
    return inSequence(rewrites);
  },
};

/** One rewrite that applies `rewrites` in order, declaring every opset any of them needs. */
function inSequence(rewrites: readonly NodeRewrite[]): NodeRewrite {
  return (nodes, graph) => {
    let current = { nodes: [...nodes], opsets: [] as { domain: string; version: number }[] };
    for (const rewrite of rewrites) {
      const next = rewrite(current.nodes, graph);
      current = { nodes: next.nodes, opsets: [...current.opsets, ...next.opsets] };
    }
    return current;
  };
}

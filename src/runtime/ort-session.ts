import type * as OrtNode from "onnxruntime-node";
import type { DType } from "../graph/index.js";
import type { Session, SessionOptions } from "./backend.js";
import type { HostTensor } from "./host-tensor.js";

/** The part of the ONNX Runtime JS API that onnxruntime-node and onnxruntime-web share. */
export type OrtModule = Pick<typeof OrtNode, "InferenceSession" | "Tensor">;
type OrtTensor = OrtNode.Tensor;

const dtypes: ReadonlySet<string> = new Set<DType>(["float32", "float64", "int64", "int32", "bool"]);

/**
 * Defaults measured on a 2-vCPU VM (CNN training step, onnxruntime-node 1.30): one thread 120 ms,
 * two spinning threads 205 ms, two threads without spinning 121 ms. Spinning is off by default.
 */
export const defaultSessionOptions: Required<SessionOptions> = {
  threads: 0,
  spinning: false,
  graphOptimization: "all",
};

export async function createOrtSession(ort: OrtModule, model: Uint8Array, options: SessionOptions, extraOptions: object = {}): Promise<Session> {
  const o = { ...defaultSessionOptions, ...options };
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: o.graphOptimization,
    ...(o.threads > 0 ? { intraOpNumThreads: o.threads } : {}),
    extra: { session: { intra_op: { allow_spinning: o.spinning ? "1" : "0" } } },
    ...extraOptions,
  });
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const ortFeeds: Record<string, OrtTensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        ortFeeds[name] = new ort.Tensor(t.dtype, t.data as OrtTensor["data"] & Float32Array, [...t.shape]);
      }
      const results = await session.run(ortFeeds);
      const out: Record<string, HostTensor> = {};
      for (const [name, value] of Object.entries(results)) out[name] = fromOrt(name, value as OrtTensor);
      return out;
    },
    release: () => session.release(),
  };
}

function fromOrt(name: string, t: OrtTensor): HostTensor {
  if (!dtypes.has(t.type)) throw new Error(`output ${name} has unsupported type ${t.type}`);
  return { dtype: t.type as DType, shape: t.dims.map(Number), data: t.data as HostTensor["data"] };
}

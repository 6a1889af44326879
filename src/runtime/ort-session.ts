import type * as OrtNode from "onnxruntime-node";
import type { DType } from "../graph/index.js";
import type { Session, SessionOptions } from "./backend.js";
import type { HostTensor } from "./host-tensor.js";

/** The part of the ONNX Runtime JS API that onnxruntime-node and onnxruntime-web share. */
export type OrtModule = Pick<typeof OrtNode, "InferenceSession" | "Tensor">;
type OrtTensor = OrtNode.Tensor;

const dtypes: ReadonlySet<string> = new Set<DType>(["float32", "float64", "int64", "int32", "uint8", "bool"]);

/**
 * Defaults measured with `npx tsx bench/runtime-threads.ts` (onnxruntime-node 1.30, 2-vCPU AMD EPYC VM,
 * MLP 784-1024-1024-10 train step with SGD, batch 256; median ms over interleaved runs):
 *
 * | machine                      | 1 thread | 2, spinning | 2, no spinning | auto, no spinning |
 * | ---------------------------- | -------- | ----------- | -------------- | ----------------- |
 * | idle                         | 29–31    | 17–19       | 17–20          | (= 2 threads)     |
 * | others using ~0.3 of a core  | 37–40    | 30–39       | 25–32          | 28.5              |
 * | others using ~1 of 2 cores   | 40–46    | 45–58       | 40–49          | 43                |
 *
 * So: all cores — 1.8x faster than one thread when the machine is ours. `threads: 0` means one per
 * core the OS gives this process (`os.availableParallelism()`), which the node backend passes to
 * ORT explicitly: left to itself, onnxruntime-node 1.30 ran ONE thread on a 2-vCPU AMD EPYC VM
 * (2026-12-04, idle, SmallCnn supervised step: 321–327 ms with ORT's default against 212–216 ms
 * with 2 threads, bench/run.ts children alternated). Spinning never measurably helped and cost up
 * to ~20% under load (idle workers
 * spin on cores the other threads need; the CNN step in ARCHITECTURE.md went 121 → 205 ms), so it
 * is off. Graph optimization levels made no difference beyond noise on this matmul-bound step;
 * "all" is kept for the fusions that elementwise-heavy graphs (normalization, activations) get.
 * Under heavy contention one thread can win: pass `threads: 1` there (CI, several runs at once).
 *
 * Memory pattern off (`bench/session-probe.ts`, 2-core VM under load, median step, peak RSS of a
 * fresh process): SmallCnn supervised step 827 → 496 MB, TinyGpt step 1153 → 676 MB, SimCLR step
 * 1529 → 862 MB; step times alternated run by run were within the noise (±20% under that load).
 * ORT's arena still recycles the blocks, so nothing is allocated from the OS after the first run.
 *
 * Fetching an output costs a copy into a JS buffer: ~0.35–0.45 ms per 1M float32 (4 MiB) per run,
 * about what `Float32Array.slice()` costs, so pack state into few tensors but do not fear the copy.
 */
export const defaultSessionOptions: Required<SessionOptions> = {
  threads: 0,
  spinning: false,
  graphOptimization: "all",
  memoryPattern: false,
  nchwc: true,
};

export async function createOrtSession(ort: OrtModule, model: Uint8Array, options: SessionOptions, extraOptions: object = {}): Promise<Session> {
  const o = { ...defaultSessionOptions, ...options };
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: o.graphOptimization,
    enableMemPattern: o.memoryPattern,
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

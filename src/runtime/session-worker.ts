/**
 * The worker side of `workerBackend`: hosts one onnxruntime-node session off the main thread, so
 * that `session.run` (synchronous in the native binding) leaves the main thread free to prepare
 * the next batch, draw a progress bar and handle Ctrl-C.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { SessionOptions } from "./backend.js";
import type { HostTensor } from "./host-tensor.js";
import { nodeBackend } from "./node-backend.js";

export interface WorkerInit {
  readonly model: Uint8Array;
  readonly options: SessionOptions;
}

export type WorkerRequest = { readonly kind: "run"; readonly id: number; readonly feeds: Record<string, HostTensor> } | { readonly kind: "release" };

export type WorkerReply =
  | { readonly kind: "ready"; readonly inputNames: readonly string[]; readonly outputNames: readonly string[] }
  | { readonly kind: "result"; readonly id: number; readonly outputs: Record<string, HostTensor> }
  | { readonly kind: "error"; readonly id: number; readonly message: string }
  | { readonly kind: "released" };

const port = parentPort;
if (port === null) throw new Error("session-worker must run in a worker thread");
const init = workerData as WorkerInit;

try {
  const session = await nodeBackend.createSession(init.model, init.options);
  port.postMessage({ kind: "ready", inputNames: session.inputNames, outputNames: session.outputNames } satisfies WorkerReply);
  port.on("message", async (request: WorkerRequest) => {
    if (request.kind === "release") {
      await session.release();
      port.postMessage({ kind: "released" } satisfies WorkerReply);
      return;
    }
    try {
      const outputs = await session.run(request.feeds);
      // Outputs are fresh buffers: hand them over instead of copying them again.
      const transfer = Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer);
      port.postMessage({ kind: "result", id: request.id, outputs } satisfies WorkerReply, transfer);
    } catch (error) {
      port.postMessage({ kind: "error", id: request.id, message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
    }
  });
} catch (error) {
  port.postMessage({ kind: "error", id: -1, message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
}

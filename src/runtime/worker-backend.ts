import { Worker } from "node:worker_threads";
import type { Backend, Session, SessionOptions } from "./backend.js";
import type { HostTensor } from "./host-tensor.js";
import { nodeBackend } from "./node-backend.js";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./session-worker.js";

// From the TypeScript sources (tsx, vitest) the worker registers tsx's loader before importing
// its entry (Node 20 ignores `--import` in a worker's execArgv); from dist/ it is plain JS.
const fromSource = import.meta.url.endsWith(".ts");
const workerUrl = new URL(fromSource ? "./session-worker.ts" : "./session-worker.js", import.meta.url);

function startWorker(workerData: WorkerInit): Worker {
  if (!fromSource) return new Worker(workerUrl, { workerData });
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * onnxruntime-node in a worker thread. Each session gets its own worker; `run` posts the feeds
 * (copied, so the caller keeps its buffers) and receives the outputs by transfer (no copy). The
 * main thread stays free while a step runs: the loader assembles and augments the next batch, the
 * progress bar redraws and SIGINT is handled at once.
 */
export const workerBackend: Backend = {
  name: "onnxruntime-node (worker thread)",
  // the worker's sessions are onnxruntime-node's: the same kernels, so the same rewrite
  nodeRewrite: (options) => nodeBackend.nodeRewrite?.(options) ?? Promise.resolve(undefined),
  createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    const worker = startWorker({ model, options });
    const pending = new Map<number, { resolve: (o: Record<string, HostTensor>) => void; reject: (e: Error) => void }>();
    let nextId = 0;
    let released: (() => void) | null = null;

    return new Promise<Session>((resolveSession, rejectSession) => {
      const fail = (error: Error) => {
        rejectSession(error);
        for (const p of pending.values()) p.reject(error);
        pending.clear();
      };
      worker.on("error", fail);
      worker.on("exit", (code) => {
        if (released === null) fail(new Error(`the ONNX Runtime worker exited with code ${code}`));
      });
      worker.on("message", (reply: WorkerReply) => {
        switch (reply.kind) {
          case "ready":
            resolveSession({
              inputNames: reply.inputNames,
              outputNames: reply.outputNames,
              run(feeds) {
                const id = nextId++;
                return new Promise((resolve, reject) => {
                  pending.set(id, { resolve, reject });
                  worker.postMessage({ kind: "run", id, feeds: { ...feeds } } satisfies WorkerRequest);
                });
              },
              release() {
                return new Promise<void>((resolve) => {
                  released = resolve;
                  worker.postMessage({ kind: "release" } satisfies WorkerRequest);
                });
              },
            });
            break;
          case "result":
            pending.get(reply.id)?.resolve(reply.outputs);
            pending.delete(reply.id);
            break;
          case "error":
            if (reply.id === -1) fail(new Error(reply.message));
            else {
              pending.get(reply.id)?.reject(new Error(reply.message));
              pending.delete(reply.id);
            }
            break;
          case "released":
            void worker.terminate().then(() => released?.());
            break;
        }
      });
    });
  },
};

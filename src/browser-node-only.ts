import type * as CheckpointModule from "./train/checkpoint.js";
import type * as NodeBackendModule from "./runtime/node-backend.js";
import type * as WorkerBackendModule from "./runtime/worker-backend.js";
import type * as WriteAtomicModule from "./io/write-atomic.js";

/**
 * What a browser build gets in place of the library's four Node-only modules (the playground's
 * Vite plugin, `playground/browser-modules.ts`, swaps them in). The modules that import them
 * (`Program`'s default backend, `fit`'s checkpoints, `saveOnnx`) then load without `node:`
 * builtins or onnxruntime-node, and fail with a one-line message if a browser caller reaches for
 * them. Each stand-in is typed as the export it replaces, so the two cannot drift apart.
 */

/** Raised when browser code calls something that needs Node (files, onnxruntime-node, worker threads). */
export class NodeOnlyError extends Error {
  constructor(what: string, instead: string) {
    super(`${what} needs Node.js; in a browser ${instead}`);
    this.name = "NodeOnlyError";
  }
}

const webInstead = "pass { backend: webBackend } (from pretext's browser entry)";

export const nodeBackend: typeof NodeBackendModule.nodeBackend = {
  name: "onnxruntime-node (not in a browser)",
  createSession: () => Promise.reject(new NodeOnlyError("onnxruntime-node", webInstead)),
};

export const workerBackend: typeof WorkerBackendModule.workerBackend = {
  name: "onnxruntime-node worker thread (not in a browser)",
  createSession: () => Promise.reject(new NodeOnlyError("the worker-thread backend", webInstead)),
};

export const writeFileAtomic: typeof WriteAtomicModule.writeFileAtomic = (path) =>
  Promise.reject(new NodeOnlyError(`writing ${path}`, "offer the bytes as a download (exportOnnx and encodeSafetensors return them)"));

export class CheckpointError extends Error implements CheckpointModule.CheckpointError {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

const noCheckpoints = "keep the compiled step (its state is in memory) and export weights with encodeSafetensors";
export const saveCheckpoint: typeof CheckpointModule.saveCheckpoint = (dir) => Promise.reject(new NodeOnlyError(`checkpointing to ${dir}`, noCheckpoints));
export const loadLatestCheckpoint: typeof CheckpointModule.loadLatestCheckpoint = (dir) => Promise.reject(new NodeOnlyError(`resuming from ${dir}`, noCheckpoints));
export const readCheckpoint: typeof CheckpointModule.readCheckpoint = (path) => Promise.reject(new NodeOnlyError(`reading ${path}`, noCheckpoints));

/** The library modules replaced in a browser build, by path from `src/`, and the stand-in's exports each must provide. */
export const NODE_ONLY_MODULES: Readonly<Record<string, readonly string[]>> = {
  "runtime/node-backend.ts": ["nodeBackend"],
  "runtime/worker-backend.ts": ["workerBackend"],
  "io/write-atomic.ts": ["writeFileAtomic"],
  "train/checkpoint.ts": ["CheckpointError", "saveCheckpoint", "loadLatestCheckpoint", "readCheckpoint"],
};

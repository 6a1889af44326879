import type * as OrtWeb from "onnxruntime-web";
import type { Backend, Session, SessionOptions } from "./backend.js";
import { createOrtSession } from "./ort-session.js";

let ortWeb: Promise<typeof OrtWeb> | undefined;

const inNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

/**
 * Loads onnxruntime-web once and fixes its wasm settings, which it reads when the first session
 * initializes the runtime and never again (so later `threads` options cannot change them).
 * In Node the package resolves to its Node build, which loads `ort-wasm-simd-threaded.{mjs,wasm}`
 * from its own `dist/` folder: nothing is downloaded.
 */
async function loadOrtWeb(options: SessionOptions): Promise<typeof OrtWeb> {
  const ort = await import("onnxruntime-web");
  // NOTE: in Node, ORT would pick min(4, cores/2) wasm threads, each a worker_thread; one thread is
  // deterministic, starts no workers, and is all these checks need (onnxruntime-node is the fast path).
  // In a browser, threads need cross-origin isolation; ORT falls back to one thread without it.
  if (inNode) ort.env.wasm.numThreads = 1;
  else if (options.threads !== undefined && options.threads > 0) ort.env.wasm.numThreads = options.threads;
  return ort;
}

/**
 * onnxruntime-web on its wasm execution provider: what the browser playground runs. It also runs
 * in Node (single-threaded there), which is how the tests check that every graph we emit works on it.
 */
export const webBackend: Backend = {
  name: "onnxruntime-web",
  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    ortWeb ??= loadOrtWeb(options).catch((error: unknown) => {
      ortWeb = undefined; // let a later call retry rather than cache the failure
      throw error;
    });
    return createOrtSession(await ortWeb, model, options, { executionProviders: ["wasm"] });
  },
};

import type { Backend, Session, SessionOptions } from "./backend.js";
import { type OrtModule, createOrtSession } from "./ort-session.js";

let ortWeb: Promise<OrtModule> | undefined;

/**
 * onnxruntime-web on its wasm execution provider: what the browser playground runs. It also runs
 * in Node (single-threaded there), which is how the tests check that every graph we emit works on it.
 */
export const webBackend: Backend = {
  name: "onnxruntime-web",
  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    ortWeb ??= import("onnxruntime-web") as Promise<OrtModule>;
    return createOrtSession(await ortWeb, model, options, { executionProviders: ["wasm"] });
  },
};

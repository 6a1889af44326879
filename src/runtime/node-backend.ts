import type { Backend, Session, SessionOptions } from "./backend.js";
import { type OrtModule, createOrtSession } from "./ort-session.js";

let ortNode: Promise<OrtModule> | undefined;

/** onnxruntime-node: native CPU kernels (MLAS) on all cores; the fast path on Node.js. */
export const nodeBackend: Backend = {
  name: "onnxruntime-node",
  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    ortNode ??= import("onnxruntime-node");
    return createOrtSession(await ortNode, model, options);
  },
};

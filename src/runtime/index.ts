export type { Backend, Session, SessionOptions } from "./backend.js";
export { type HostTensor, float32, float64, hostTensor, int64, toNumbers } from "./host-tensor.js";
export { nodeBackend } from "./node-backend.js";
export { webBackend } from "./web-backend.js";
export { workerBackend } from "./worker-backend.js";
export { defaultSessionOptions } from "./ort-session.js";
export { type CompileOptions, Program, type RepeatOptions, type TraceableFunction, jit } from "./program.js";

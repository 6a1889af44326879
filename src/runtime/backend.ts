import type { HostTensor } from "./host-tensor.js";

/** Settings a session is created with; each default is measured (see `defaultSessionOptions`). */
export interface SessionOptions {
  /** Intra-op threads; 0 lets ONNX Runtime choose. */
  readonly threads?: number;
  /** Whether idle worker threads spin; spinning doubled step time on a 2-core VM. */
  readonly spinning?: boolean;
  readonly graphOptimization?: "disabled" | "basic" | "extended" | "all";
}

/** A compiled model that maps named feeds to named fetches. */
export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>>;
  release(): Promise<void>;
}

/** An ONNX Runtime flavour that compiles serialized models into sessions. */
export interface Backend {
  readonly name: string;
  createSession(model: Uint8Array, options?: SessionOptions): Promise<Session>;
}

import type { NodeRewrite } from "../graph/index.js";
import type { HostTensor } from "./host-tensor.js";

/** Settings a session is created with; each default is measured (see `defaultSessionOptions`). */
export interface SessionOptions {
  /** Intra-op threads; 0 means one per available core. onnxruntime-web in Node always uses 1. */
  readonly threads?: number;
  /** Whether idle worker threads spin; it never helped on a 2-core VM and cost up to 2x under load. */
  readonly spinning?: boolean;
  readonly graphOptimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * ORT's memory pattern: one block planned for every intermediate of a run. Off by default: on
   * training graphs it raised peak RSS by ~65% (SmallCnn step 496 → 827 MB) at no measurable speed.
   */
  readonly memoryPattern?: boolean;
  /**
   * Run convolutions with computed filters on ORT's blocked NCHWc kernels where the CPU has them
   * (onnxruntime-node only; see `nchwcConvRewrite`). On by default.
   */
  readonly nchwc?: boolean;
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
  /** A rewrite of the graph's nodes onto kernels this backend has, applied before serialization. */
  nodeRewrite?(options?: SessionOptions): Promise<NodeRewrite | undefined>;
}

/**
 * One workload under one set of extra ORT session options, in this process (run each setting in a
 * fresh process for a clean peak RSS): `npx tsx bench/session-probe.ts <workload> '<json options>' [steps]`,
 * e.g. '{"enableCpuMemArena":false}' or '{"threads":1}' (threads/spinning/graphOptimization are
 * ours, the rest go to InferenceSession.create). Prints the median step and the peak RSS.
 */
import type * as OrtNode from "onnxruntime-node";
import { type Backend, type SessionOptions, nodeBackend } from "../src/runtime/index.js";
import { createOrtSession } from "../src/runtime/ort-session.js";
import { type WorkloadName, buildWorkload } from "./workloads.js";

const name = (process.argv[2] ?? "supervised") as WorkloadName;
const { threads, spinning, graphOptimization, ...extra } = JSON.parse(process.argv[3] ?? "{}") as SessionOptions & Record<string, unknown>;
const steps = Number(process.argv[4] ?? 10);
const backend: Backend = {
  name: "onnxruntime-node (probe)",
  async createSession(model, options = {}) {
    const ort = (await import("onnxruntime-node")) as typeof OrtNode;
    return createOrtSession(ort, model, options, extra);
  },
  // the same graph rewrites (NCHWc convs, fused batch-norm statistics) as the node backend
  nodeRewrite: (options) => nodeBackend.nodeRewrite?.(options) ?? Promise.resolve(undefined),
};
const ours: SessionOptions = {
  ...(threads !== undefined ? { threads } : {}),
  ...(spinning !== undefined ? { spinning } : {}),
  ...(graphOptimization !== undefined ? { graphOptimization } : {}),
};
const w = await buildWorkload(name, { backend, ...ours });
for (let i = 0; i < 3; i++) await w.step();
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  const items = await w.step();
  times.push((performance.now() - t0) / items);
}
times.sort((a, b) => a - b);
const median = times[times.length >> 1] as number;
console.log(JSON.stringify({ name, options: process.argv[3] ?? "{}", per_s: Number((1000 / median).toFixed(1)), rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) }));

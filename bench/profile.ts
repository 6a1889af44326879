/**
 * ORT's own profiler on one workload: `npx tsx bench/profile.ts <workload> [runs] [threads] [opt]`.
 * Prints the time per run by op type and the slowest nodes (summed over the profiled runs after
 * two warm-up runs), so one can see what limits a ratio. The profile JSON stays in /tmp.
 */
import { readFileSync, readdirSync } from "node:fs";
import type * as OrtNode from "onnxruntime-node";
import type { Backend, SessionOptions } from "../src/runtime/index.js";
import { nodeBackend } from "../src/runtime/node-backend.js";
import { createOrtSession } from "../src/runtime/ort-session.js";
import { type WorkloadName, buildWorkload } from "./workloads.js";

const name = (process.argv[2] ?? "supervised") as WorkloadName;
const runs = Number(process.argv[3] ?? 5);
const threads = Number(process.argv[4] ?? 0);
const graphOptimization = (process.argv[5] ?? "all") as SessionOptions["graphOptimization"];
const prefix = `/tmp/pretext-profile-${name}-${process.pid}`;

const profilingBackend: Backend = {
  name: "onnxruntime-node (profiling)",
  async createSession(model, options = {}) {
    const ort = (await import("onnxruntime-node")) as typeof OrtNode;
    return createOrtSession(ort, model, options, { enableProfiling: true, profileFilePrefix: prefix });
  },
  nodeRewrite: (options) => nodeBackend.nodeRewrite?.(options) ?? Promise.resolve(undefined),
};

const w = await buildWorkload(name, { backend: profilingBackend, threads, ...(graphOptimization ? { graphOptimization } : {}) });
const wall: number[] = [];
for (let i = 0; i < runs + 2; i++) {
  const t0 = performance.now();
  await w.step();
  wall.push(performance.now() - t0);
}
await w.release();

const file = readdirSync("/tmp").find((f) => f.startsWith(`pretext-profile-${name}-${process.pid}`));
if (!file) throw new Error("no profile written");
interface Event {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; output_size?: string; activation_size?: string; parameter_size?: string };
}
const events = JSON.parse(readFileSync(`/tmp/${file}`, "utf8")) as Event[];
const runEvents = events.filter((e) => e.cat === "Session" && e.name === "model_run");
const nodes = events.filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time"));
// Skip the first two runs' nodes: nodes are in run order, so drop the first 2/(runs+2) of them.
const perRun = nodes.length / (runs + 2);
const timed = nodes.slice(Math.round(2 * perRun));
const byType = new Map<string, { us: number; count: number }>();
const byNode = new Map<string, { us: number; type: string }>();
for (const e of timed) {
  const type = e.args?.op_name ?? "?";
  const t = byType.get(type) ?? { us: 0, count: 0 };
  t.us += e.dur;
  t.count++;
  byType.set(type, t);
  const n = byNode.get(e.name) ?? { us: 0, type };
  n.us += e.dur;
  byNode.set(e.name, n);
}
const total = [...byType.values()].reduce((s, t) => s + t.us, 0) / runs;
console.log(`${name}: ${perRun} nodes per run; wall per step ${wall.slice(2).map((t) => t.toFixed(0)).join(" ")} ms; model_run ${runEvents.slice(2).map((e) => (e.dur / 1000).toFixed(0)).join(" ")} ms; kernels ${(total / 1000).toFixed(1)} ms/run`);
console.log("\nby op type (ms per run, nodes per run):");
for (const [type, t] of [...byType].sort((a, b) => b[1].us - a[1].us).slice(0, 25)) {
  console.log(`  ${type.padEnd(24)} ${(t.us / runs / 1000).toFixed(2).padStart(8)}  ${String(t.count / runs).padStart(5)}`);
}
console.log("\nslowest nodes (ms per run):");
for (const [n, t] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, 25)) {
  console.log(`  ${(t.us / runs / 1000).toFixed(2).padStart(8)}  ${t.type.padEnd(20)} ${n.replace(/_kernel_time$/, "")}`);
}
console.log(`\nprofile: /tmp/${file}`);

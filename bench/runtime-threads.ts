/**
 * Measures onnxruntime-node session settings on a training-like graph, to choose
 * `defaultSessionOptions` (src/runtime/ort-session.ts), and the per-run cost of copying a large
 * output back to JS. Run: `npx tsx bench/runtime-threads.ts [runs]`.
 *
 * The graph: a 784-1024-1024-10 MLP, forward + backward + SGD update, batch 256 (~2.9 GFLOP a step),
 * parameters fed in and updated parameters fetched, as a real train step does.
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { Graph, type Tensor } from "../src/graph/index.js";
import { mlpStep } from "../test/runtime/mlp.js";
import { mul, slice, sub } from "../src/ops/index.js";
import { Rng } from "../src/random/rng.js";
import { Program, type SessionOptions, float32 } from "../src/runtime/index.js";

const runs = Number(process.argv[2] ?? 15);
const warmup = 3;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** One SGD step of an MLP classifier (the tests' MLP), parameters in and updated parameters out. */
function trainStep(sizes: readonly number[], batch: number) {
  const mlp = mlpStep(sizes, batch);
  const outputs: Record<string, Tensor> = { loss: mlp.loss };
  for (const p of mlp.inputs.slice(2)) outputs[`new_${p.name}`] = sub(p, mul(mlp.grads[`d_${p.name}`] as Tensor, 0.01));
  return { graph: mlp.graph, signature: { inputs: mlp.inputs, outputs }, feeds: mlp.feeds(0) };
}

/** Busy fraction of all CPUs, and this process's share, between the call and the returned function's call. */
function machineLoad(): () => { total: number; ours: number } {
  const read = () => {
    const f = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busy: f.reduce((a, b) => a + b, 0) - idle, all: f.reduce((a, b) => a + b, 0) };
  };
  const before = read();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const after = read();
    const { user, system } = process.cpuUsage(cpu0);
    const wallCpuMs = (performance.now() - t0) * cpus().length;
    return { total: (after.busy - before.busy) / Math.max(1, after.all - before.all), ours: (user + system) / 1000 / wallCpuMs };
  };
}

console.log(`${cpus().length} logical CPUs (${cpus()[0]?.model ?? "?"}), node ${process.version}, ${runs} timed runs after ${warmup} warm-up\n`);

// 1. Threads, spinning and graph optimization on the train step.
const step = trainStep([784, 1024, 1024, 10], 256);
const configs: Required<SessionOptions>[] = [];
for (const graphOptimization of ["disabled", "basic", "extended", "all"] as const) {
  for (const threads of [1, 2]) {
    for (const spinning of threads === 1 ? [false] : [true, false]) configs.push({ threads, spinning, graphOptimization, memoryPattern: false, nchwc: true });
  }
}
configs.push({ threads: 0, spinning: true, graphOptimization: "all", memoryPattern: false, nchwc: true }, { threads: 0, spinning: false, graphOptimization: "all", memoryPattern: false, nchwc: true });

// NOTE: the VM is shared (other processes may load both cores), so configurations are interleaved
// run by run in a shuffled order: a slow spell then costs every row alike instead of a few of them.
const programs = await Promise.all(configs.map((c) => Program.compile(step.graph, step.signature, c)));
for (const p of programs) for (let i = 0; i < warmup; i++) await p.run(step.feeds);
const samples = new Map<Required<SessionOptions>, number[]>(configs.map((c) => [c, []]));
const load = machineLoad();
const order = new Rng(7);
for (let r = 0; r < runs; r++) {
  for (const k of order.permutation(configs.length)) {
    const config = configs[k] as Required<SessionOptions>;
    // NOTE: a pause lets the previous session's spinning workers go to sleep, so they do not steal
    // this run's cores (a real step also pauses for data loading between runs).
    await sleep(10);
    const t0 = performance.now();
    await (programs[k] as Program).run(step.feeds);
    samples.get(config)?.push(performance.now() - t0);
  }
}
const { total, ours } = load();
await Promise.all(programs.map((p) => p.release()));
console.log(`During the sweep both cores were ${(100 * total).toFixed(0)}% busy, ${(100 * ours).toFixed(0)}% of it this process.`);
console.log("MLP 784-1024-1024-10 train step (fwd + bwd + SGD), batch 256, onnxruntime-node");
console.log("threads  spinning  optimization  median ms   min ms");
for (const [c, t] of samples) {
  console.log(
    `${String(c.threads || "auto").padEnd(8)} ${String(c.spinning).padEnd(9)} ${c.graphOptimization.padEnd(13)} ${median(t).toFixed(1).padStart(9)} ${Math.min(...t).toFixed(1).padStart(8)}`,
  );
}

// 2. The per-run cost of fetching a 1M-float output: the same computation fetched whole or as one element.
const n = 1 << 20;
const g = new Graph();
const big = g.input("big", [n]);
const doubled = mul(big, 2);
const feeds = { big: float32([n], new Rng(1).normalArray(n)) };
const whole = await Program.compile(g, { inputs: [big], outputs: { y: doubled } }, { threads: 1 });
const one = await Program.compile(g, { inputs: [big], outputs: { y: slice(doubled, [0], [1]) } }, { threads: 1 });
const both = { whole: [] as number[], one: [] as number[], slice: [] as number[] };
for (let i = 0; i < warmup; i++) await Promise.all([whole.run(feeds), one.run(feeds)]);
for (let i = 0; i < runs * 4; i++) {
  let t0 = performance.now();
  await whole.run(feeds);
  both.whole.push(performance.now() - t0);
  t0 = performance.now();
  await one.run(feeds);
  both.one.push(performance.now() - t0);
  t0 = performance.now();
  (feeds.big.data as Float32Array).slice();
  both.slice.push(performance.now() - t0);
}
const [tWhole, tOne, tSlice] = [median(both.whole), median(both.one), median(both.slice)];
console.log(`\n1M-float (4 MiB) output: run fetching all of it ${tWhole.toFixed(2)} ms, fetching one element ${tOne.toFixed(2)} ms`);
console.log(`  → output transfer ≈ ${(tWhole - tOne).toFixed(2)} ms per run; a JS Float32Array.slice() of 1M floats takes ${tSlice.toFixed(2)} ms`);
await whole.release();
await one.release();

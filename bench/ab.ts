/**
 * `npx tsx bench/ab.ts <workload> <treeA> <treeB> [--pairs N] [--warmup N]`
 *
 * A before/after comparison of one workload of bench/workloads.ts between two source trees (say a
 * copy of HEAD made with `git archive HEAD | tar -x -C /tmp/base`, and the working tree), in one
 * process: both steps are compiled, then called in turn, A B A B …, and the ratio of each pair's
 * throughputs is taken, so that a shared machine's drift in speed moves both sides alike. ORT's
 * threads do not spin between runs, so the idle session does not slow the running one. Prints
 * each side's median and the median and quartiles of the pairwise ratio A/B, of throughput by wall
 * time and by the process's CPU time (user + system, ORT's threads included): on an oversubscribed
 * machine a step waits for cores, which stretches its wall time but much less its CPU time.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Workload, WorkloadName } from "./workloads.js";

const argv = process.argv.slice(2);
const positional = argv.filter((a, i) => !a.startsWith("--") && !(argv[i - 1] ?? "").startsWith("--"));
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const [name, treeA, treeB] = positional as [WorkloadName | undefined, string | undefined, string | undefined];
if (name === undefined || treeA === undefined || treeB === undefined) throw new Error("usage: bench/ab.ts <workload> <treeA> <treeB> [--pairs N] [--warmup N]");
const pairs = option("--pairs", 15);
const warmup = option("--warmup", 3);

type WorkloadsModule = typeof import("./workloads.js");
const load = async (tree: string): Promise<Workload> => {
  const mod = (await import(pathToFileURL(resolve(tree, "bench", "workloads.ts")).href)) as WorkloadsModule;
  return mod.buildWorkload(name);
};
const a = await load(treeA);
const b = await load(treeB);
/** Items per second of one call, by wall time and by CPU time. */
const rate = async (w: Workload) => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const items = await w.step();
  const cpu = process.cpuUsage(c0);
  return { wall: items / ((performance.now() - t0) / 1000), cpu: items / ((cpu.user + cpu.system) / 1e6) };
};
for (let i = 0; i < warmup; i++) {
  await rate(a);
  await rate(b);
}
const ra: { wall: number; cpu: number }[] = [];
const rb: { wall: number; cpu: number }[] = [];
for (let i = 0; i < pairs; i++) {
  // Alternate which side goes first, so neither always follows the other's cache state.
  if (i % 2 === 0) {
    ra.push(await rate(a));
    rb.push(await rate(b));
  } else {
    rb.push(await rate(b));
    ra.push(await rate(a));
  }
}
await a.release();
await b.release();
const quantile = (xs: readonly number[], q: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;
const summary = (key: "wall" | "cpu") => {
  const ratios = ra.map((x, i) => x[key] / (rb[i] as { wall: number; cpu: number })[key]);
  return {
    a: quantile(ra.map((x) => x[key]), 0.5),
    b: quantile(rb.map((x) => x[key]), 0.5),
    ratio: quantile(ratios, 0.5),
    q1: quantile(ratios, 0.25),
    q3: quantile(ratios, 0.75),
  };
};
const wall = summary("wall");
const cpu = summary("cpu");
for (const [label, s] of [["wall", wall], ["cpu", cpu]] as const) {
  console.log(`${name} by ${label} time: A ${s.a.toFixed(0)}, B ${s.b.toFixed(0)} per second (medians of ${pairs}); A/B pairwise median ${s.ratio.toFixed(3)}, quartiles ${s.q1.toFixed(3)}–${s.q3.toFixed(3)}`);
}
console.log(JSON.stringify({ bench: name, pairs, wall, cpu }));

/**
 * `npm run bench [-- --json] [--only supervised,lm,mlm,byol-a,scarf,vit,generate,mining] [--steps N] [--warmup N] [--rounds R] [--no-pytorch]
 *   [--mining-items 10000,1000000] [--mining-vectors 100000,1000000]`
 *
 * Training-step throughput of the workloads of bench/workloads.ts, each in its own child
 * process (so its peak RSS is its own), and, when /usr/bin/python3 can import torch, the same
 * workloads in PyTorch (bench/pytorch/reference.py) in the same invocation. Ours: the median
 * time per image (token, clip) of the timed calls after warm-up, steps grouped per call as `fit` groups
 * them (one per call for the CNNs, the LM, the MLM, BYOL-A and ViT steps; 8 for the MLP autoencoder). Then
 * `generate`: greedy generation with a key/value cache, bench/generation.ts --json in a child
 * process (it runs PyTorch's side itself; R rounds are its R turns). Prints a table, or with
 * `mining`: indexing and search at scale, bench/mining-rows.ts. Prints a table, or with
 * --json one object per line:
 * {"bench", "unit", "ours", "pytorch", "ratio", "rss_mb", "pytorch_rss_mb"}.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { miningRows } from "./mining-rows.js";
import { type WorkloadName, buildWorkload, workloadNames } from "./workloads.js";

/** Rows besides the training workloads, each from its own script. */
type ExtraName = "generate" | "mining";
const extraNames: readonly ExtraName[] = ["generate", "mining"];
type BenchName = WorkloadName | ExtraName;
const isWorkload = (n: BenchName): n is WorkloadName => (workloadNames as readonly string[]).includes(n);

interface Args {
  json: boolean;
  only: BenchName[];
  steps: number;
  warmup: number;
  pytorch: boolean;
  rounds: number;
  child: WorkloadName | null;
  miningItems: number[];
  miningVectors: number[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, only: [...workloadNames, ...extraNames], steps: 20, warmup: 5, pytorch: true, rounds: 1, child: null, miningItems: [10_000, 1_000_000], miningVectors: [100_000, 1_000_000] };
  const known: readonly BenchName[] = [...workloadNames, ...extraNames];
  const names = (s: string): BenchName[] => {
    const list = s.split(",").filter((n) => n !== "");
    return list.map((n) => {
      const found = known.find((k) => k === n);
      if (found === undefined) throw new Error(`unknown bench "${n}"; known: ${known.join(", ")}`);
      return found;
    });
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--json") args.json = true;
    else if (a === "--only") args.only = names(value());
    else if (a === "--steps") args.steps = Math.max(1, Number(value()));
    else if (a === "--warmup") args.warmup = Math.max(0, Number(value()));
    else if (a === "--rounds") args.rounds = Math.max(1, Number(value()));
    else if (a === "--no-pytorch") args.pytorch = false;
    else if (a === "--mining-items") args.miningItems = value().split(",").filter((v) => v !== "").map(Number);
    else if (a === "--mining-vectors") args.miningVectors = value().split(",").filter((v) => v !== "").map(Number);
    else if (a === "--child") args.child = names(value()).find(isWorkload) ?? null;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

interface Measured {
  value: number;
  ms_per_item: number;
  rss_mb: number;
}

/** In the child: compile, warm up, time `steps` calls (each one or more training steps), print one JSON line. */
async function child(name: WorkloadName, steps: number, warmup: number): Promise<void> {
  const w = await buildWorkload(name);
  for (let i = 0; i < warmup; i++) await w.step();
  // Milliseconds per image or token of each timed call.
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const items = await w.step();
    times.push((performance.now() - t0) / items);
  }
  await w.release();
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1] as number;
  const out: Measured = { value: 1000 / median, ms_per_item: median, rss_mb: process.resourceUsage().maxRSS / 1024 };
  console.log(JSON.stringify(out));
}

const here = dirname(fileURLToPath(import.meta.url));

function runOurs(name: WorkloadName, args: Args): Measured | null {
  const p = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child", name, "--steps", String(args.steps), "--warmup", String(args.warmup)], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (p.status !== 0) {
    process.stderr.write(`ours/${name} failed:\n${p.stderr}`);
    return null;
  }
  return JSON.parse((p.stdout.trim().split("\n").pop() ?? "").trim()) as Measured;
}

function hasTorch(): boolean {
  const p = spawnSync("/usr/bin/python3", ["-c", "import torch"], { encoding: "utf8" });
  return p.status === 0;
}

function runPytorch(names: readonly WorkloadName[], args: Args): Map<string, { value: number; rss_mb: number; setting: string }> {
  const out = new Map<string, { value: number; rss_mb: number; setting: string }>();
  const p = spawnSync("/usr/bin/python3", [join(here, "pytorch", "reference.py"), "--only", names.join(","), "--steps", String(args.steps), "--warmup", String(args.warmup)], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (p.status !== 0) process.stderr.write(`pytorch reference failed:\n${p.stderr}`);
  for (const line of (p.stdout ?? "").split("\n")) {
    if (!line.trim().startsWith("{")) continue;
    const r = JSON.parse(line) as { bench: string; value: number; rss_mb: number; setting: string };
    out.set(r.bench, r);
  }
  return out;
}

/** The entry with the median value (RSS: the largest of the runs). */
function medianBy<T extends { value: number; rss_mb: number }>(xs: readonly T[]): T | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a.value - b.value);
  return { ...(sorted[sorted.length >> 1] as T), rss_mb: Math.max(...xs.map((x) => x.rss_mb)) };
}

const units: Record<WorkloadName, string> = { supervised: "images/s", simclr: "images/s", ae: "images/s", lm: "tokens/s", infer: "images/s", mlm: "tokens/s", "byol-a": "clips/s", scarf: "rows/s", vit: "images/s" };

/** One line of the bench table (and of `--json`). */
export interface Row {
  bench: string;
  unit: string;
  ours: number | null;
  pytorch: number | null;
  ratio: number | null;
  rss_mb: number | null;
  pytorch_rss_mb: number | null;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) return child(args.child, args.steps, args.warmup);
  const workloads = args.only.filter(isWorkload);

  // Ours and PyTorch's run back to back per workload (and per round), so both see the same load
  // on a shared machine; with --rounds R each side's figure is the median of R child runs.
  const withTorch = args.pytorch && hasTorch();
  const ours = new Map<WorkloadName, Measured | null>();
  const torch = new Map<string, { value: number; rss_mb: number; setting: string }>();
  for (const name of workloads) {
    const mine: Measured[] = [];
    const theirs: { value: number; rss_mb: number; setting: string }[] = [];
    for (let r = 0; r < args.rounds; r++) {
      const m = runOurs(name, args);
      if (m) mine.push(m);
      const t = withTorch ? runPytorch([name], args).get(name) : undefined;
      if (t) theirs.push(t);
      if (!args.json) {
        process.stderr.write(`${name} round ${r + 1}: ours ${m?.value.toFixed(1) ?? "failed"}${t ? `, pytorch ${t.value.toFixed(1)}` : ""}\n`);
      }
    }
    ours.set(name, medianBy(mine));
    const t = medianBy(theirs);
    if (t) torch.set(name, t);
  }

  const round = (x: number | null, digits: number) => (x === null ? null : Number(x.toFixed(digits)));
  const rows: Row[] = workloads.map((name) => {
    const o = ours.get(name) ?? null;
    const t = torch.get(name) ?? null;
    return {
      bench: name,
      unit: units[name],
      ours: round(o?.value ?? null, 1),
      pytorch: round(t?.value ?? null, 1),
      ratio: o && t ? round(o.value / t.value, 3) : null,
      rss_mb: round(o?.rss_mb ?? null, 0),
      pytorch_rss_mb: round(t?.rss_mb ?? null, 0),
    };
  });
  const generation = args.only.includes("generate") ? runGeneration(args) : null;
  if (generation) rows.push(generation.row);
  const mining = args.only.includes("mining") ? miningRows({ items: args.miningItems, vectors: args.miningVectors, pytorch: args.pytorch && hasTorch() }) : null;
  if (mining) rows.push(...mining.rows);
  // Issue 4's data budget: two SimCLR views of the batch must take < 25% of the SimCLR step.
  const augment = args.only.includes("simclr") ? runAugment() : null;
  // The SimCLR workload's step is a batch of 256 images (two views each).
  const simclrPerItem = ours.get("simclr")?.ms_per_item;
  const simclrMs = simclrPerItem === undefined ? null : simclrPerItem * 256;
  const augmentRow =
    augment === null
      ? null
      : { bench: "augment_simclr_2views", unit: "ms", ours: augment, pytorch: null, ratio: null, share_of_simclr_step: simclrMs ? round(augment / simclrMs, 3) : null };
  if (args.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    if (augmentRow) console.log(JSON.stringify(augmentRow));
    return;
  }
  const header = ["bench", "unit", "ours", "pytorch", "ratio", "rss MB", "pytorch rss MB"];
  const cells = rows.map((r) => [r.bench, r.unit, String(r.ours ?? "-"), String(r.pytorch ?? "-"), String(r.ratio ?? "-"), String(r.rss_mb ?? "-"), String(r.pytorch_rss_mb ?? "-")]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) => c.map((s, i) => (i < 2 ? s.padEnd(widths[i] as number) : s.padStart(widths[i] as number))).join("  ");
  console.log(line(header));
  for (const c of cells) console.log(line(c));
  const settings = [...torch.values()].map((t) => t.setting);
  if (settings.length > 0) console.log(`\nPyTorch: ${[...new Set(settings)].join("; ")}`);
  console.log(
    `ours: median over ${args.steps} calls after ${args.warmup} warm-up, steps grouped per call as fit groups them; PyTorch: median step of ${args.steps} after ${args.warmup}; median of ${args.rounds} round(s), back to back`,
  );
  if (generation) console.log(`generate: ${generation.note}`);
  for (const note of mining?.notes ?? []) console.log(`mining: ${note}`);
  if (augmentRow) {
    console.log(`two SimCLR views of 256 MNIST digits: ${augmentRow.ours} ms = ${((augmentRow.share_of_simclr_step ?? Number.NaN) * 100).toFixed(1)}% of the SimCLR step (budget 25%)`);
  }
}

/**
 * Runs bench/generation.ts --json in a child process (its PyTorch side too, unless --no-pytorch;
 * the bench's R rounds are its R turns); the row, and a line on what was measured.
 */
function runGeneration(args: Args): { row: Row; note: string } | null {
  const flags = ["--json", "--repeats", String(args.rounds), ...(args.pytorch ? [] : ["--no-pytorch"])];
  const p = spawnSync(process.execPath, [...process.execArgv, join(here, "generation.ts"), ...flags], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (p.status !== 0) {
    process.stderr.write(`generation bench failed:\n${p.stderr}`);
    return null;
  }
  const r = JSON.parse((p.stdout.trim().split("\n").pop() ?? "").trim()) as {
    bench: string;
    unit: string;
    ours: number;
    pytorch: number | null;
    ratio: number | null;
    decode_ms: number;
    prefill_ms: number;
    pytorch_setting: string | null;
  };
  return {
    row: { bench: r.bench, unit: r.unit, ours: r.ours, pytorch: r.pytorch, ratio: r.ratio, rss_mb: null, pytorch_rss_mb: null },
    note: `greedy, batch 1, 256 tokens after a 16-token prompt; ours ${r.decode_ms} ms per single-token call, ${r.prefill_ms} ms per prefill; PyTorch ${r.pytorch_setting ?? "-"}`,
  };
}

/** Runs bench/augment.ts in a child process; its median ms for two views, or null on failure. */
function runAugment(): number | null {
  const p = spawnSync(process.execPath, [...process.execArgv, join(here, "augment.ts")], { encoding: "utf8" });
  if (p.status !== 0) {
    process.stderr.write(`augment bench failed:\n${p.stderr}`);
    return null;
  }
  return (JSON.parse((p.stdout.trim().split("\n").pop() ?? "").trim()) as { ours: number }).ours;
}

await main();

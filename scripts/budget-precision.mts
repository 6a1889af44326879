// Does `--time-budget` mean what it says on a loaded machine? Runs `pretext pretrain` once per
// seed with the CLI's defaults and only a time budget, and for part of each run starts a second
// process that keeps one core busy (the "loaded machine" of issue 17: here from 30% to 70% of the
// budget), then reads the run's metrics.jsonl: when its last training step ended against the
// budget, how many steps it took, and how often the plan was remade. With --eval, each run's
// encoder then gets `pretext eval --labels-per-class 10` (MNIST: the PyTorch anchor's five draws).
// One JSON line per run on stdout, a summary on stderr.
//
//   npx tsx scripts/budget-precision.mts --method simclr --data mnist --budget 300 --seeds 0,1,2 [--eval] [--no-load] [--out .scratch/budget]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    method: { type: "string", default: "simclr" },
    data: { type: "string", default: "mnist" },
    budget: { type: "string", default: "300" },
    seeds: { type: "string", default: "0,1,2" },
    eval: { type: "boolean", default: false },
    "no-load": { type: "boolean", default: false },
    out: { type: "string", default: ".scratch/budget" },
  },
});
const budget = Number(args.budget);
const seeds = (args.seeds as string).split(",").map(Number);
const root = args.out as string;
mkdirSync(root, { recursive: true });

interface StepLine { readonly type: "step"; readonly step: number; readonly elapsed_s: number }
interface PlanLine { readonly type: "plan"; readonly total_steps: number }

function run(argv: readonly string[], log: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["tsx", "src/cli.ts", ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", () => {});
    child.on("error", reject);
    child.on("close", (code) => {
      lastStdout = out;
      if (code !== 0) reject(new Error(`${argv.join(" ")} exited ${code} (${log})`));
      else resolve(0);
    });
  });
}
let lastStdout = "";

/** A process that keeps one core busy until killed. */
function burnOneCore(): ChildProcess {
  return spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
}

for (const seed of seeds) {
  const dir = join(root, `${args.method}-${args.data}-${budget}s-seed${seed}`);
  const started = performance.now();
  const timers: NodeJS.Timeout[] = [];
  let burner: ChildProcess | null = null;
  if (!args["no-load"]) {
    timers.push(setTimeout(() => (burner = burnOneCore()), 0.3 * budget * 1000));
    timers.push(setTimeout(() => burner?.kill(), 0.7 * budget * 1000));
  }
  await run(["pretrain", "--method", args.method as string, "--data", args.data as string, "--time-budget", `${budget}s`, "--seed", String(seed), "--out", dir, "--quiet"], dir);
  const wallSeconds = (performance.now() - started) / 1000;
  for (const t of timers) clearTimeout(t);
  (burner as ChildProcess | null)?.kill();
  const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string });
  const steps = lines.filter((l): l is StepLine => l.type === "step");
  const plans = lines.filter((l): l is PlanLine => l.type === "plan");
  const last = steps.at(-1);
  if (last === undefined) throw new Error(`${dir}/metrics.jsonl has no steps`);
  const result: Record<string, unknown> = {
    method: args.method, data: args.data, seed, budget_s: budget, loaded: !args["no-load"],
    trained_s: last.elapsed_s, off_by_percent: (100 * (last.elapsed_s - budget)) / budget,
    steps: last.step, plans: plans.length, wall_s: wallSeconds,
  };
  if (args.eval) {
    const draws = args.data === "mnist" ? ["--label-draws", "anchor"] : ["--draws", "5"];
    await run(["eval", dir, "--labels-per-class", "10", ...draws, "--probes", "linear", "--baselines", "none", "--json"], dir);
    const evalLines = lastStdout.trim().split("\n").map((l) => JSON.parse(l) as { labels_per_class?: number | null; accuracy?: number; sd?: number });
    const ten = evalLines.find((l) => l.labels_per_class === 10);
    result.linear10 = ten?.accuracy ?? null;
    result.linear10_sd = ten?.sd ?? null;
  }
  console.log(JSON.stringify(result));
  console.error(`seed ${seed}: trained ${last.elapsed_s.toFixed(1)} s of ${budget} s (${(result.off_by_percent as number).toFixed(2)}%), ${last.step} steps, ${plans.length} plans${result.linear10 === undefined ? "" : `, 10/class ${(100 * (result.linear10 as number)).toFixed(1)}%`}`);
}

/**
 * `npx tsx bench/charlm.ts [--budget 300] [--context N] [--batch-size N] [--lr X] [--warmup-fraction X]
 *   [--final-lr-fraction X] [--weight-decay X] [--beta2 X] [--torch-context N] [--torch-batch N]
 *   [--torch-lr X] [--torch-embedding-std X] [--torch-init gpt2|pytorch] [--threads 2] [--no-validation] [--no-pytorch] [--keep] [--json]`
 *
 * The character-LM head-to-head on Moby Dick, one side after the other under the same budget:
 * PyTorch's nanoGPT-style char LM (bench/pytorch/charlm.py: context 64, batch 12, the anchor's
 * best recipe, with embeddings initialized N(0, 0.02²) as pretext's text transformers) and then
 * what a user runs, through the CLI in child processes:
 * `pretext pretrain --method clm --data moby-dick --tokenizer char --time-budget <budget>` (the
 * clm recipe: the same d 128, 4 layers, 4 heads, context 64, batch 12, AdamW 1e-3, warmup 5% then
 * cosine to 10%) and `pretext eval <run> --probes perplexity --json`. Prints each side's held-out
 * nats per character (the char tokenizer's token is one character), steps, training tokens per
 * second (B·T per step over the training time) and whole-process wall time.
 *
 * Our recipe can be overridden: `--context`, `--batch-size` as flags, and the clm method options
 * through a temporary `--config` YAML's `method` section (`--lr` → learningRate, …). With
 * `--no-validation` the run skips its held-out validation points and effective-rank points
 * (training only, as PyTorch's script), which a user's run spends part of its budget on.
 * The two sides run in turn, not at once: on a shared machine compare only figures of one
 * invocation, and make the final measurement on a quiet one.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface Args {
  budget: number;
  context: number | null;
  batchSize: number | null;
  method: Partial<Record<MethodKey, number>>;
  torchContext: number;
  torchBatch: number;
  torchLr: number;
  torchEmbeddingStd: number;
  torchInit: string;
  threads: number;
  validation: boolean;
  pytorch: boolean;
  keep: boolean;
  json: boolean;
}

type MethodKey = "learningRate" | "warmupFraction" | "finalLrFraction" | "weightDecay" | "beta2";
const methodFlags: Readonly<Record<string, MethodKey>> = {
  "--lr": "learningRate",
  "--warmup-fraction": "warmupFraction",
  "--final-lr-fraction": "finalLrFraction",
  "--weight-decay": "weightDecay",
  "--beta2": "beta2",
};

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { budget: 300, context: null, batchSize: null, method: {}, torchContext: 64, torchBatch: 12, torchLr: 1e-3, torchEmbeddingStd: 0.02, torchInit: "gpt2", threads: 2, validation: true, pytorch: true, keep: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    const int = () => {
      const v = value();
      if (!Number.isInteger(v)) throw new Error(`${a} needs an integer`);
      return v;
    };
    const methodKey = methodFlags[a];
    if (methodKey !== undefined) args.method[methodKey] = value();
    else if (a === "--budget") args.budget = value();
    else if (a === "--context") args.context = int();
    else if (a === "--batch-size") args.batchSize = int();
    else if (a === "--torch-context") args.torchContext = int();
    else if (a === "--torch-batch") args.torchBatch = int();
    else if (a === "--torch-lr") args.torchLr = value();
    else if (a === "--torch-embedding-std") args.torchEmbeddingStd = value();
    else if (a === "--torch-init") args.torchInit = String(argv[++i]);
    else if (a === "--threads") args.threads = int();
    else if (a === "--no-validation") args.validation = false;
    else if (a === "--no-pytorch") args.pytorch = false;
    else if (a === "--keep") args.keep = true;
    else if (a === "--json") args.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** One side's result. */
interface Side {
  side: "pytorch" | "pretext";
  steps: number;
  train_s: number;
  wall_s: number;
  tokens_per_s: number;
  val_nats_per_char: number;
  bits_per_char: number;
  context: number;
  batch: number;
  recipe: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

/** Runs a command to its end; its stdout, or a thrown error with its stderr's tail. */
function run(command: string, argv: readonly string[], what: string): string {
  const p = spawnSync(command, argv, { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
  if (p.status !== 0) throw new Error(`${what} failed (exit ${p.status ?? p.signal}):\n${(p.stderr ?? "").split("\n").slice(-20).join("\n")}`);
  return p.stdout;
}

const jsonLines = (out: string) => out.split("\n").filter((l) => l.trim().startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
const num = (r: Record<string, unknown> | undefined, key: string, what: string): number => {
  const v = r?.[key];
  if (typeof v !== "number") throw new Error(`${what}: no number "${key}" in its output`);
  return v;
};

function pytorchSide(args: Args): Side {
  const flags = ["--budget", String(args.budget), "--context", String(args.torchContext), "--batch", String(args.torchBatch), "--lr", String(args.torchLr)];
  flags.push("--embedding-std", String(args.torchEmbeddingStd), "--init", args.torchInit, "--threads", String(args.threads), "--json");
  const t0 = performance.now();
  const r = jsonLines(run("/usr/bin/python3", [join(here, "pytorch", "charlm.py"), ...flags], "bench/pytorch/charlm.py")).pop();
  const what = "charlm.py";
  return {
    side: "pytorch",
    steps: num(r, "steps", what),
    train_s: num(r, "train_s", what),
    wall_s: (performance.now() - t0) / 1000,
    tokens_per_s: num(r, "tokens_per_s", what),
    val_nats_per_char: num(r, "val_nats_per_char", what),
    bits_per_char: num(r, "bits_per_char", what),
    context: args.torchContext,
    batch: args.torchBatch,
    recipe: `AdamW lr ${args.torchLr}, warmup 0.05, final 0.1, decay 0.1, beta2 0.99, embeddings N(0, ${args.torchEmbeddingStd}²), ${args.torchInit} init, ${args.threads} thread(s), PyTorch ${String(r?.torch)}`,
  };
}

/** The temporary config: the method options given, and for --no-validation the pretrain extras off. */
function configYaml(args: Args): string | null {
  const method = Object.entries(args.method);
  if (method.length === 0 && args.validation) return null;
  const lines: string[] = [];
  if (!args.validation) lines.push("pretrain:", "  validationPoints: 0", "  effectiveRankPoints: 0");
  if (method.length > 0) lines.push("method:", ...method.map(([k, v]) => `  ${k}: ${v}`));
  return `${lines.join("\n")}\n`;
}

function pretextSide(args: Args, dir: string): Side {
  const cli = [...process.execArgv, join(root, "src", "cli.ts")];
  const runDir = join(dir, "run");
  const flags = ["pretrain", "--method", "clm", "--data", "moby-dick", "--tokenizer", "char", "--time-budget", `${args.budget}s`, "--out", runDir, "--json"];
  if (args.context !== null) flags.push("--context", String(args.context));
  if (args.batchSize !== null) flags.push("--batch-size", String(args.batchSize));
  const yaml = configYaml(args);
  if (yaml !== null) {
    const file = join(dir, "config.yaml");
    writeFileSync(file, yaml);
    flags.push("--config", file);
  }
  const t0 = performance.now();
  const lines = jsonLines(run(process.execPath, [...cli, ...flags], "pretext pretrain"));
  const trainWall = (performance.now() - t0) / 1000;
  const done = lines.find((l) => l.type === "done");
  const steps = num(done, "steps", "pretext pretrain");
  const trainS = num(done, "elapsed_s", "pretext pretrain");
  const t1 = performance.now();
  const evalLine = jsonLines(run(process.execPath, [...cli, "eval", runDir, "--probes", "perplexity", "--json"], "pretext eval")).find((l) => l.probe === "perplexity");
  const evalWall = (performance.now() - t1) / 1000;
  const nats = num(evalLine, "nats_per_token", "pretext eval");
  const config = JSON.parse(readFileSync(join(runDir, "config.json"), "utf8")) as Record<string, unknown>;
  const pretrain = config.pretrain as Record<string, unknown> | undefined;
  const method = config.method as Record<string, unknown> | undefined;
  const context = num(pretrain, "context", "config.json");
  const batch = num(pretrain, "batchSize", "config.json");
  return {
    side: "pretext",
    steps,
    train_s: trainS,
    wall_s: trainWall + evalWall,
    tokens_per_s: Math.round((steps * batch * context) / trainS),
    val_nats_per_char: nats,
    bits_per_char: nats / Math.LN2,
    context,
    batch,
    recipe: `AdamW lr ${String(method?.learningRate)}, warmup ${String(method?.warmupFraction)}, final ${String(method?.finalLrFraction)}, decay ${String(method?.weightDecay)}, beta2 ${String(method?.beta2)}${args.validation ? `, ${String(pretrain?.validationPoints)} validation points` : ", no validation"}; pretrain ${trainWall.toFixed(1)} s + eval ${evalWall.toFixed(1)} s`,
  };
}

const args = parseArgs(process.argv.slice(2));
const dir = mkdtempSync(join(tmpdir(), "pretext-charlm-"));
const sides: Side[] = [];
try {
  if (args.pytorch) sides.push(pytorchSide(args));
  sides.push(pretextSide(args, dir));
} finally {
  if (args.keep) process.stderr.write(`run folder kept: ${join(dir, "run")}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
const round = (x: number, d: number) => Number(x.toFixed(d));
if (args.json) {
  for (const s of sides) console.log(JSON.stringify({ bench: "charlm_moby", budget_s: args.budget, ...s, train_s: round(s.train_s, 1), wall_s: round(s.wall_s, 1), val_nats_per_char: round(s.val_nats_per_char, 4), bits_per_char: round(s.bits_per_char, 4) }));
} else {
  console.log(`character LM on Moby Dick, ${args.budget} s of training each, one after the other; held-out: the last 10% of the book`);
  const header = ["side", "nats/char", "bits/char", "steps", "tokens/s", "train s", "wall s", "context x batch"];
  const cells = sides.map((s) => [s.side, s.val_nats_per_char.toFixed(4), s.bits_per_char.toFixed(3), String(s.steps), String(s.tokens_per_s), s.train_s.toFixed(1), s.wall_s.toFixed(1), `${s.context} x ${s.batch}`]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]) => c.map((s, i) => (i === 0 ? s.padEnd(widths[i] as number) : s.padStart(widths[i] as number))).join("  ");
  console.log(line(header));
  for (const c of cells) console.log(line(c));
  for (const s of sides) console.log(`${s.side}: ${s.recipe}`);
  const [t, o] = [sides.find((s) => s.side === "pytorch"), sides.find((s) => s.side === "pretext")];
  if (t && o) console.log(`pretext - pytorch: ${(o.val_nats_per_char - t.val_nats_per_char).toFixed(4)} nats/char; tokens/s ratio ${(o.tokens_per_s / t.tokens_per_s).toFixed(2)}`);
}

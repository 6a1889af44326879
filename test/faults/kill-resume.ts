import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../../src/random/rng.js";
import { exited, spawnCli } from "../cli/run-cli.js";

/** A small run whose checkpoint is written after every step, so kills land inside writes too: 128 digits in batches of 32, 2 epochs (8 steps). */
export const KILL_RUN = ["--method", "simclr", "--data", "mnist", "--limit", "128", "--batch-size", "32", "--epochs", "2", "--seed", "5", "--checkpoint-every", "1", "--quiet"];

/** The files that hold a finished run's trained parameters: bit for bit what an uninterrupted run writes. */
export const PARAMETER_FILES = ["encoder.safetensors", "heads.safetensors"] as const;

/** An attempt still running after this many times an uninterrupted run's time has hung (start-up alone is half a run). */
const HANG_RUNS = 10;

/** What one killed attempt left behind. */
export interface Kill {
  /** Milliseconds after the start of the process when SIGKILL was sent. */
  readonly atMs: number;
  /** The newest complete checkpoint's step afterwards (null: none yet). */
  readonly checkpointStep: number | null;
  /** A checkpoint write was under way: a temporary file was left in checkpoints/. */
  readonly insideWrite: boolean;
}

export interface KillResumeResult {
  readonly kills: readonly Kill[];
  /** Attempts that ran to the end before their kill moment came. */
  readonly finishedEarly: number;
  /** The stderr of the run that finished, for a failure message. */
  readonly stderr: string;
}

/**
 * Runs `pretrain KILL_RUN --out dir`, SIGKILLs it `kills` times at seeded moments (spread over
 * `spanMs`, or inside a checkpoint write), continuing each time as a user would (`--resume dir`
 * once config.json exists, the first command again before that), then lets the last attempt
 * finish. Throws when an attempt fails instead of being killed or finishing, or hangs (runs 10
 * times as long as `spanMs`).
 */
export async function killAndResume(dir: string, options: { kills: number; seed: number; spanMs: number; args?: readonly string[] }): Promise<KillResumeResult> {
  const rng = new Rng(options.seed);
  const args = options.args ?? KILL_RUN;
  const kills: Kill[] = [];
  let finishedEarly = 0;
  for (let attempt = 0; ; attempt++) {
    const argv = existsSync(join(dir, "config.json")) ? ["pretrain", "--resume", dir, "--quiet"] : ["pretrain", ...args, "--out", dir];
    const started = Date.now();
    // Temporary files a kill inside a write left: the next save removes them, a new one is a write under way.
    const leftover = new Set(tempFiles(dir));
    const writing = () => tempFiles(dir).some((f) => !leftover.has(f));
    const child = spawnCli(argv);
    // Half the kills land at a moment anywhere in the run (start-up, training, export), half the
    // moment a checkpoint's temporary file appears: inside a write.
    const killing = attempt < options.kills;
    const inWrite = killing && rng.uniform() < 0.5;
    const killAt = killing && !inWrite ? Math.floor(rng.uniform() * options.spanMs) : null;
    let killedAt = -1;
    const kill = () => {
      killedAt = Date.now() - started;
      child.kill("SIGKILL");
    };
    const timer = killAt === null ? undefined : setTimeout(kill, killAt);
    // An attempt that outlasts many uninterrupted runs has hung: stopped, and reported as such.
    let hung = false;
    const limit = setTimeout(() => {
      hung = true;
      child.kill("SIGKILL");
    }, HANG_RUNS * options.spanMs);
    const watch = inWrite ? setInterval(() => killedAt < 0 && writing() && kill(), 1) : undefined;
    const { code, signal } = await exited(child);
    clearTimeout(timer);
    clearTimeout(limit);
    clearInterval(watch);
    if (hung) throw new Error(`attempt ${attempt} (${argv.join(" ")}) hung: still running after ${HANG_RUNS} times an uninterrupted run's time`);
    if (signal === "SIGKILL" && killedAt >= 0) {
      kills.push({ atMs: killedAt, checkpointStep: latestStep(dir), insideWrite: writing() });
      continue;
    }
    if (code !== 0) throw new Error(`attempt ${attempt} (${argv.join(" ")}) exited ${code ?? signal}: ${child.output.stderr.trim()}`);
    if (killing) finishedEarly++;
    if (attempt >= options.kills) return { kills, finishedEarly, stderr: child.output.stderr };
  }
}

/** Byte-equal parameter files, or the first that differs. */
export function sameParameters(a: string, b: string): string | null {
  for (const f of PARAMETER_FILES) {
    const [x, y] = [join(a, f), join(b, f)];
    if (!existsSync(x) || !existsSync(y)) return `${f} is missing`;
    if (!readFileSync(x).equals(readFileSync(y))) return `${f} differs`;
  }
  return null;
}

function latestStep(dir: string): number | null {
  const latest = join(dir, "checkpoints", "latest.json");
  if (!existsSync(latest)) return null;
  try {
    return (JSON.parse(readFileSync(latest, "utf8")) as { step: number }).step;
  } catch {
    return null;
  }
}

function tempFiles(dir: string): string[] {
  const checkpoints = join(dir, "checkpoints");
  return existsSync(checkpoints) ? readdirSync(checkpoints).filter((f) => f.endsWith(".tmp")) : [];
}

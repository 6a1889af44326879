import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { FolderInUseError, FolderLock } from "../io/folder-lock.js";
import { writeFileAtomicSync } from "../io/write-atomic.js";
import type { ConfigValue, RunConfig } from "./config.js";
import { CliError, ExitCode, errorMessage } from "./errors.js";

/**
 * A run folder, `runs/<date>-<method>-<data>/`:
 * - `config.json`: the resolved configuration (every default filled in);
 * - `metrics.jsonl`: one JSON object per line, `{"type":"step",...}` per logged step and
 *   `{"type":"eval",...}` per evaluation result;
 * - `checkpoints/`: resumable training state; `encoder.safetensors`: the trained encoder's weights
 *   by dotted path; `encoder.onnx`: the exported encoder;
 * - `embeddings.safetensors` (test-set `embeddings` [N, D], `labels` [N], `images` [N, C, H, W]),
 *   `views.png` (the augmentation grid) and `report.html`.
 */
export class RunFolder {
  readonly dir: string;
  readonly #lock: FolderLock;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.#lock = new FolderLock(this.dir, "run.lock");
  }

  get configPath(): string {
    return join(this.dir, "config.json");
  }
  get metricsPath(): string {
    return join(this.dir, "metrics.jsonl");
  }
  get checkpointDir(): string {
    return join(this.dir, "checkpoints");
  }
  get encoderWeightsPath(): string {
    return join(this.dir, "encoder.safetensors");
  }
  get encoderOnnxPath(): string {
    return join(this.dir, "encoder.onnx");
  }
  get embeddingsPath(): string {
    return join(this.dir, "embeddings.safetensors");
  }
  get viewsPath(): string {
    return join(this.dir, "views.png");
  }
  /** A text run's tokenizer, as Hugging Face tokenizer.json. */
  get tokenizerPath(): string {
    return join(this.dir, "tokenizer.json");
  }
  /** An audio run's features and the training clips' normalization statistics (the test clips and the exported encoder use them). */
  get audioPath(): string {
    return join(this.dir, "audio.json");
  }
  /** A text corpus's token streams (`train.u16`, `test.u16`), tokenized once. */
  get tokensDir(): string {
    return join(this.dir, "tokens");
  }
  /** The method's other trained modules (projectors, predictors, a language model's head) by dotted path. */
  get headsPath(): string {
    return join(this.dir, "heads.safetensors");
  }
  /** The weights with the best validation loss seen during training (`encoder.safetensors`, `heads.safetensors`). */
  get bestDir(): string {
    return join(this.dir, "best");
  }
  get reportPath(): string {
    return join(this.dir, "report.html");
  }
  /** Held by the process that writes the run (pretrain): `{pid, host, command, started}`. */
  get lockPath(): string {
    return this.#lock.path;
  }

  /** Opens an existing run folder (for eval, embed, export, report, resume). */
  static open(dir: string): RunFolder {
    const run = new RunFolder(dir);
    if (!existsSync(run.dir)) throw new CliError(`${dir}: no such run folder; give the --out folder of a \`pretext pretrain\` run`);
    if (!existsSync(run.configPath)) throw new CliError(`${dir}: no config.json, so not a run folder written by \`pretext pretrain\``);
    return run;
  }

  /** Refuses a folder that already holds a run: a new run there would overwrite its config, tokens and checkpoints. */
  refuseExisting(): void {
    if (existsSync(this.configPath)) throw new CliError(`${this.dir}: already holds a run (config.json); continue it with \`pretext pretrain --resume ${this.dir}\`, or give another --out`);
  }

  /**
   * Creates the folder (and checkpoints/), takes its lock and writes config.json; the folder must
   * not hold a run yet. Returns the lock's warning, as `lock` does.
   */
  create(config: RunConfig, command: string): string | null {
    this.refuseExisting();
    mkdirSync(this.checkpointDir, { recursive: true });
    const warning = this.lock(command);
    this.refuseExisting();
    this.writeConfig(config);
    return warning;
  }

  /** Through a temporary file and a rename: a kill mid-write leaves the old config.json or the new, never half of one. */
  writeConfig(config: RunConfig): void {
    writeFileAtomicSync(this.configPath, `${JSON.stringify(config, null, 2)}\n`);
  }

  /**
   * Takes `run.lock` for this process, or refuses (exit 1) when another live process holds it; a
   * stale lock is taken over with a warning (`FolderLock`).
   */
  lock(command: string): string | null {
    try {
      return this.#lock.acquire(command);
    } catch (e) {
      if (e instanceof FolderInUseError) throw new CliError(e.message, ExitCode.failure);
      throw e;
    }
  }

  /** Releases the lock this process took (if it still holds it). */
  unlock(): void {
    this.#lock.release();
  }

  /** The saved config.json, unchecked (the caller validates the sections it uses). */
  readConfig(): { [key: string]: ConfigValue } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.configPath, "utf8"));
    } catch (e) {
      throw new CliError(`${this.configPath}: unreadable (${errorMessage(e)}); the run folder is damaged`, 1);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CliError(`${this.configPath}: expected a JSON object`, 1);
    return parsed as { [key: string]: ConfigValue };
  }

  /** Appends JSON lines to metrics.jsonl; each is written whole so a kill leaves at most one torn line. */
  appendMetrics(records: readonly object[]): void {
    if (records.length === 0) return;
    appendFileSync(this.metricsPath, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
  }

  /**
   * Before resuming from a checkpoint of `completedSteps` steps: drops the step, validation,
   * sample and skipped-batch lines logged after it (a killed run logged them, the resumed run logs them again), the
   * evaluation lines (they described an encoder that is about to change) and a torn last line.
   */
  truncateMetricsTo(completedSteps: number): void {
    if (!existsSync(this.metricsPath)) return;
    const kept: string[] = [];
    for (const line of readFileSync(this.metricsPath, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof record !== "object" || record === null) continue;
      const r = record as { type?: unknown; step?: unknown };
      const during = r.type === "step" || r.type === "validation" || r.type === "sample" || r.type === "skipped";
      if (during && typeof r.step === "number" && r.step < completedSteps) kept.push(line);
    }
    writeFileSync(this.metricsPath, kept.map((l) => `${l}\n`).join(""));
  }

  /** Removes the evaluation lines (a new `eval` replaces the previous one's results). */
  dropEvalMetrics(): void {
    if (!existsSync(this.metricsPath)) return;
    const lines = readFileSync(this.metricsPath, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.includes('"type":"eval"'));
    writeFileSync(this.metricsPath, lines.map((l) => `${l}\n`).join(""));
  }
}

/** A short, path-safe name for a data spec: `mnist`, `train-images-idx3-ubyte`, `photos`. */
export function dataSlug(spec: string): string {
  const base = basename(spec.replace(/[\\/]+$/, ""));
  const unzipped = base.replace(/\.gz$/i, "");
  const stem = unzipped.slice(0, unzipped.length - extname(unzipped).length) || unzipped;
  const slug = stem
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug.slice(0, 40) || "data";
}

/** `runs/2025-01-31-142501-simclr-mnist` (local time); a suffix keeps two runs in one second apart. */
export function defaultRunDir(method: string, dataSpec: string, now = new Date(), root = "runs"): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const base = join(root, `${date}-${method}-${dataSlug(dataSpec)}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

import { Command, Option } from "commander";
import type { Dataset } from "../data/dataset.js";
import { describeSpec, inputField } from "../data/sample.js";
import { methodsFor } from "../methods/registry.js";
import type { Encoder, Method } from "../methods/method.js";
import { pretrain } from "../methods/pretrain.js";
import { workerBackend } from "../runtime/worker-backend.js";
import { embedDataset } from "../eval/embed.js";
import type { FitResult, PlanEvent, StepEvent, TrainCallback } from "../train/fit.js";
import { exportOnnx, saveOnnx } from "../train/export.js";
import { NonFiniteLossError } from "../train/train-step.js";
import { durationArg, positiveIntArg, nonNegativeIntArg } from "./args.js";
import { type ConfigObject, type ConfigValue, type RunConfig, readConfigFile, resolveEval, resolveMethodOptions, resolvePretrain, toConfigObject } from "./config.js";
import { limitDataset, loadData } from "./data.js";
import { encoderForRun, saveEncoderWeights } from "./encoder.js";
import { CliError, ExitCode, type ExitCodeValue, errorMessage } from "./errors.js";
import { findMethod } from "./methods.js";
import { type Io, type ProgressMode, TrainingProgress, formatSeconds, planRecord, progressMode, stepRecord } from "./progress.js";
import { RunFolder, defaultRunDir } from "./run-folder.js";
import { savedSection } from "./run-encoder.js";
import { writeMethodViews } from "./views.js";

export interface PretrainFlags {
  readonly method?: string;
  readonly data?: string;
  readonly labels?: string;
  readonly epochs?: number;
  readonly timeBudget?: number;
  readonly batchSize?: number;
  readonly seed?: number;
  readonly config?: string;
  readonly out?: string;
  readonly resume?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly limit?: number;
  readonly checkpointEvery?: number;
  readonly encoder?: string;
}

export function pretrainCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("pretrain")
    .description("pretrain an encoder with a self-supervised method; writes a run folder")
    .option("--method <name>", "the method (see `pretext methods`)")
    .option("--data <spec>", "training data: mnist (bundled), an IDX images file, a folder of images (class subfolders) or a .csv")
    .option("--labels <file>", "labels file for the data (kept for evaluation; pretraining ignores labels)")
    .option("--epochs <n>", "epochs to train (default 10)", positiveIntArg)
    .option("--time-budget <duration>", "stop cleanly after this much training time, e.g. 90s, 5m, 1h", durationArg)
    .option("--batch-size <n>", "images per step (default 256)", positiveIntArg)
    .option("--seed <n>", "seeds initialization, shuffling and augmentation (default 0)", nonNegativeIntArg)
    .option("--config <file>", "a .json or .yaml file with sections pretrain, method, eval; flags override it")
    .option("--out <run-dir>", "the run folder (default runs/<date>-<method>-<data>)")
    .option("--resume <run-dir>", "continue a stopped run from its last checkpoint")
    .option("--quiet", "print nothing but errors and the run folder")
    .option("--json", "print JSON lines on stdout (one per step, then a summary)")
    .addOption(new Option("--encoder <name>", "encoder architecture: small-cnn, resnet18, mlp"))
    .addOption(new Option("--checkpoint-every <steps>", "checkpoint every N steps (default 100)").argParser(positiveIntArg))
    .addOption(new Option("--limit <n>", "train on N evenly spaced images only (quick checks)").argParser(positiveIntArg).hideHelp())
    .addHelpText(
      "after",
      "\nExamples:\n  pretext pretrain --method simclr --data mnist --time-budget 5m\n  pretext pretrain --config simclr.yaml --out runs/simclr\n  pretext pretrain --resume runs/simclr",
    )
    .action(async (flags: PretrainFlags) => done(await runPretrainCommand(flags, io)));
}

/** The flags that set pretrain-section fields, as a config layer. */
function flagLayer(flags: PretrainFlags): ConfigObject {
  const layer: ConfigObject = {};
  const set = (key: string, v: ConfigValue | undefined) => {
    if (v !== undefined) layer[key] = v;
  };
  set("method", flags.method);
  set("data", flags.data);
  set("labels", flags.labels);
  set("epochs", flags.epochs);
  set("timeBudgetSeconds", flags.timeBudget);
  set("batchSize", flags.batchSize);
  set("seed", flags.seed);
  set("limit", flags.limit);
  set("checkpointEverySteps", flags.checkpointEvery);
  set("encoder", flags.encoder);
  return layer;
}

/** Images whose embeddings give the effective rank during training: twice the SmallCnn's 128 dimensions, one inference batch. */
const RANK_SAMPLE = 256;

/** Flags that may change when resuming: how long to train, and how to print. */
const RESUMABLE = new Set(["epochs", "timeBudgetSeconds"]);

/** Builds the resolved config of a new run, or reads a stopped run's for `--resume`. */
export async function resolveRunConfig(flags: PretrainFlags): Promise<{ config: RunConfig; run: RunFolder; method: Method; resume: boolean }> {
  const layer = flagLayer(flags);
  if (flags.resume !== undefined) {
    if (flags.config !== undefined || flags.out !== undefined) throw new CliError("--resume continues a run as its config.json says; drop --config and --out");
    const fixed = Object.keys(layer).filter((k) => !RESUMABLE.has(k));
    if (fixed.length > 0) throw new CliError(`--resume keeps the run's ${fixed.join(", ")}; only --epochs and --time-budget may change`);
    const run = RunFolder.open(flags.resume);
    const section = (name: string) => savedSection(run, name);
    const source = run.configPath;
    const pretrainConfig = resolvePretrain(section("pretrain"), layer, source);
    const method = findMethod(pretrainConfig.method);
    const config: RunConfig = {
      pretrain: pretrainConfig,
      method: resolveMethodOptions(method.name, method.defaults, section("method"), source),
      eval: resolveEval(section("eval"), {}, source),
    };
    return { config, run, method, resume: true };
  }
  const file = flags.config === undefined ? {} : await readConfigFile(flags.config);
  const source = flags.config ?? "config";
  const pretrainConfig = resolvePretrain(file.pretrain, layer, source);
  const method = findMethod(pretrainConfig.method);
  const config: RunConfig = {
    pretrain: pretrainConfig,
    method: resolveMethodOptions(method.name, method.defaults, file.method, source),
    eval: resolveEval(file.eval, {}, source),
  };
  const run = new RunFolder(flags.out ?? defaultRunDir(method.name, pretrainConfig.data));
  return { config, run, method, resume: false };
}

export async function runPretrainCommand(flags: PretrainFlags, io: Io): Promise<ExitCodeValue> {
  const { config, run, method, resume } = await resolveRunConfig(flags);
  const mode = progressMode(flags, io);
  const outcome = await pretrainRun({ config, run, method, resume, mode, io });
  return outcome.exitCode;
}

export interface PretrainRunOptions {
  readonly config: RunConfig;
  readonly run: RunFolder;
  readonly method: Method;
  readonly resume: boolean;
  readonly mode: ProgressMode;
  readonly io: Io;
  /** Print what to run next (`pretext eval …`); the demo runs it itself. */
  readonly hints?: boolean;
}

export interface PretrainOutcome {
  readonly exitCode: ExitCodeValue;
  readonly fit: FitResult | null;
  readonly encoder: Encoder;
  readonly train: Dataset;
}

/**
 * Writes the step plan, then every `logEverySteps`-th step (and those with an effective rank, and
 * the last) to metrics.jsonl; on resume, first drops what the checkpoint does not cover.
 */
class MetricsLog implements TrainCallback {
  #pending: StepEvent | null = null;
  #planned = false;

  constructor(
    readonly run: RunFolder,
    readonly every: number,
    readonly resume: boolean,
  ) {}

  onPlan(e: PlanEvent): void {
    // Steps before e.step are in the checkpoint we resumed from (none if there was none). A plan
    // remade mid-run (a time budget's second estimate) keeps everything logged so far.
    if (this.resume && !this.#planned) this.run.truncateMetricsTo(e.step);
    this.#planned = true;
    this.run.appendMetrics([planRecord(e)]);
  }

  onStep(e: StepEvent): void {
    if (e.step % this.every === 0 || e.metrics.effective_rank !== undefined) {
      this.run.appendMetrics([stepRecord(e)]);
      this.#pending = null;
    } else this.#pending = e;
  }

  onEnd(): void {
    if (this.#pending !== null) this.run.appendMetrics([stepRecord(this.#pending)]);
    this.#pending = null;
  }
}

/** A fixed sample of the training images for the effective rank during training, or null when the data is streamed. */
function rankSample(train: Dataset, n: number): Dataset | null {
  if (train.length <= n) return train;
  try {
    return limitDataset(train, n);
  } catch {
    return null;
  }
}

/**
 * One pretraining run into a run folder: data, encoder, method, `pretrain()` with checkpoints,
 * metrics and progress; Ctrl-C stops after the current step with a checkpoint. A finished run
 * also writes `encoder.safetensors` and `encoder.onnx`.
 */
export async function pretrainRun(options: PretrainRunOptions): Promise<PretrainOutcome> {
  const { config, run, method, resume, mode, io } = options;
  const p = config.pretrain;
  const data = await loadData(p.data, p.labels);
  const train = limitDataset(data.train, p.limit);
  const { modality } = train.spec;
  if (!method.modalities.includes(modality)) {
    const fitting = methodsFor(modality).map((m) => m.name);
    throw new CliError(
      `--method ${method.name} learns from ${method.modalities.join(" or ")} data, but ${p.data} is ${describeSpec(train.spec)}; ${fitting.length > 0 ? `methods for ${modality}: ${fitting.join(", ")}` : `no method learns from ${modality} data yet`}`,
    );
  }
  if (train.length < p.batchSize) {
    throw new CliError(`the data has ${train.length} images, fewer than one batch of ${p.batchSize}; lower --batch-size`);
  }
  const encoder = encoderForRun(p.encoder, train.spec, p.seed);
  if (resume) run.writeConfig(config);
  else {
    run.create(config);
    // The augmentation grid first: a glance at views.png catches a broken recipe before minutes of training.
    try {
      await writeMethodViews(run.viewsPath, method, config.method, p.encoder, train, { count: 8, seed: p.seed });
    } catch (e) {
      if (mode !== "quiet" && mode !== "json") io.stderr.write(`warning: no views.png (${errorMessage(e)})\n`);
    }
  }

  const progress = new TrainingProgress(mode, io, { timeBudgetSeconds: p.timeBudgetSeconds });
  const sample = rankSample(train, RANK_SAMPLE);
  const say = (line: string) => {
    if (mode === "bar" || mode === "lines") io.stderr.write(`${line}\n`);
  };
  const epochs = `${p.epochs} epoch${p.epochs === 1 ? "" : "s"}`;
  say(`pretext: ${method.name} on ${p.data} (${train.length} images, batch ${p.batchSize}), ${p.timeBudgetSeconds === null ? epochs : `${epochs} or ${formatSeconds(p.timeBudgetSeconds)}`} → ${run.dir}`);

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      progress.close();
      io.stderr.write("\nstopping after this step and writing a checkpoint (Ctrl-C again to quit without one)\n");
      controller.abort();
    } else process.exit(ExitCode.interrupted);
  };
  process.on("SIGINT", onSigint);
  let result: Awaited<ReturnType<typeof pretrain>>;
  try {
    result = await pretrain({
      method,
      methodOptions: config.method,
      encoder,
      dataset: train,
      batchSize: p.batchSize,
      epochs: p.epochs,
      seed: p.seed,
      ...(p.timeBudgetSeconds === null ? {} : { timeBudgetSeconds: p.timeBudgetSeconds }),
      checkpoint: { dir: run.checkpointDir, everySteps: p.checkpointEverySteps, metadata: toConfigObject(config, "config") },
      resume,
      // The step runs in a worker thread: the loader augments the next batch meanwhile, and the
      // progress bar and Ctrl-C stay responsive.
      compile: { backend: workerBackend },
      callbacks: [new MetricsLog(run, p.logEverySteps, resume), progress],
      ...(p.effectiveRankPoints > 0 && sample !== null
        ? { effectiveRank: { points: p.effectiveRankPoints, embed: (e: Encoder) => embedDataset(e, sample, { batchSize: RANK_SAMPLE }) } }
        : {}),
      signal: controller.signal,
    });
  } catch (e) {
    progress.close();
    if (e instanceof NonFiniteLossError) throw new CliError(e.message, ExitCode.failure);
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
  }
  const fit = result.fit;
  await result.step.release();

  if (fit.stoppedBy === "signal") {
    const message = `interrupted at step ${fit.steps}; checkpoint written to ${run.checkpointDir}. Resume with: pretext pretrain --resume ${run.dir}`;
    if (mode === "json") io.stdout.write(`${JSON.stringify({ type: "interrupted", step: fit.steps, run_dir: run.dir, resume: `pretext pretrain --resume ${run.dir}` })}\n`);
    io.stderr.write(`${message}\n`);
    return { exitCode: ExitCode.interrupted, fit, encoder, train };
  }

  await saveEncoderWeights(run.encoderWeightsPath, encoder, p.encoder, train.spec);
  const input = inputField(train.spec);
  await saveOnnx(run.encoderOnnxPath, exportOnnx(encoder, { inputShape: [1, ...input.shape], inputDType: input.dtype, description: `pretext ${method.name} encoder (${p.encoder})` }));

  const lastLoss = fit.epochLosses[fit.epochLosses.length - 1];
  const summary = {
    type: "done",
    run_dir: run.dir,
    method: method.name,
    steps: fit.steps,
    epochs_completed: fit.epochsCompleted,
    stopped_by: fit.stoppedBy,
    elapsed_s: Number(fit.elapsedSeconds.toFixed(3)),
    final_epoch_loss: lastLoss !== undefined && Number.isFinite(lastLoss) ? lastLoss : null,
    planned_steps: fit.plan.totalSteps,
    planned_from: fit.plan.from,
  };
  if (mode === "json") io.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const why =
      fit.stoppedBy === "time-budget"
        ? fit.steps >= fit.plan.totalSteps
          ? `the ${fit.plan.totalSteps} steps planned from the time budget`
          : `time budget reached, ${fit.plan.totalSteps} steps planned`
        : fit.stoppedBy === "epochs"
          ? `${fit.epochsCompleted} epoch${fit.epochsCompleted === 1 ? "" : "s"}`
          : fit.stoppedBy;
    say(`done: ${fit.steps} steps in ${formatSeconds(fit.elapsedSeconds)} (${why}); encoder saved as ${run.encoderOnnxPath}`);
    if (options.hints !== false) say(`next: pretext eval ${run.dir}`);
    if (mode === "quiet") io.stdout.write(`${run.dir}\n`);
  }
  return { exitCode: ExitCode.ok, fit, encoder, train };
}

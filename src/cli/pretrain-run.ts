import { rmSync } from "node:fs";
import type { Dataset } from "../data/dataset.js";
import { specModality } from "../data/resolve-data-spec.js";
import { describeSpec, inputField } from "../data/sample.js";
import { embedDataset } from "../eval/embed.js";
import type { Encoder, Method } from "../methods/method.js";
import { pretrain } from "../methods/pretrain.js";
import { methodsFor } from "../methods/registry.js";
import { ModuleDict } from "../nn/module.js";
import { workerBackend } from "../runtime/worker-backend.js";
import { exportOnnx, saveOnnx } from "../train/export.js";
import type { FitResult, PlanEvent, SkippedStepEvent, StepEvent, TrainCallback } from "../train/fit.js";
import { NonFiniteLossError } from "../train/train-step.js";
import { CheckpointError } from "../train/checkpoint.js";
import { type RunConfig, toConfigObject } from "./config.js";
import { type LoadedData, limitDataset, loadData } from "./data.js";
import { type TextEncoderSettings, checkEncoderForMethod, encoderForRun, saveEncoderWeights, saveModuleWeights } from "./encoder.js";
import { CliError, ExitCode, type ExitCodeValue, errorMessage } from "./errors.js";
import { type Io, type ProgressMode, TrainingProgress, formatSeconds, planRecord, stepRecord } from "./progress.js";
import { type ResolvedPretrain, type TextSettings, resolveRunDefaults, textSettings } from "./run-defaults.js";
import type { RunFolder } from "./run-folder.js";
import { runTokenizer, trainRunTokenizer } from "./text-data.js";
import { textValidation } from "./text-validation.js";
import { textStart } from "../data/text/text-chunks.js";
import type { TextSource } from "../data/text/text-source.js";
import { writeAudioViews, writeMethodViews } from "./views.js";
import { audioOf, exportWaveformEncoder, readRunAudio, writeRunAudio } from "./audio-run.js";
import { readRunTable, tableColumnOptions, writeRunTable } from "./table-run.js";

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
  /** The config as run, every default the data and method decide filled in (what config.json holds). */
  readonly config: RunConfig;
  readonly data: LoadedData;
}

/** Samples whose embeddings give the effective rank during training: twice the SmallCnn's 128 dimensions, one inference batch. */
const RANK_SAMPLE = 256;

/** Epochs to train: the config's, or with no epochs given, until the time budget (when there is one) or 10. */
export function epochsOf(p: Pick<ResolvedPretrain, "epochs" | "timeBudgetSeconds">): number {
  return p.epochs ?? (p.timeBudgetSeconds === null ? 10 : Number.POSITIVE_INFINITY);
}

/** The text encoder's settings: the run's, with the vocabulary the tokenizer actually has (a character vocabulary depends on the data). */
function textEncoderSettings(text: TextSettings, vocabSize: number): TextEncoderSettings {
  return { vocabSize, context: text.context, dModel: text.dModel, layers: text.layers, heads: text.heads, dropout: text.dropout };
}

/**
 * One pretraining run into a run folder: data (for text, the tokenizer trained on the training
 * texts and the token files, both kept in the run folder), encoder, method, `pretrain()` with
 * checkpoints, metrics and progress; Ctrl-C stops after the current step with a checkpoint. A
 * finished run also writes `encoder.safetensors`, `heads.safetensors` and `encoder.onnx`.
 */
export async function pretrainRun(options: PretrainRunOptions): Promise<PretrainOutcome> {
  try {
    return await pretrainLocked(options);
  } catch (e) {
    throw diskFull(e, options.run) ?? e;
  } finally {
    options.run.unlock();
  }
}

/** Errors of a disk that cannot take more: the run stops with its last complete checkpoint, which a resume continues from. */
const DISK_FULL = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);

function diskFull(e: unknown, run: RunFolder): CliError | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== "string" || !DISK_FULL.has(code)) return null;
  const path = (e as NodeJS.ErrnoException).path;
  const where = typeof path === "string" ? path : run.dir;
  return new CliError(`${where}: no space left on the device (${code}); the last complete checkpoint in ${run.checkpointDir} is intact: free space, then pretext pretrain --resume ${run.dir}`, ExitCode.failure);
}

async function pretrainLocked(options: PretrainRunOptions): Promise<PretrainOutcome> {
  const { run, method, resume, mode, io } = options;
  const warn = (message: string | null) => {
    if (message !== null && mode !== "quiet" && mode !== "json") io.stderr.write(`warning: ${message}\n`);
  };
  if (resume) warn(run.lock("pretrain"));
  else run.refuseExisting();
  const modality = specModality(options.config.pretrain.data, options.config.pretrain.textColumn === null ? {} : { textColumn: options.config.pretrain.textColumn });
  if (!method.modalities.includes(modality)) {
    const fitting = methodsFor(modality).map((m) => m.name);
    throw new CliError(
      `--method ${method.name} learns from ${method.modalities.join(" or ")} data, but ${options.config.pretrain.data} is ${modality}; ${fitting.length > 0 ? `methods for ${modality}: ${fitting.join(", ")}` : `no method learns from ${modality} data yet`}`,
    );
  }
  const p = resolveRunDefaults(options.config.pretrain, method, modality);
  const config: RunConfig = { ...options.config, pretrain: p };
  const text = modality === "text" ? textSettings(p, resume ? run.configPath : "config") : null;
  if (text !== null && !resume) rmSync(run.tokensDir, { recursive: true, force: true });
  // A resumed audio run normalizes with the statistics it started with (the data may have grown since).
  const savedAudio = modality === "audio" && resume ? readRunAudio(run) : null;
  // So does a table run: its features keep the meaning they had at step 0.
  const savedTable = modality === "table" && resume ? readRunTable(run) : null;
  const data = await loadData(p.data, p.labels, {
    textColumn: p.textColumn,
    ...(modality === "audio" ? { audio: savedAudio === null ? {} : { features: savedAudio.features, stats: savedAudio.stats } } : {}),
    ...(modality === "table" ? (savedTable === null ? tableColumnOptions(p) : { table: { encoding: savedTable } }) : {}),
    ...(text === null
      ? {}
      : {
          text: {
            tokenizer: resume ? runTokenizer(run) : trainRunTokenizer(run, text),
            length: method.tokensPerSample?.(text.context) ?? text.context,
            testStride: text.context,
            tokensDir: run.tokensDir,
          },
        }),
  });
  const train = limitDataset(data.train, p.limit);
  if (!method.modalities.includes(train.spec.modality)) throw new CliError(`--method ${method.name} learns from ${method.modalities.join(" or ")} data, but ${p.data} is ${describeSpec(train.spec)}`);
  const unit = modality === "text" ? "sequences" : modality === "table" ? "rows" : modality === "audio" ? "clips" : "images";
  if (train.length < p.batchSize) throw new CliError(`the data has ${train.length} ${unit}, fewer than one batch of ${p.batchSize}; lower --batch-size`);
  const tokenizer = data.text?.tokenizer;
  const encoderText = text === null || tokenizer === undefined ? undefined : textEncoderSettings(text, tokenizer.vocabSize);
  checkEncoderForMethod(p.encoder, method.name);
  const encoder = encoderForRun(p.encoder, train.spec, p.seed, encoderText);
  if (resume) run.writeConfig(config);
  else {
    warn(run.create(config, "pretrain"));
    if (data.audio !== undefined) await writeRunAudio(run, audioOf(data.audio));
    if (data.table !== undefined) await writeRunTable(run, data.table.encoding);
    if (modality === "audio") {
      try {
        await writeAudioViews(run.viewsPath, method, config.method, encoder, train, { count: 6, seed: p.seed });
      } catch (e) {
        if (mode !== "quiet" && mode !== "json") io.stderr.write(`warning: no views.png (${errorMessage(e)})\n`);
      }
    }
    if (modality === "image") {
      // The augmentation grid first: a glance at views.png catches a broken recipe before minutes of training.
      try {
        await writeMethodViews(run.viewsPath, method, config.method, p.encoder, train, { count: 8, seed: p.seed });
      } catch (e) {
        if (mode !== "quiet" && mode !== "json") io.stderr.write(`warning: no views.png (${errorMessage(e)})\n`);
      }
    }
  }

  const progress = new TrainingProgress(mode, io, { timeBudgetSeconds: p.timeBudgetSeconds, rateUnit: modality === "text" ? "seq/s" : modality === "table" ? "rows/s" : modality === "audio" ? "clips/s" : "img/s" });
  const say = (line: string) => {
    if (mode === "bar" || mode === "lines") io.stderr.write(`${line}\n`);
  };
  for (const w of [...(data.text?.warnings ?? []), ...(data.audio?.warnings ?? []), ...(data.table?.warnings ?? [])]) say(`warning: ${w}`);
  const epochs = epochsOf(p);
  const limit = Number.isFinite(epochs) ? `${epochs} epoch${epochs === 1 ? "" : "s"}${p.timeBudgetSeconds === null ? "" : ` or ${formatSeconds(p.timeBudgetSeconds)}`}` : formatSeconds(p.timeBudgetSeconds ?? 0);
  const vocabulary = tokenizer === undefined || text === null ? "" : `, ${text.tokenizer} tokens (${tokenizer.vocabSize})`;
  say(`pretext: ${method.name} on ${p.data} (${train.length} ${unit}${vocabulary}, batch ${p.batchSize}), ${limit} → ${run.dir}`);

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
  const sample = rankSample(train, RANK_SAMPLE);
  const source = data.text?.source;
  const validation =
    source === undefined || tokenizer === undefined || data.test === null || p.validationPoints === 0
      ? undefined
      : textValidation({ run, method, test: data.test, tokenizer, batchSize: p.batchSize, points: p.validationPoints, prompt: heldOutPrompt(source), seed: p.seed });
  let result: Awaited<ReturnType<typeof pretrain>>;
  try {
    result = await pretrain({
      method,
      methodOptions: config.method,
      encoder,
      dataset: train,
      batchSize: p.batchSize,
      epochs,
      seed: p.seed,
      ...(p.timeBudgetSeconds === null ? {} : { timeBudgetSeconds: p.timeBudgetSeconds }),
      checkpoint: { dir: run.checkpointDir, everySteps: p.checkpointEverySteps, metadata: toConfigObject(config, "config") },
      resume,
      // The step runs in a worker thread: the loader prepares the next batch meanwhile, and the
      // progress bar and Ctrl-C stay responsive.
      compile: { backend: workerBackend },
      callbacks: [new MetricsLog(run, p.logEverySteps, resume), progress, skippedSteps(mode, io)],
      ...(p.effectiveRankPoints > 0 && sample !== null
        ? { effectiveRank: { points: p.effectiveRankPoints, embed: (e: Encoder) => embedDataset(e, sample, { batchSize: RANK_SAMPLE }) } }
        : {}),
      ...(tokenizer === undefined ? {} : { tokenizer }),
      ...(validation === undefined ? {} : { validation }),
      signal: controller.signal,
    });
  } catch (e) {
    progress.close();
    if (e instanceof NonFiniteLossError || e instanceof CheckpointError) throw new CliError(e.message, ExitCode.failure);
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
    return { exitCode: ExitCode.interrupted, fit, encoder, train, config, data };
  }

  await saveEncoderWeights(run.encoderWeightsPath, encoder, p.encoder, train.spec, encoderText);
  const heads = Object.fromEntries(Object.entries(result.plan.modules).filter(([name]) => name !== "encoder"));
  await saveModuleWeights(run.headsPath, new ModuleDict(heads), { format: "pretext-heads", method: method.name });
  const input = inputField(train.spec);
  const context = encoderText?.context;
  const inputShape = [1, ...(context === undefined ? input.shape : [context])];
  const description = `pretext ${method.name} encoder (${p.encoder})`;
  // An audio encoder is exported behind the in-graph featurizer: it takes raw waves.
  const runAudio = modality === "audio" ? readRunAudio(run) : null;
  const onnx = runAudio === null ? exportOnnx(encoder, { inputShape, inputDType: input.dtype, description }) : exportWaveformEncoder(encoder, runAudio, 1, description).bytes;
  await saveOnnx(run.encoderOnnxPath, onnx);

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
  return { exitCode: ExitCode.ok, fit, encoder, train, config, data };
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
    // remade mid-run (a time budget's later estimates) keeps everything logged so far.
    if (this.resume && !this.#planned) this.run.truncateMetricsTo(e.step);
    this.#planned = true;
    this.run.appendMetrics([planRecord(e)]);
  }

  onSkippedStep(e: SkippedStepEvent): void {
    this.run.appendMetrics([skippedRecord(e)]);
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

/** A skipped batch as a metrics line; the loss as text, since JSON has no NaN or Infinity. */
function skippedRecord(e: SkippedStepEvent): object {
  return { type: "skipped", step: e.step, epoch: e.epoch, batch: e.batchIndex, loss: String(e.loss), consecutive: e.consecutive, limit: e.limit };
}

/** Says that a batch's update was skipped for a non-finite loss, and how close the run is to stopping. */
function skippedSteps(mode: ProgressMode, io: Io): TrainCallback {
  return {
    onSkippedStep: (e) => {
      if (mode === "json") io.stdout.write(`${JSON.stringify(skippedRecord(e))}\n`);
      else if (mode !== "quiet") {
        io.stderr.write(`warning: loss is ${e.loss} at step ${e.step} (epoch ${e.epoch + 1}, batch ${e.batchIndex + 1}); its update was skipped (${e.consecutive} of ${e.limit} in a row stop the run)\n`);
      }
    },
  };
}

/** The first words of the held-out text's first paragraph (of its first document), which a language model's samples continue. */
function heldOutPrompt(source: TextSource): string {
  const text = source.kind === "corpus" ? textStart(source.test ?? source.train, 4096) : (source.test?.texts[0] ?? source.train.texts[0] ?? "");
  const paragraph = text.indexOf("\n\n");
  const start = source.kind === "corpus" && paragraph >= 0 ? text.slice(paragraph) : text;
  return start.trimStart().split(/(?<=\s)/u).slice(0, 6).join("").trimEnd();
}

/** A fixed sample of the training data for the effective rank during training, or null when the data is streamed. */
function rankSample(train: Dataset, n: number): Dataset | null {
  if (train.length <= n) return train;
  try {
    return limitDataset(train, n);
  } catch {
    return null;
  }
}

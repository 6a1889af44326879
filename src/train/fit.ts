import type { DataLoader } from "../data/loader.js";
import type { HostTensor } from "../runtime/index.js";
import { type JsonValue, loadLatestCheckpoint, saveCheckpoint } from "./checkpoint.js";
import type { StepResult, TrainStep } from "./train-step.js";

/** What callbacks hear after every step. */
export interface StepEvent extends StepResult {
  readonly epoch: number;
  /** 0-based index of the batch just trained on, within its epoch. */
  readonly batchIndex: number;
  readonly batchesPerEpoch: number;
  readonly epochs: number;
  /** Samples per second over the last step (wall time, data included). */
  readonly samplesPerSecond: number;
  /** Wall time of training so far, including earlier runs of a resumed one. */
  readonly elapsedSeconds: number;
  /** Per-step scalars the optimizer was fed (learning rate, …). */
  readonly scalars: Readonly<Record<string, number>>;
}

export type StopReason = "epochs" | "time-budget" | "max-steps" | "signal";

export interface TrainCallback {
  onStep?(event: StepEvent): void | Promise<void>;
  onEpochEnd?(event: { epoch: number; meanLoss: number; elapsedSeconds: number }): void | Promise<void>;
  onCheckpoint?(event: { path: string; step: number }): void | Promise<void>;
  onResume?(event: { path: string; step: number; warnings: readonly string[] }): void | Promise<void>;
  onEnd?(result: FitResult): void | Promise<void>;
}

export interface CheckpointOptions {
  readonly dir: string;
  /** Also checkpoint every this many steps (besides epoch ends and stops). */
  readonly everySteps?: number;
  /** Checkpoints kept on disk. */
  readonly keep?: number;
  /** Saved with every checkpoint, e.g. the resolved run configuration. */
  readonly metadata?: JsonValue;
}

export interface FitOptions<B extends string, T> {
  readonly step: TrainStep<B>;
  /** Yields items (a batch, or the views a method's transform made of it) that `feeds` turns into step inputs. */
  readonly loader: DataLoader<T>;
  /** Maps a loader item to the step's named inputs (views, masks, labels). */
  readonly feeds: (item: T) => Readonly<Record<B, HostTensor>>;
  readonly epochs: number;
  /** Stop cleanly after this much training wall time (a CPU user's "train for five minutes"). */
  readonly timeBudgetSeconds?: number;
  readonly maxSteps?: number;
  readonly checkpoint?: CheckpointOptions;
  /** Continue from the newest checkpoint in `checkpoint.dir`, if there is one. */
  readonly resume?: boolean;
  readonly callbacks?: readonly TrainCallback[];
  /** Aborting stops after the current step and writes a checkpoint (Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface FitResult {
  readonly steps: number;
  readonly epochsCompleted: number;
  readonly stoppedBy: StopReason;
  readonly elapsedSeconds: number;
  /** Mean loss of every completed epoch of this run (resumed epochs included from where they resumed). */
  readonly epochLosses: readonly number[];
}

interface ProgressMetadata {
  readonly epoch: number;
  readonly batchIndex: number;
  readonly elapsedSeconds: number;
  readonly rngState: number[];
  readonly epochLosses: number[];
}

/**
 * The training loop: batches from a seeded loader into a compiled step, callbacks after every step,
 * checkpoints at epoch ends, every N steps and whenever training stops early, and exact resume
 * (the parameters, optimizer state, RNG and the loader position all come back, so the next step
 * sees the same batch and computes the same loss as an uninterrupted run would have).
 */
export async function fit<B extends string, T>(options: FitOptions<B, T>): Promise<FitResult> {
  const { step, loader, epochs, callbacks = [], checkpoint } = options;
  let elapsedBefore = 0;
  let epochLosses: number[] = [];

  if (options.resume && checkpoint) {
    const loaded = await loadLatestCheckpoint(checkpoint.dir);
    if (loaded) {
      const progress = (loaded.metadata as { progress?: ProgressMetadata } | null)?.progress;
      if (!progress) throw new Error(`${loaded.path} has no training progress; it was not written by fit()`);
      const tensors = new Map<string, Float32Array>();
      for (const [k, t] of loaded.tensors) {
        if (!(t.data instanceof Float32Array)) throw new Error(`${loaded.path}: tensor "${k}" is ${t.dtype}, expected F32`);
        tensors.set(k, t.data);
      }
      step.restore({ tensors, step: loaded.step, rngState: progress.rngState });
      loader.seek({ epoch: progress.epoch, batchIndex: progress.batchIndex });
      elapsedBefore = progress.elapsedSeconds;
      epochLosses = [...progress.epochLosses];
      for (const c of callbacks) await c.onResume?.({ path: loaded.path, step: loaded.step, warnings: loaded.warnings });
    }
  }

  const started = performance.now();
  const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
  const save = async () => {
    if (!checkpoint) return;
    const snap = step.snapshot();
    const position = loader.position;
    const progress: ProgressMetadata = { ...position, elapsedSeconds: elapsed(), rngState: snap.rngState, epochLosses };
    const tensors = new Map([...snap.tensors].map(([k, data]) => [k, { shape: [data.length], data }]));
    const path = await saveCheckpoint(
      checkpoint.dir,
      { tensors, metadata: { progress: progress as unknown as JsonValue, config: checkpoint.metadata ?? null } },
      { step: snap.step, ...(checkpoint.keep === undefined ? {} : { keep: checkpoint.keep }) },
    );
    for (const c of callbacks) await c.onCheckpoint?.({ path, step: snap.step });
  };

  let stoppedBy: StopReason = "epochs";
  let lastSaved = -1;
  outer: while (loader.position.epoch < epochs) {
    const epoch = loader.position.epoch;
    let sum = 0;
    let count = 0;
    let tick = performance.now();
    let batchIndex = loader.position.batchIndex;
    for await (const item of loader) {
      const result = await step.run(options.feeds(item));
      sum += result.loss;
      count++;
      const now = performance.now();
      const event: StepEvent = {
        ...result,
        epoch,
        batchIndex: batchIndex++,
        batchesPerEpoch: loader.batchesPerEpoch,
        epochs,
        samplesPerSecond: loader.batchSize / ((now - tick) / 1000),
        elapsedSeconds: elapsed(),
        scalars: step.options.optimizer.scalars(result.step),
      };
      tick = now;
      for (const c of callbacks) await c.onStep?.(event);
      const stop: StopReason | null = options.signal?.aborted
        ? "signal"
        : options.timeBudgetSeconds !== undefined && elapsed() >= options.timeBudgetSeconds
          ? "time-budget"
          : options.maxSteps !== undefined && step.stepCount >= options.maxSteps
            ? "max-steps"
            : null;
      if (stop) {
        stoppedBy = stop;
        break outer;
      }
      if (checkpoint?.everySteps && step.stepCount % checkpoint.everySteps === 0) {
        await save();
        lastSaved = step.stepCount;
      }
    }
    // NOTE: an epoch resumed mid-way reports the mean over the batches of this run only.
    epochLosses.push(count > 0 ? sum / count : Number.NaN);
    for (const c of callbacks) await c.onEpochEnd?.({ epoch, meanLoss: epochLosses[epochLosses.length - 1] as number, elapsedSeconds: elapsed() });
  }
  if (lastSaved !== step.stepCount) await save();

  const result: FitResult = {
    steps: step.stepCount,
    epochsCompleted: Math.min(loader.position.epoch, epochs),
    stoppedBy,
    elapsedSeconds: elapsed(),
    epochLosses,
  };
  for (const c of callbacks) await c.onEnd?.(result);
  return result;
}

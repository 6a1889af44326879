import type { DataLoader } from "../data/loader.js";
import type { HostTensor } from "../runtime/index.js";
import { CheckpointError, type JsonValue, loadLatestCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { BudgetReplanner, type StepPlan, measureSecondsPerStep, planFromJson, planToJson, stepsPerCall } from "./step-plan.js";
import { NonFiniteLossError, type StepResult, type TrainStep } from "./train-step.js";

export { type ScheduleMap, type StepPlan, scheduleStep, scheduleSteps, stepsPerCall } from "./step-plan.js";

/** What callbacks hear after every step. */
export interface StepEvent extends StepResult {
  readonly epoch: number;
  /** 0-based index of the batch just trained on, within its epoch. */
  readonly batchIndex: number;
  readonly batchesPerEpoch: number;
  /** `FitOptions.epochs`: `Infinity` when only the time budget or `maxSteps` ends the run. */
  readonly epochs: number;
  /** Samples per second over the last step (wall time, data included). */
  readonly samplesPerSecond: number;
  /** Wall time of training so far, including earlier runs of a resumed one. */
  readonly elapsedSeconds: number;
  /** Per-step scalars the optimizer was fed (learning rate, …). */
  readonly scalars: Readonly<Record<string, number>>;
  /** Steps the run is planned for (`StepPlan.totalSteps`): the progress bar's total. */
  readonly plannedSteps: number;
}

/** What callbacks hear once before the first step: the plan, and the step training starts at (a resumed run's step). */
export interface PlanEvent {
  readonly plan: StepPlan;
  readonly step: number;
  /** True when the plan came from the checkpoint that was resumed. */
  readonly restored: boolean;
}

export type StopReason = "epochs" | "time-budget" | "max-steps" | "signal";

export interface SkippedStepEvent {
  /** The step the batch would have made (skipped batches do not count as steps). */
  readonly step: number;
  readonly epoch: number;
  readonly batchIndex: number;
  readonly loss: number;
  readonly consecutive: number;
  /** The run stops when `consecutive` reaches this. */
  readonly limit: number;
}

/**
 * Batches in a row whose loss may be NaN or infinite before the run stops. One bad batch (a
 * corrupt sample, a rare overflow) is skipped; five in a row is a diverged run, and training on
 * would only skip every batch.
 */
export const MAX_NON_FINITE_STEPS = 5;

export interface TrainCallback {
  /**
   * Before the first step, once the steps are planned (schedules that span the run are set here);
   * with a time budget, again each time the plan is remade from the steps actually run (a schedule
   * follows it at `scheduleStep(plan, step)`, so its value does not jump; see `ScheduleMap`).
   */
  onPlan?(event: PlanEvent): void | Promise<void>;
  onStep?(event: StepEvent): void | Promise<void>;
  onEpochEnd?(event: { epoch: number; meanLoss: number; elapsedSeconds: number }): void | Promise<void>;
  onCheckpoint?(event: { path: string; step: number }): void | Promise<void>;
  /** A batch whose loss came out NaN or infinite: its update was skipped (`consecutive` such batches in a row, this one included). */
  onSkippedStep?(event: SkippedStepEvent): void | Promise<void>;
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
  /**
   * Passes over the data. `Infinity` sets no epoch limit: the run ends at `timeBudgetSeconds` or
   * `maxSteps` (one is required), as "train for five minutes" means, with the schedules planned
   * to end there (Lightning's `max_epochs=-1` with `max_time`).
   */
  readonly epochs: number;
  /**
   * Stop cleanly after this much training wall time (a CPU user's "train for five minutes"). The
   * steps are then planned from it and remade as the step time drifts (see `StepPlan`); the run
   * ends when the plan is done or no further step fits in the budget, never starting one that
   * would overrun it.
   */
  readonly timeBudgetSeconds?: number;
  /** Steps timed before training to plan a time budget (default 3; the first is not timed: it pays one-time costs). */
  readonly calibrationSteps?: number;
  /** Stop after this many steps (the schedules are planned to end there too). */
  readonly maxSteps?: number;
  readonly checkpoint?: CheckpointOptions;
  /** Continue from the newest checkpoint in `checkpoint.dir`, if there is one. */
  readonly resume?: boolean;
  readonly callbacks?: readonly TrainCallback[];
  /** Aborting stops after the current run of steps and writes a checkpoint (Ctrl-C). */
  readonly signal?: AbortSignal;
  /**
   * The most steps per call into the runtime (at most, and by default, `step.stepsPerRun`). Fit
   * groups consecutive batches into one call, up to the next point where something must happen
   * between steps (an epoch's end, a checkpoint, the plan's end) and to about a quarter second
   * of steps, and then calls `onStep` for each. A callback that reads the step's parameters sees
   * them as after the call's last step, unless `readsParametersAt` names its step.
   */
  readonly stepsPerRun?: number;
  /**
   * The steps (0-based, as `StepEvent.step`) whose `onStep` callbacks read the step's parameters
   * or state (`step.params`, `syncToModules`): a call into the runtime ends with each of them.
   */
  readonly readsParametersAt?: (step: number) => boolean;
  /**
   * A batch with a non-finite loss is skipped (the parameters stay as they were, `onSkippedStep`
   * is told); this many in a row stop the run with a `NonFiniteLossError` that names the step,
   * the batch and the loss (default `MAX_NON_FINITE_STEPS`; 1 stops at the first).
   */
  readonly maxNonFiniteSteps?: number;
  /**
   * The clock steps and the budget are timed on, in milliseconds (default `performance.now`).
   * Tests simulate a machine whose speed changes with it.
   */
  readonly now?: () => number;
}

export interface FitResult {
  readonly steps: number;
  readonly epochsCompleted: number;
  readonly stoppedBy: StopReason;
  readonly elapsedSeconds: number;
  /** Mean loss of every completed epoch of this run (resumed epochs included from where they resumed). */
  readonly epochLosses: readonly number[];
  readonly plan: StepPlan;
}

interface ProgressMetadata {
  readonly epoch: number;
  readonly batchIndex: number;
  readonly elapsedSeconds: number;
  readonly rngState: number[];
  readonly epochLosses: number[];
  /** `planToJson`'s; absent in checkpoints written before plans existed. */
  readonly plan?: JsonValue;
}

/**
 * The training loop: batches from a seeded loader into a compiled step, callbacks after every step,
 * checkpoints at epoch ends, every N steps and whenever training stops early, and exact resume
 * (the parameters, optimizer state, RNG, the loader position and the step plan all come back, so
 * the next step sees the same batch and computes the same loss as an uninterrupted run would have).
 * With a time budget the run is planned to end at the budget's end and re-planned as the step
 * time drifts (`BudgetReplanner`); a resumed budget run continues that plan by the same rule, but
 * repeats an uninterrupted one only as far as the machine's speed does.
 */
export async function fit<B extends string, T>(options: FitOptions<B, T>): Promise<FitResult> {
  const { step, loader, epochs, callbacks = [], checkpoint } = options;
  const now = options.now ?? (() => performance.now());
  const budget = options.timeBudgetSeconds ?? null;
  const mostPerRun = Math.min(step.stepsPerRun, options.stepsPerRun ?? step.stepsPerRun);
  if (!Number.isInteger(mostPerRun) || mostPerRun < 1) throw new Error(`fit: stepsPerRun must be an integer >= 1, got ${options.stepsPerRun}`);
  const maxSteps = options.maxSteps ?? null;
  if (epochs === Number.POSITIVE_INFINITY && budget === null && maxSteps === null) throw new Error("fit: epochs: Infinity needs timeBudgetSeconds or maxSteps to end");
  let elapsedBefore = 0;
  let epochLosses: number[] = [];
  let plan: StepPlan | null = null;

  if (options.resume && checkpoint) {
    const loaded = await loadLatestCheckpoint(checkpoint.dir);
    if (loaded) {
      const progress = (loaded.metadata as { progress?: ProgressMetadata } | null)?.progress;
      if (!progress) throw new CheckpointError(`${loaded.path}: has no training progress; it was not written by fit()`);
      const tensors = new Map<string, Float32Array>();
      for (const [k, t] of loaded.tensors) {
        if (!(t.data instanceof Float32Array)) throw new CheckpointError(`${loaded.path}: tensor "${k}" is ${t.dtype}, expected F32`);
        tensors.set(k, t.data);
      }
      try {
        step.restore({ tensors, step: loaded.step, rngState: progress.rngState });
      } catch (e) {
        // NOTE: a checkpoint of another method or encoder holds other tensors; say which file.
        throw new CheckpointError(`${loaded.path}: does not fit this model (${(e as Error).message}); it was written by another method or encoder`);
      }
      loader.seek({ epoch: progress.epoch, batchIndex: progress.batchIndex });
      elapsedBefore = progress.elapsedSeconds;
      epochLosses = [...progress.epochLosses];
      // The same limits keep the saved plan (and so the schedules); others plan anew.
      const saved = planFromJson(progress.plan);
      if (saved && saved.epochs === epochs && saved.maxSteps === maxSteps && saved.timeBudgetSeconds === budget) plan = saved;
      for (const c of callbacks) await c.onResume?.({ path: loaded.path, step: loaded.step, warnings: loaded.warnings });
    }
  }

  const started = now();
  const elapsed = () => elapsedBefore + (now() - started) / 1000;
  const restored = plan !== null;
  // The most steps the limits other than time allow, and which limit that is.
  const epochSteps = loader.batchesPerEpoch * epochs;
  const capped = maxSteps !== null && maxSteps < epochSteps;
  const cap = { totalSteps: capped ? maxSteps : epochSteps, from: capped ? ("max-steps" as const) : ("epochs" as const) };
  if (plan === null) {
    const limits = { epochs, maxSteps, timeBudgetSeconds: budget };
    plan = { ...cap, ...limits, secondsPerStep: null, calibrationSteps: 0, calibrationSeconds: 0 };
    if (budget !== null && step.stepCount < plan.totalSteps) {
      const calibrationSteps = options.calibrationSteps ?? 3;
      const t0 = now();
      const secondsPerStep = await measureSecondsPerStep(step, loader, options.feeds, calibrationSteps, mostPerRun, now);
      const calibrationSeconds = (now() - t0) / 1000;
      // At least one more step: a budget spent before training still trains one (and then stops).
      const fits = step.stepCount + Math.max(1, Math.floor((budget - elapsed()) / secondsPerStep));
      plan = { ...plan, secondsPerStep, calibrationSteps, calibrationSeconds };
      if (fits < plan.totalSteps) plan = { ...plan, totalSteps: fits, from: "time-budget" };
    }
  }
  let planned: StepPlan = plan;
  for (const c of callbacks) await c.onPlan?.({ plan: planned, step: step.stepCount, restored });
  // The few calibration steps run while the process is still warming up (ONNX Runtime's arena,
  // V8 compiling the augmentations) and can be off by 10–25% either way (a SimCLR run planned 745
  // steps of 389 ms that then took 312 ms each), and the machine's speed drifts over a run by as
  // much (another process takes a core; a 600 s run planned once stopped at 474 s). So a budgeted
  // run remakes its plan as often as the step time drifts, resumed runs included.
  const replanner = budget === null ? null : new BudgetReplanner(budget, cap, step.stepCount, elapsed());

  const save = async () => {
    if (!checkpoint) return;
    const snap = step.snapshot();
    const position = loader.position;
    const progress = { ...position, elapsedSeconds: elapsed(), rngState: snap.rngState, epochLosses, plan: planToJson(planned) };
    const tensors = new Map([...snap.tensors].map(([k, data]) => [k, { shape: [data.length], data }]));
    const path = await saveCheckpoint(
      checkpoint.dir,
      { tensors, metadata: { progress, config: checkpoint.metadata ?? null } },
      { step: snap.step, ...(checkpoint.keep === undefined ? {} : { keep: checkpoint.keep }) },
    );
    for (const c of callbacks) await c.onCheckpoint?.({ path, step: snap.step });
  };

  let stoppedBy: StopReason = "epochs";
  let lastSaved = -1;
  const endEpoch = async (epoch: number, meanLoss: number): Promise<void> => {
    epochLosses.push(meanLoss);
    for (const c of callbacks) await c.onEpochEnd?.({ epoch, meanLoss, elapsedSeconds: elapsed() });
  };
  // Wall seconds per step of the last call, which sizes the next one. Until a step is timed, one
  // step per call: it pays the one-time costs, so its time sizes the next call on the safe side.
  let lastSecondsPerStep: number | null = planned.secondsPerStep;
  // What the next step will take, on the safe side: the last call's time (callbacks not included)
  // or the recent mean (everything included), the larger, so that the last call does not overrun.
  const nextStepSeconds = (): number => Math.max(lastSecondsPerStep ?? 0, replanner?.secondsPerStep ?? 0);
  /** How many of the next batches one call may train on: up to the next point where fit acts between steps. */
  const nextRunSize = (batchIndex: number): number => {
    const s = step.stepCount;
    const limits = [mostPerRun, loader.batchesPerEpoch - batchIndex, planned.totalSteps - s];
    if (maxSteps !== null) limits.push(maxSteps - s);
    if (checkpoint?.everySteps) limits.push(checkpoint.everySteps - (s % checkpoint.everySteps));
    if (lastSecondsPerStep === null) limits.push(1);
    else {
      limits.push(stepsPerCall(lastSecondsPerStep, mostPerRun));
      if (budget !== null) limits.push(Math.floor((budget - elapsed()) / nextStepSeconds()));
    }
    let size = Math.max(1, Math.min(...limits));
    const reads = options.readsParametersAt;
    if (reads) for (let k = 1; k < size; k++) if (reads(s + k - 1)) size = k;
    return size;
  };
  const badLimit = options.maxNonFiniteSteps ?? MAX_NON_FINITE_STEPS;
  if (!Number.isInteger(badLimit) || badLimit < 1) throw new Error(`fit: maxNonFiniteSteps must be an integer >= 1, got ${badLimit}`);
  let badInARow = 0;
  /**
   * Runs the batches, skipping each whose loss is not finite: the step applies the steps before
   * it and refuses it (NonFiniteLossError, with those steps), and the batches after it run on. `before` places each
   * skipped batch among the results. The run of bad batches in a row is counted across calls.
   */
  const runSkippingNonFinite = async (pending: readonly T[]) => {
    const results: Awaited<ReturnType<typeof step.runSteps>> = [];
    const skipped: { before: number; step: number; loss: number }[] = [];
    let rest = pending;
    // The run stops at the limit: no batch after the last bad one trains.
    let inARow = badInARow;
    while (rest.length > 0 && inARow < badLimit) {
      try {
        const got = await step.runSteps(rest.map((p) => options.feeds(p)));
        if (got.length > 0) inARow = 0;
        results.push(...got);
        rest = rest.slice(got.length);
      } catch (e) {
        if (!(e instanceof NonFiniteLossError)) throw e;
        if (e.completed.length > 0) inARow = 0;
        results.push(...e.completed);
        skipped.push({ before: results.length, step: e.step, loss: e.loss });
        inARow++;
        rest = rest.slice(e.completed.length + 1);
      }
    }
    return { results, skipped };
  };
  const skip = async (epoch: number, batchIndex: number, loss: number, at: number): Promise<void> => {
    badInARow++;
    const event: SkippedStepEvent = { step: at, epoch, batchIndex, loss, consecutive: badInARow, limit: badLimit };
    for (const c of callbacks) await c.onSkippedStep?.(event);
    if (badInARow >= badLimit) throw new NonFiniteLossError(at, loss, { at: { epoch, batchIndex, consecutive: badInARow } });
  };
  outer: while (loader.position.epoch < epochs) {
    const epoch = loader.position.epoch;
    let sum = 0;
    let count = 0;
    let batchIndex = loader.position.batchIndex;
    let tick = now();
    /** Trains on the pending batches in one call, tells the callbacks, and says whether to stop. */
    const train = async (pending: readonly T[]): Promise<StopReason | null> => {
      const startedRun = elapsed();
      const { results, skipped } = await runSkippingNonFinite(pending);
      // Per step, batch preparation included, as the callbacks and the next call's size see it.
      const secondsPerStep = (now() - tick) / 1000 / Math.max(1, results.length);
      lastSecondsPerStep = secondsPerStep;
      const runSeconds = elapsed() - startedRun;
      for (const [i, result] of results.entries()) {
        for (; skipped[0] !== undefined && skipped[0].before <= i; skipped.shift()) await skip(epoch, batchIndex++, skipped[0].loss, skipped[0].step);
        badInARow = 0;
        sum += result.loss;
        count++;
        const event: StepEvent = {
          ...result,
          epoch,
          batchIndex: batchIndex++,
          batchesPerEpoch: loader.batchesPerEpoch,
          epochs,
          samplesPerSecond: loader.batchSize / secondsPerStep,
          elapsedSeconds: startedRun + ((i + 1) * runSeconds) / results.length,
          scalars: step.options.optimizer.scalars(result.step),
          plannedSteps: planned.totalSteps,
        };
        for (const c of callbacks) await c.onStep?.(event);
      }
      for (const bad of skipped) await skip(epoch, batchIndex++, bad.loss, bad.step);
      tick = now();
      const remade = replanner?.afterCall(planned, step.stepCount, elapsed()) ?? null;
      if (remade !== null) {
        planned = remade;
        for (const c of callbacks) await c.onPlan?.({ plan: planned, step: step.stepCount, restored: false });
      }
      // Spent when the plan is done or another step would end past the budget: a run stops short
      // of its budget by less than a step rather than overrun it.
      const budgetSpent = budget !== null && (budget - elapsed() < nextStepSeconds() || (planned.from === "time-budget" && step.stepCount >= planned.totalSteps));
      const stop = options.signal?.aborted ? "signal" : budgetSpent ? "time-budget" : maxSteps !== null && step.stepCount >= maxSteps ? "max-steps" : null;
      if (stop === null && checkpoint?.everySteps && step.stepCount % checkpoint.everySteps === 0) {
        await save();
        lastSaved = step.stepCount;
      }
      return stop;
    };
    let pending: T[] = [];
    let runSize = 1;
    let stop: StopReason | null = null;
    for await (const item of loader) {
      if (pending.length === 0) runSize = nextRunSize(batchIndex);
      pending.push(item);
      if (pending.length < runSize) continue;
      stop = await train(pending);
      pending = [];
      if (stop) break;
    }
    if (stop === null && pending.length > 0) stop = await train(pending);
    if (stop) {
      stoppedBy = stop;
      // A stop on an epoch's last batch still completes that epoch: its mean loss is reported.
      if (loader.position.epoch > epoch) await endEpoch(epoch, sum / count);
      break outer;
    }
    // NOTE: an epoch resumed mid-way reports the mean over the batches of this run only.
    await endEpoch(epoch, count > 0 ? sum / count : Number.NaN);
  }
  if (lastSaved !== step.stepCount) await save();

  const result: FitResult = {
    steps: step.stepCount,
    epochsCompleted: Math.min(loader.position.epoch, epochs),
    stoppedBy,
    elapsedSeconds: elapsed(),
    epochLosses,
    plan: planned,
  };
  for (const c of callbacks) await c.onEnd?.(result);
  return result;
}

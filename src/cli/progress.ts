import { SingleBar } from "cli-progress";
import type { FitResult, PlanEvent, StepEvent, TrainCallback } from "../train/fit.js";

/** Where a command writes: the process's streams, or buffers in a test. */
export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };
}

/**
 * How training reports progress:
 * - "bar": a progress bar per epoch on stderr (a terminal);
 * - "lines": one line per epoch on stderr (stderr is a file or a CI log);
 * - "json": JSON lines on stdout, one per step and per event, for scripts;
 * - "quiet": nothing but errors.
 */
export type ProgressMode = "bar" | "lines" | "json" | "quiet";

export function progressMode(options: { quiet?: boolean; json?: boolean }, io: Io): ProgressMode {
  if (options.json) return "json";
  if (options.quiet) return "quiet";
  return io.stderr.isTTY ? "bar" : "lines";
}

/** A training step as a `metrics.jsonl` line (snake_case keys, as the report and scripts read them). */
export function stepRecord(e: StepEvent): Record<string, number | string | null> {
  const record: Record<string, number | string | null> = {
    type: "step",
    step: e.step,
    epoch: e.epoch,
    batch: e.batchIndex,
    loss: finiteOrNull(e.loss),
    lr: e.scalars.lr ?? null,
    samples_per_s: round(e.samplesPerSecond, 1),
    elapsed_s: round(e.elapsedSeconds, 3),
  };
  // An EMA target's momentum (BYOL's τ), fed as `target.<name>.momentum`.
  for (const [k, v] of Object.entries(e.scalars)) {
    const target = /^target\.(.+)\.momentum$/.exec(k)?.[1];
    if (target !== undefined) record[`${target}_momentum`] = v;
  }
  for (const [k, v] of Object.entries(e.metrics)) if (!(k in record)) record[k] = finiteOrNull(v);
  return record;
}

/** The step plan as a `metrics.jsonl` line; no epoch limit (`epochs: Infinity`, which JSON lacks) is null. */
export function planRecord(e: PlanEvent): Record<string, number | string | boolean | null> {
  const p = e.plan;
  return {
    type: "plan",
    total_steps: p.totalSteps,
    from: p.from,
    epochs: finiteOrNull(p.epochs),
    max_steps: p.maxSteps,
    time_budget_s: p.timeBudgetSeconds,
    seconds_per_step: p.secondsPerStep === null ? null : round(p.secondsPerStep, 4),
    calibration_steps: p.calibrationSteps,
    calibration_s: round(p.calibrationSeconds, 3),
    start_step: e.step,
    restored: e.restored,
    replanned_at_step: p.replannedAtStep ?? null,
  };
}

/** The plan in words: "planned 187 steps from the 5m00s budget (1.58 s a step, timed on 3 steps)". */
export function describePlan(e: PlanEvent): string {
  const p = e.plan;
  const steps = `${p.totalSteps} step${p.totalSteps === 1 ? "" : "s"}`;
  const source =
    p.from === "time-budget"
      ? `from the ${formatSeconds(p.timeBudgetSeconds ?? Number.NaN)} budget`
      : p.from === "max-steps"
        ? "(max steps)"
        : `(${p.epochs} epoch${p.epochs === 1 ? "" : "s"}${p.timeBudgetSeconds === null ? "" : ` fit in the ${formatSeconds(p.timeBudgetSeconds)} budget`})`;
  if (p.replannedAtStep !== undefined && !e.restored) {
    return `replanned at step ${p.replannedAtStep}: ${steps} ${source} (${fmt(p.secondsPerStep ?? Number.NaN, 3)} s a step so far)`;
  }
  const timing = p.secondsPerStep === null ? "" : ` (${fmt(p.secondsPerStep, 3)} s a step, timed on ${p.calibrationSteps} steps)`;
  return `${e.restored ? "resumed the plan of" : "planned"} ${steps} ${source}${timing}`;
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);
const round = (v: number, digits: number): number => (Number.isFinite(v) ? Number(v.toFixed(digits)) : 0);

/** Formats seconds as `4m05s` / `1h02m` / `12s`. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
}

const fmt = (v: number | undefined, digits = 4): string => (v === undefined || !Number.isFinite(v) ? "-" : Number(v.toPrecision(digits)).toString());

const LINES_EVERY_MS = 30_000;

/**
 * A budget run remakes its plan as the step time drifts, up to ~50 times, mostly by a step or
 * two. The bar's total follows every plan; a line is printed only once the plan has moved by more
 * than this fraction from the last one printed, so a run says how its plan changed in a few lines.
 */
const REPLAN_LINE_CHANGE = 0.05;

/** "/N" after an epoch number, or nothing without an epoch limit. */
const ofEpochs = (epochs: number): string => (Number.isFinite(epochs) ? `/${epochs}` : "");

export interface ProgressOptions {
  readonly timeBudgetSeconds: number | null;
  /** What a sample is, for the rate ("img/s" by default; "seq/s" for text, "rows/s" for tables). */
  readonly rateUnit?: string;
}

/**
 * The progress display as a training callback. The bar is cli-progress (it handles terminal
 * width, redraw throttling and the ETA over a moving window); ETA is for the epoch, and with a
 * time budget the time left of the budget is shown too, since that usually ends the run first.
 */
export class TrainingProgress implements TrainCallback {
  readonly #mode: ProgressMode;
  readonly #io: Io;
  readonly #budget: number | null;
  readonly #unit: string;
  #bar: SingleBar | null = null;
  #barEpoch = -1;
  #last: StepEvent | null = null;
  /** Wall time (ms) of the last "lines" output. */
  #lastLine = performance.now();
  /** Moving average of the wall time of a step, for the "lines" ETA. */
  #secondsPerStep: number | null = null;
  /** A time-budget plan: one bar over the planned steps instead of one per epoch. */
  #wholeRun = false;
  /** The planned steps of the last plan printed, which a re-plan is compared with. */
  #shownSteps: number | null = null;

  constructor(mode: ProgressMode, io: Io, options: ProgressOptions) {
    this.#mode = mode;
    this.#io = io;
    this.#budget = options.timeBudgetSeconds;
    this.#unit = options.rateUnit ?? "img/s";
  }

  get mode(): ProgressMode {
    return this.#mode;
  }

  onPlan(e: PlanEvent): void {
    this.#wholeRun = e.plan.from !== "epochs";
    if (this.#mode === "json") this.#io.stdout.write(`${JSON.stringify(planRecord(e))}\n`);
    if (this.#mode !== "bar" && this.#mode !== "lines") return;
    const total = e.plan.totalSteps;
    const shown = this.#shownSteps;
    const replan = e.plan.replannedAtStep !== undefined && !e.restored && shown !== null;
    // A small re-plan shows only as the bar's total (set at the next step).
    if (replan && Math.abs(total - shown) <= REPLAN_LINE_CHANGE * shown) return;
    this.#shownSteps = total;
    // The line goes above the bar, which the next step redraws.
    this.#stopBar();
    this.#io.stderr.write(`${describePlan(e)}\n`);
  }

  onStep(e: StepEvent): void {
    if (this.#last !== null && e.step === this.#last.step + 1) {
      const dt = e.elapsedSeconds - this.#last.elapsedSeconds;
      this.#secondsPerStep = this.#secondsPerStep === null ? dt : 0.9 * this.#secondsPerStep + 0.1 * dt;
    }
    this.#last = e;
    if (this.#mode === "json") {
      this.#io.stdout.write(`${JSON.stringify(stepRecord(e))}\n`);
      return;
    }
    if (this.#mode === "lines") {
      // NOTE: a line per epoch alone can leave a CI log silent for minutes on a slow machine.
      const now = performance.now();
      if (now - this.#lastLine >= LINES_EVERY_MS) {
        this.#lastLine = now;
        const stepsLeft = this.#wholeRun ? e.plannedSteps - e.step - 1 : e.batchesPerEpoch - e.batchIndex - 1;
        const eta = stepsLeft > 0 && this.#secondsPerStep !== null ? ` | ${this.#wholeRun ? "" : "epoch "}ETA ${formatSeconds(stepsLeft * this.#secondsPerStep)}` : "";
        const where = this.#wholeRun ? `step ${e.step + 1}/${e.plannedSteps} (epoch ${e.epoch + 1})` : `epoch ${e.epoch + 1}${ofEpochs(e.epochs)} step ${e.batchIndex + 1}/${e.batchesPerEpoch}`;
        this.#io.stderr.write(
          `${where} | loss ${fmt(e.loss)} | ${fmt(e.samplesPerSecond, 3)} ${this.#unit}${eta} | ${formatSeconds(e.elapsedSeconds)}\n`,
        );
      }
      return;
    }
    if (this.#mode !== "bar") return;
    const payload = {
      epochLabel: this.#wholeRun ? `epoch ${e.epoch + 1}, step` : `epoch ${e.epoch + 1}${ofEpochs(e.epochs)}`,
      ips: fmt(e.samplesPerSecond, 3),
      loss: fmt(e.loss),
      lr: e.scalars.lr === undefined ? "" : ` | lr ${fmt(e.scalars.lr, 3)}`,
      collapse: e.metrics.collapse_std === undefined ? "" : ` | collapse_std ${fmt(e.metrics.collapse_std, 3)}`,
      budget: this.#budget === null ? "" : ` | budget left ${formatSeconds(this.#budget - e.elapsedSeconds)}`,
    };
    // A budget-planned run has one bar over its planned steps; an epoch-planned run one per epoch.
    const [value, total, barKey] = this.#wholeRun ? [e.step + 1, e.plannedSteps, -1] : [e.batchIndex + 1, e.batchesPerEpoch, e.epoch];
    if (this.#bar === null || this.#barEpoch !== barKey) {
      this.#bar?.stop();
      this.#bar = new SingleBar({
        stream: this.#io.stderr,
        format: `{epochLabel} [{bar}] {value}/{total} | ETA {eta_formatted} | {ips} ${this.#unit} | loss {loss}{lr}{collapse}{budget}`,
        barsize: 24,
        hideCursor: true,
        etaBuffer: 20,
        fps: 5,
      });
      this.#barEpoch = barKey;
      this.#bar.start(total, value, payload);
    } else {
      // A remade plan moves the whole run's end.
      if (this.#bar.getTotal() !== total) this.#bar.setTotal(total);
      this.#bar.update(value, payload);
    }
  }

  onEpochEnd(e: { epoch: number; meanLoss: number; elapsedSeconds: number }): void {
    if (!this.#wholeRun) this.#stopBar();
    if (this.#mode === "json") this.#io.stdout.write(`${JSON.stringify({ type: "epoch", epoch: e.epoch, mean_loss: finiteOrNull(e.meanLoss), elapsed_s: round(e.elapsedSeconds, 3) })}\n`);
    else if (this.#mode === "lines") {
      const l = this.#last;
      const lr = l?.scalars.lr === undefined ? "" : ` | lr ${fmt(l.scalars.lr, 3)}`;
      const collapse = l?.metrics.collapse_std === undefined ? "" : ` | collapse_std ${fmt(l.metrics.collapse_std, 3)}`;
      const extra = l ? ` | ${fmt(l.samplesPerSecond, 3)} ${this.#unit}${lr}${collapse}` : "";
      this.#io.stderr.write(`epoch ${e.epoch + 1}${l ? ofEpochs(l.epochs) : ""} | mean loss ${fmt(e.meanLoss)}${extra} | ${formatSeconds(e.elapsedSeconds)}\n`);
    }
  }

  onResume(e: { path: string; step: number; warnings: readonly string[] }): void {
    if (this.#mode === "json") this.#io.stdout.write(`${JSON.stringify({ type: "resume", step: e.step, checkpoint: e.path, warnings: e.warnings })}\n`);
    else if (this.#mode !== "quiet") {
      this.#io.stderr.write(`resuming from step ${e.step} (${e.path})\n`);
      for (const w of e.warnings) this.#io.stderr.write(`warning: ${w}\n`);
    }
  }

  onEnd(result: FitResult): void {
    this.#stopBar();
    if (this.#mode === "json") {
      this.#io.stdout.write(`${JSON.stringify({ type: "end", steps: result.steps, epochs_completed: result.epochsCompleted, stopped_by: result.stoppedBy, elapsed_s: round(result.elapsedSeconds, 3) })}\n`);
    }
  }

  /** Stops the bar without a trailing partial line (call before printing anything else). */
  close(): void {
    this.#stopBar();
  }

  #stopBar(): void {
    if (this.#bar !== null) {
      this.#bar.stop();
      // cli-progress leaves the cursor on the bar's line; the next epoch's bar goes below it.
      this.#io.stderr.write("\n");
      this.#bar = null;
    }
  }
}

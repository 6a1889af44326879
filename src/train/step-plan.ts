import type { DataLoader } from "../data/loader.js";
import type { HostTensor } from "../runtime/index.js";
import type { JsonValue } from "./checkpoint.js";
import type { TrainStep } from "./train-step.js";

/**
 * How many optimizer steps a run is planned for, and from what: the horizon of its step-based
 * schedules (warmup + cosine, BYOL's target momentum). It is every batch of every epoch, or
 * `maxSteps` if fewer (as Hugging Face's `max_steps` sets its schedules' length). With a time
 * budget, a few steps are first timed (and undone), and the plan is at most the steps that fit in
 * the rest of the budget. The step time then drifts (the process warms up, another process takes
 * a core), so the plan is remade during the run from the recent step times (`BudgetReplanner`),
 * each time continuing the schedules where they are (`schedule`). Saved with every checkpoint: a
 * resumed run keeps it and goes on re-planning by the same rule.
 */
export interface StepPlan {
  readonly totalSteps: number;
  /** Which limit set it: the epochs, `maxSteps`, or the time budget over the measured step time. */
  readonly from: "epochs" | "max-steps" | "time-budget";
  /** The limits the plan was made for; a resume with other limits plans again. `Infinity`: no epoch limit. */
  readonly epochs: number;
  readonly maxSteps: number | null;
  readonly timeBudgetSeconds: number | null;
  /**
   * Wall seconds a step took, as last measured: by calibration (batch preparation included), then
   * by each re-plan (everything between calls included); null without a budget.
   */
  readonly secondsPerStep: number | null;
  /** Steps run to measure it before training; their updates were undone, so training starts where it was. */
  readonly calibrationSteps: number;
  /** Wall time of that measurement, spent from the budget. */
  readonly calibrationSeconds: number;
  /** The step at which the plan was last remade from the steps actually run; absent when it never was. */
  readonly replannedAtStep?: number;
  /** Where the schedules are at each step, once the plan has been remade; absent: at the step itself. */
  readonly schedule?: ScheduleMap;
}

/**
 * How a plan's steps map onto its schedules when the horizon moved during the run. The schedules
 * are made once for `totalSteps` (the first plan's horizon) and read at `scheduleStep(plan, step)`:
 * the map is linear from step 0 through each re-plan's knot to (`plan.totalSteps`, `totalSteps`).
 *
 * What a cosine should do when the horizon moves: keep the point it has reached and spread the
 * rest of the curve over the steps now left. The learning rate (and BYOL's momentum) is then
 * continuous at a re-plan and still ends exactly at the new horizon; only its rate of decay
 * changes. Remaking the schedule for the new horizon at the same step (what a plain
 * `warmupCosine({ totalSteps })` rebuilt on `onPlan` does) would move it backwards when the
 * horizon grows (the rate jumps up) and forwards when it shrinks (it drops), by more the later in
 * the run. Reading the schedule at elapsed / budget instead ("budgeted training", Li et al. 2020)
 * is continuous too, but makes the rate a function of the machine's speed at every step, and a
 * resumed run could no longer repeat it; this map is recorded in the plan, so it is repeated.
 */
export interface ScheduleMap {
  readonly totalSteps: number;
  /** `at` is the schedule's step at the training step `step` where a re-plan took effect. */
  readonly knots: readonly { readonly step: number; readonly at: number }[];
}

/** The horizon a plan's step-based schedules are made for (`ScheduleMap.totalSteps`, else `plan.totalSteps`). */
export function scheduleSteps(plan: StepPlan): number {
  return plan.schedule?.totalSteps ?? plan.totalSteps;
}

/**
 * The (fractional) step at which to read a schedule made for `scheduleSteps(plan)` steps, at the
 * training step `step`: `lr(step) = schedule(scheduleStep(plan, step))`. Only schedules are read
 * so; Adam's bias correction still counts real steps. Past the plan's end it goes on one for one.
 */
export function scheduleStep(plan: StepPlan, step: number): number {
  const map = plan.schedule;
  if (map === undefined) return step;
  if (step >= plan.totalSteps) return map.totalSteps + (step - plan.totalSteps);
  let from = { step: 0, at: 0 };
  for (const to of [...map.knots, { step: plan.totalSteps, at: map.totalSteps }]) {
    if (step < to.step) return from.at + ((to.at - from.at) * (step - from.step)) / (to.step - from.step);
    from = to;
  }
  return from.at;
}

/** `plan` remade at `step` for a new horizon, its schedules continuing from where they are at `step`. */
export function replanned(plan: StepPlan, step: number, next: Pick<StepPlan, "totalSteps" | "from" | "secondsPerStep">): StepPlan {
  if (!(next.totalSteps > step)) throw new Error(`replanned: the new plan must end after step ${step}, got ${next.totalSteps}`);
  const knots = [...(plan.schedule?.knots ?? []), { step, at: scheduleStep(plan, step) }];
  return { ...plan, ...next, replannedAtStep: step, schedule: { totalSteps: scheduleSteps(plan), knots } };
}

/**
 * When and how a budgeted run remakes its plan. Every `CHECK_FRACTION` of the budget (once this
 * process has run `MIN_STEPS` steps), the recent step time is measured (`RecentStepTimes`) and
 * the steps that fit in the budget left are counted; the plan is remade when its end would miss
 * the budget's by more than `TOLERANCE` of the budget and more than a step. So the last check
 * comes within the last 2% of the budget, where even a 25% error in the step time moves the end
 * by 0.5% of it.
 */
export class BudgetReplanner {
  readonly #budget: number;
  readonly #cap: Pick<StepPlan, "totalSteps" | "from">;
  readonly #times: RecentStepTimes;
  readonly #firstStep: number;
  #nextCheck: number;
  #secondsPerStep: number | null = null;

  /** `cap`: the plan the limits other than time allow; `step`, `seconds`: where this process starts. */
  constructor(budgetSeconds: number, cap: Pick<StepPlan, "totalSteps" | "from">, step: number, seconds: number) {
    this.#budget = budgetSeconds;
    this.#cap = cap;
    this.#times = new RecentStepTimes(step, seconds);
    this.#firstStep = step;
    this.#nextCheck = this.#checkAfter(seconds);
  }

  /** The step time of the last check (callbacks and checkpoints included), or null before one. */
  get secondsPerStep(): number | null {
    return this.#secondsPerStep;
  }

  /** Records a call into the runtime that ended at `step` after `seconds` of training; returns the remade plan, if it was. */
  afterCall(plan: StepPlan, step: number, seconds: number): StepPlan | null {
    this.#times.record(step, seconds);
    if (seconds < this.#nextCheck || step - this.#firstStep < MIN_STEPS) return null;
    this.#nextCheck = this.#checkAfter(seconds);
    const secondsPerStep = this.#times.secondsPerStep(WINDOW_FRACTION * this.#budget);
    if (secondsPerStep === null) return null;
    this.#secondsPerStep = secondsPerStep;
    // The run stops before another step would overrun: no plan to remake.
    if (this.#budget - seconds < secondsPerStep) return null;
    const fits = step + Math.max(1, Math.floor((this.#budget - seconds) / secondsPerStep));
    const { totalSteps, from } = fits < this.#cap.totalSteps ? { totalSteps: fits, from: "time-budget" as const } : this.#cap;
    // Kept within the tolerance and when one step off (the stop rule takes up a step either way).
    if (totalSteps <= step || Math.abs(totalSteps - plan.totalSteps) * secondsPerStep <= Math.max(TOLERANCE * this.#budget, secondsPerStep)) return null;
    return replanned(plan, step, { totalSteps, from, secondsPerStep });
  }

  #checkAfter(seconds: number): number {
    const every = CHECK_FRACTION * this.#budget;
    return (Math.floor(seconds / every) + 1) * every;
  }
}

/** How often a budgeted run checks its plan, as a fraction of the budget. */
const CHECK_FRACTION = 0.02;
/**
 * The recent step time is timed over this fraction of the budget: long enough that a one-off
 * stall is diluted (and clipped, see `RecentStepTimes`), short enough that a sustained change
 * (a core taken by another process) is the whole window two checks after it began.
 */
const WINDOW_FRACTION = 0.04;
/** A plan whose end misses the budget's by at most this fraction of the budget is kept: the schedules are not reshaped for noise. */
const TOLERANCE = 0.005;
/** No check before this process has run this many steps: the first steps still run slow. */
const MIN_STEPS = 12;

/**
 * Wall seconds per step over the recent calls of this process, from the ends of its calls into
 * the runtime (so everything between steps counts: batch preparation, callbacks, checkpoints,
 * all of which the budget pays). The window is the calls of the last `windowSeconds` (at least
 * `MIN_WINDOW_STEPS` steps), never the first half of this process's steps: a SimCLR run timed
 * from step 3 planned 1,033 steps of 279 ms that then took 259 ms each. A call slower per step
 * than `CLIP` times the window's median counts as that: one stall (a GC pause, a slow checkpoint
 * write) barely moves the estimate, while a sustained change moves the median itself.
 */
export class RecentStepTimes {
  readonly #firstStep: number;
  /** Call ends, oldest first; the first is where this process started. Pruned from the front. */
  readonly #ends: { step: number; seconds: number }[];

  constructor(step: number, seconds: number) {
    this.#firstStep = step;
    this.#ends = [{ step, seconds }];
  }

  record(step: number, seconds: number): void {
    this.#ends.push({ step, seconds });
  }

  /** The robust mean step time over the window, or null without two steps in it. */
  secondsPerStep(windowSeconds: number): number | null {
    const ends = this.#ends;
    const last = ends[ends.length - 1] as { step: number; seconds: number };
    const notBefore = this.#firstStep + Math.ceil((last.step - this.#firstStep) / 2);
    let start = ends.length - 1;
    while (start > 0) {
      const first = ends[start] as { step: number; seconds: number };
      if (last.seconds - first.seconds >= windowSeconds && last.step - first.step >= MIN_WINDOW_STEPS) break;
      if ((ends[start - 1] as { step: number }).step < notBefore) break;
      start--;
    }
    // Every window from now on starts at or after this one: older calls are never needed again.
    ends.splice(0, start);
    const calls: { steps: number; seconds: number }[] = [];
    for (let i = 1; i < ends.length; i++) {
      const a = ends[i - 1] as { step: number; seconds: number };
      const b = ends[i] as { step: number; seconds: number };
      if (b.step > a.step) calls.push({ steps: b.step - a.step, seconds: b.seconds - a.seconds });
    }
    const steps = calls.reduce((n, c) => n + c.steps, 0);
    if (steps < 2) return null;
    const rates = calls.map((c) => c.seconds / c.steps).sort((x, y) => x - y);
    const median = rates[Math.floor(rates.length / 2)] as number;
    return calls.reduce((t, c) => t + Math.min(c.seconds, CLIP * median * c.steps), 0) / steps;
  }
}

const MIN_WINDOW_STEPS = 8;
const CLIP = 3;

/** A plan as checkpoint JSON: an unlimited `epochs` (Infinity, which JSON lacks) is written as null. */
export function planToJson(plan: StepPlan): JsonValue {
  const { schedule, replannedAtStep, ...rest } = plan;
  return {
    ...rest,
    epochs: Number.isFinite(plan.epochs) ? plan.epochs : null,
    ...(replannedAtStep === undefined ? {} : { replannedAtStep }),
    ...(schedule === undefined ? {} : { schedule: { totalSteps: schedule.totalSteps, knots: schedule.knots.map((k) => ({ ...k })) } }),
  };
}

/** A plan read back from `planToJson`'s JSON (checkpoints of before `schedule` existed included), or null if it is not one. */
export function planFromJson(json: JsonValue | undefined): StepPlan | null {
  const o = record(json);
  if (o === null) return null;
  const num = (k: string): number | null => (typeof o[k] === "number" ? (o[k] as number) : null);
  const from = o.from;
  const totalSteps = num("totalSteps");
  if (totalSteps === null || (from !== "epochs" && from !== "max-steps" && from !== "time-budget")) return null;
  const plan: StepPlan = {
    totalSteps,
    from,
    epochs: num("epochs") ?? Number.POSITIVE_INFINITY,
    maxSteps: num("maxSteps"),
    timeBudgetSeconds: num("timeBudgetSeconds"),
    secondsPerStep: num("secondsPerStep"),
    calibrationSteps: num("calibrationSteps") ?? 0,
    calibrationSeconds: num("calibrationSeconds") ?? 0,
  };
  const replannedAtStep = num("replannedAtStep");
  const map = record(o.schedule);
  const knots = (map !== null && Array.isArray(map.knots) ? map.knots : []).flatMap((json) => {
    const k = record(json);
    return k !== null && typeof k.step === "number" && typeof k.at === "number" ? [{ step: k.step, at: k.at }] : [];
  });
  const schedule = map !== null && typeof map.totalSteps === "number" ? { totalSteps: map.totalSteps, knots } : null;
  return { ...plan, ...(replannedAtStep === null ? {} : { replannedAtStep }), ...(schedule === null ? {} : { schedule }) };
}

function record(json: JsonValue | undefined): { readonly [key: string]: JsonValue } | null {
  return json !== undefined && json !== null && typeof json === "object" && !Array.isArray(json) ? json : null;
}

/**
 * About how long one call into the runtime may run when fit groups steps. A call costs ~1–3 ms
 * beyond its steps (copying the state out, binding, dispatch), which is a quarter of a 10 ms
 * step and nothing to a 250 ms one, so only fast steps are grouped: steps of a quarter second or
 * more (the CNNs and the LM of `npm run bench`) run one per call, and Ctrl-C stays responsive.
 */
const TARGET_RUN_SECONDS = 0.25;

/** How many steps of `secondsPerStep` fit groups into one call: a quarter second's, 1 to `most`. */
export function stepsPerCall(secondsPerStep: number, most: number): number {
  return Math.max(1, Math.min(most, Math.floor(TARGET_RUN_SECONDS / secondsPerStep)));
}

/**
 * Wall seconds per training step, measured on the next `count` batches and then undone: the
 * step's parameters, optimizer and module state, RNG and step count, and the loader's position
 * are put back, so training afterwards is exactly what it would have been without the
 * measurement. The first step is not timed (ONNX Runtime's first run allocates its buffers); the
 * rest run in calls as training will group them (`stepsPerCall` of the first step's time, at
 * most `mostPerRun`), and are timed end to end on `now` (milliseconds), batch preparation included.
 */
export async function measureSecondsPerStep<B extends string, T>(
  step: TrainStep<B>,
  loader: DataLoader<T>,
  feeds: (item: T) => Readonly<Record<B, HostTensor>>,
  count: number,
  mostPerRun: number,
  now: () => number,
): Promise<number> {
  if (!Number.isInteger(count) || count < 2) throw new Error(`fit: calibrationSteps must be an integer >= 2, got ${count}`);
  const snap = step.snapshot();
  // Copies: nothing promises that a backend never reuses the buffers it returned.
  const saved = { ...snap, tensors: new Map([...snap.tensors].map(([k, v]) => [k, Float32Array.from(v)])) };
  const position = loader.position;
  let done = 0;
  let timedFrom = now();
  // Calls as training will make them: after the first step, sized from its (slow) time.
  let perCall = 1;
  try {
    while (done < count) {
      let pending: T[] = [];
      for await (const item of loader) {
        pending.push(item);
        if (pending.length < Math.min(perCall, count - done)) continue;
        await step.runSteps(pending.map(feeds));
        done += pending.length;
        pending = [];
        if (done === 1) {
          const t = now();
          perCall = stepsPerCall((t - timedFrom) / 1000, mostPerRun);
          timedFrom = t;
        }
        if (done >= count) break;
      }
      // An epoch that ended mid-call: train what it gave.
      if (pending.length > 0) {
        await step.runSteps(pending.map(feeds));
        done += pending.length;
      }
    }
  } finally {
    step.restore(saved);
    loader.seek(position);
  }
  return (now() - timedFrom) / 1000 / (count - 1);
}

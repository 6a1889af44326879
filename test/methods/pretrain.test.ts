import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArrayDataset } from "../../src/data/dataset.js";
import { textSpec } from "../../src/data/sample.js";
import { byol } from "../../src/methods/byol.js";
import { effectiveRank } from "../../src/methods/collapse.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { rotation } from "../../src/methods/rotation.js";
import { type Schedule, plannedRate } from "../../src/optim/schedule.js";
import { Rng } from "../../src/random/rng.js";
import { type FitResult, type PlanEvent, type StepEvent, type StepPlan, scheduleStep, scheduleSteps } from "../../src/train/fit.js";
import { NarrowCnn } from "../helpers/narrow-cnn.js";
import { smallMnist } from "./two-view-harness.js";

const BASE_LR = 1e-3;
const WARMUP = 0.25;
const BASE_MOMENTUM = 0.99;
const byolOptions = { learningRateSchedule: "warmup-cosine", warmupFraction: WARMUP } as const;

/** The learning rate of the BYOL runs below, planned for a horizon of `h` steps (warmup + cosine to 0). */
function lrFor(h: number): Schedule {
  const lr = plannedRate(BASE_LR, h, { schedule: "warmup-cosine", warmupFraction: WARMUP });
  if (typeof lr === "number") throw new Error("expected a schedule");
  return lr;
}

/** BYOL's τ(k) = 1 − (1 − τ_base)(cos(πk/K) + 1)/2 over a horizon of K steps. */
const tau = (k: number, total: number) => 1 - ((1 - BASE_MOMENTUM) * (Math.cos((Math.PI * Math.min(k, total)) / total) + 1)) / 2;

/** The largest |d/dk| of `lrFor(h)` and of τ over `h`: how much one schedule step can move them. */
function slopes(h: number): { lr: number; momentum: number } {
  const warmup = Math.min(h - 1, Math.round(WARMUP * h));
  return { lr: Math.max(warmup > 0 ? BASE_LR / warmup : 0, (BASE_LR * Math.PI) / (2 * (h - warmup))), momentum: ((1 - BASE_MOMENTUM) * Math.PI) / (2 * h) };
}

/** The plan in force at `step`: the last one made at or before it (a plan made at step s applies from step s). */
function planAt(plans: readonly PlanEvent[], step: number): StepPlan {
  const made = plans.filter((p) => p.step <= step);
  const last = made[made.length - 1];
  if (last === undefined) throw new Error(`no plan before step ${step}`);
  return last.plan;
}

/**
 * Every step's learning rate and momentum are the schedules of the plan in force read at
 * `scheduleStep(plan, step)`, and across every re-plan they move no more than the schedules' own
 * slope allows over the schedule steps passed (a schedule remade for the new horizon would jump).
 */
function expectFollowsPlans(plans: readonly PlanEvent[], events: readonly StepEvent[]): void {
  for (const e of events) {
    const plan = planAt(plans, e.step);
    const h = scheduleSteps(plan);
    const at = scheduleStep(plan, e.step);
    expect(e.plannedSteps, `step ${e.step}`).toBe(plan.totalSteps);
    expect(e.scalars.lr, `step ${e.step}`).toBeCloseTo(lrFor(h)(at), 15);
    expect(e.scalars["target.target.momentum"], `step ${e.step}`).toBeCloseTo(tau(at, h), 14);
  }
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [events[i - 1] as StepEvent, events[i] as StepEvent];
    if (b.step !== a.step + 1) continue;
    const [pa, pb] = [planAt(plans, a.step), planAt(plans, b.step)];
    if (pa === pb) continue;
    const h = scheduleSteps(pb);
    expect(scheduleSteps(pa), "the horizon of the schedules stays").toBe(h);
    // The schedule step advances as it did under either plan, one step's worth, not more (and
    // not at all once a plan extended after its end has its schedules done).
    const advance = scheduleStep(pb, b.step) - scheduleStep(pa, a.step);
    const most = Math.max(scheduleStep(pa, b.step) - scheduleStep(pa, a.step), scheduleStep(pb, b.step + 1) - scheduleStep(pb, b.step));
    expect(advance, `re-plan at step ${b.step}`).toBeGreaterThanOrEqual(0);
    expect(advance, `re-plan at step ${b.step}`).toBeLessThanOrEqual(most + 1e-9);
    const slope = slopes(h);
    expect(Math.abs((b.scalars.lr as number) - (a.scalars.lr as number)), `lr at step ${b.step}`).toBeLessThanOrEqual(slope.lr * advance + 1e-15);
    const momentum = (e: StepEvent) => e.scalars["target.target.momentum"] as number;
    expect(Math.abs(momentum(b) - momentum(a)), `momentum at step ${b.step}`).toBeLessThanOrEqual(slope.momentum * advance + 1e-15);
  }
}

/**
 * The last step's rate and momentum are the schedules' end: the run ends with its plan, where the
 * map reaches the horizon, or a few steps before it, as the stop rule ends a run rather than start
 * a step that would overrun the budget (the last check of the plan comes within its last 2%).
 */
function expectEndsWithSchedule(result: FitResult, events: readonly StepEvent[]): void {
  const { plan } = result;
  const h = scheduleSteps(plan);
  const last = events[events.length - 1] as StepEvent;
  expect(last.step).toBe(result.steps - 1);
  expect(scheduleStep(plan, plan.totalSteps)).toBe(h);
  expect(result.steps).toBeLessThanOrEqual(plan.totalSteps);
  expect(result.steps).toBeGreaterThanOrEqual(plan.totalSteps - FEW);
  expect(last.scalars.lr).toBeCloseTo(lrFor(h)(scheduleStep(plan, last.step)), 15);
  const nearEnd = scheduleStep(plan, plan.totalSteps - 1 - FEW);
  expect(last.scalars.lr).toBeLessThanOrEqual(lrFor(h)(nearEnd));
  expect(last.scalars["target.target.momentum"]).toBeGreaterThanOrEqual(tau(nearEnd, h));
}

/** Steps a budget run may stop short of its plan (a slower last 2% of the budget). */
const FEW = 3;

/**
 * A clock that runs at real speed for `ms` milliseconds, then twice as fast: to the run, a
 * machine whose steps take twice as long from then on, whatever its real speed (on a slow enough
 * one the real step time alone may never drift past the re-plan tolerance).
 */
function slowsDownAfter(ms: number): () => number {
  const start = performance.now();
  return () => {
    const t = performance.now() - start;
    return t < ms ? t : ms + 2 * (t - ms);
  };
}

const budgetData = () => smallMnist().train.subset(Int32Array.from({ length: 256 }, (_, i) => i));

describe("pretrain follows the step plan", () => {
  it("a time budget's plans set BYOL's momentum and the learning rate schedule, continuous across re-plans and ending with the run", async () => {
    const plans: PlanEvent[] = [];
    const events: StepEvent[] = [];
    const { fit, step } = await pretrain({
      method: byol,
      methodOptions: byolOptions,
      encoder: new NarrowCnn(new Rng(1)),
      dataset: budgetData(),
      batchSize: 32,
      epochs: 1000,
      timeBudgetSeconds: 3,
      now: slowsDownAfter(1000),
      callbacks: [{ onPlan: (e) => void plans.push(e), onStep: (e) => void events.push(e) }],
    });
    await step.release();
    expect(fit.plan.from).toBe("time-budget");
    expect(fit.stoppedBy).toBe("time-budget");
    expect(fit.plan.totalSteps).toBeLessThan(8 * 1000);
    expect(events.length).toBeGreaterThan(10);
    // The steps take twice as long after the first second: the plan is remade.
    expect(plans.length).toBeGreaterThan(1);
    expect(plans.slice(1).every((p) => p.plan.replannedAtStep === p.step && !p.restored)).toBe(true);
    expectFollowsPlans(plans, events);
    expectEndsWithSchedule(fit, events);
    // Warmup from 0, over a quarter of the schedule's horizon.
    expect(events[0]?.scalars.lr).toBe(0);
  }, 60_000);

  it("epochs: Infinity with a time budget trains until the budget; resumed, it keeps its schedules' map", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pretext-pretrain-budget-"));
    try {
      const options = {
        method: byol,
        methodOptions: byolOptions,
        dataset: budgetData(),
        batchSize: 32,
        epochs: Number.POSITIVE_INFINITY,
        timeBudgetSeconds: 3,
        checkpoint: { dir },
      };
      const plans: PlanEvent[] = [];
      const events: StepEvent[] = [];
      const controller = new AbortController();
      // Interrupted once the plan has been remade (or half way through it), then resumed.
      const interrupt = (e: StepEvent) => {
        if (plans.length > 1 || e.step >= e.plannedSteps / 2) controller.abort();
      };
      const first = await pretrain({
        ...options,
        encoder: new NarrowCnn(new Rng(1)),
        signal: controller.signal,
        callbacks: [{ onPlan: (e) => void plans.push(e), onStep: (e) => void (events.push(e), interrupt(e)) }],
      });
      await first.step.release();
      expect(first.fit.stoppedBy).toBe("signal");
      expect(first.fit.plan).toMatchObject({ epochs: Number.POSITIVE_INFINITY, from: "time-budget" });
      const resumedAt = first.fit.steps;

      const second = await pretrain({
        ...options,
        encoder: new NarrowCnn(new Rng(1)),
        resume: true,
        callbacks: [{ onPlan: (e) => void plans.push(e), onStep: (e) => void events.push(e) }],
      });
      await second.step.release();
      const restored = plans.find((p) => p.restored);
      // The plan in force when the first process stopped comes back, schedule map and all.
      expect(restored).toEqual({ step: resumedAt, restored: true, plan: first.fit.plan });
      expect(second.fit.stoppedBy).toBe("time-budget");
      // Within 3% of the budget, the rule (another test file may share the machine).
      expect(second.fit.elapsedSeconds).toBeLessThanOrEqual(1.03 * 3);
      expect(second.fit.steps).toBeGreaterThan(8); // more than one epoch of 8 batches
      expect(events.map((e) => e.step)).toEqual(Array.from({ length: second.fit.steps }, (_, i) => i));
      // The steps of both processes, the resumed first step included, follow one continuous schedule.
      expectFollowsPlans(plans, events);
      expectEndsWithSchedule(second.fit, events);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("epochs: Infinity with maxSteps plans the schedules for maxSteps, across epochs", async () => {
    const plans: PlanEvent[] = [];
    const events: StepEvent[] = [];
    const { fit, step } = await pretrain({
      method: byol,
      methodOptions: byolOptions,
      encoder: new NarrowCnn(new Rng(1)),
      dataset: budgetData(),
      batchSize: 32,
      epochs: Number.POSITIVE_INFINITY,
      maxSteps: 12,
      callbacks: [{ onPlan: (e) => void plans.push(e), onStep: (e) => void events.push(e) }],
    });
    await step.release();
    expect(fit).toMatchObject({ steps: 12, stoppedBy: "max-steps", epochsCompleted: 1, plan: { totalSteps: 12, from: "max-steps", epochs: Number.POSITIVE_INFINITY } });
    expect(plans).toHaveLength(1);
    expect(events.map((e) => e.scalars.lr)).toEqual(Array.from({ length: 12 }, (_, k) => lrFor(12)(k)));
    expect(events.map((e) => e.scalars["target.target.momentum"])).toEqual(Array.from({ length: 12 }, (_, k) => tau(k, 12)));
  }, 60_000);

  it("epochs: Infinity without a time budget or maxSteps is refused before compiling", async () => {
    await expect(pretrain({ method: byol, encoder: new NarrowCnn(new Rng(1)), dataset: budgetData(), batchSize: 32, epochs: Number.POSITIVE_INFINITY })).rejects.toThrow(
      "pretrain: epochs: Infinity needs timeBudgetSeconds or maxSteps to end",
    );
  });

  it("measures the effective rank at the requested points of the plan, from the current weights", async () => {
    const data = smallMnist().train.subset(Int32Array.from({ length: 128 }, (_, i) => i));
    const sample = new Float32Array(32 * 4);
    let calls = 0;
    const ranks: [number, number][] = [];
    const { step } = await pretrain({
      method: rotation,
      encoder: new NarrowCnn(new Rng(2)),
      dataset: data,
      batchSize: 32,
      epochs: 3,
      effectiveRank: {
        points: 3,
        embed: async () => {
          calls++;
          // Stands in for embedDataset: 4-d embeddings, one more dimension used at each call.
          sample.fill(0);
          for (let r = 0; r < 32; r++) for (let d = 0; d < Math.min(4, calls); d++) sample[r * 4 + d] = Math.sin(r * (d + 1.7));
          return { data: sample, length: 32, dim: 4 };
        },
      },
      callbacks: [{ onStep: (e) => void (e.metrics.effective_rank === undefined ? null : ranks.push([e.step, e.metrics.effective_rank])) }],
    });
    await step.release();
    // 12 planned steps, 3 points: steps 0, 6 (every ceil(11 / 2)) and the last, 11.
    expect(ranks.map(([s]) => s)).toEqual([0, 6, 11]);
    expect(ranks[0]?.[1]).toBeCloseTo(1, 6);
    expect(ranks[2]?.[1]).toBeCloseTo(effectiveRank(sample, 32, 4), 10);
  }, 60_000);
});

describe("pretrain checks the modality", () => {
  it("refuses a method on data of another modality, in one line naming both", async () => {
    const tokens = new ArrayDataset({ spec: textSpec(8), fields: { tokens: new BigInt64Array(64 * 8) } });
    await expect(pretrain({ method: byol, encoder: new NarrowCnn(new Rng(1)), dataset: tokens, batchSize: 32, epochs: 1 })).rejects.toThrow(
      "method byol learns from image data; the dataset is text (tokens int64[8])",
    );
  });
});

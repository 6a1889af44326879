import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/train/checkpoint.js";
import {
  BudgetReplanner,
  RecentStepTimes,
  type StepPlan,
  planFromJson,
  planToJson,
  replanned,
  scheduleStep,
  scheduleSteps,
} from "../../src/train/step-plan.js";

const budgetPlan = (totalSteps: number): StepPlan => ({
  totalSteps,
  from: "time-budget",
  epochs: Number.POSITIVE_INFINITY,
  maxSteps: null,
  timeBudgetSeconds: 10,
  secondsPerStep: 0.01,
  calibrationSteps: 3,
  calibrationSeconds: 0.03,
});

/** Calls of `steps` steps of `seconds` each from (step, t); returns where they end. */
function feed(times: RecentStepTimes, from: { step: number; t: number }, calls: number, steps: number, seconds: number) {
  let { step, t } = from;
  for (let i = 0; i < calls; i++) {
    step += steps;
    t += steps * seconds;
    times.record(step, t);
  }
  return { step, t };
}

describe("step plans", () => {
  it("a remade plan continues its schedules where they are and ends them at the new horizon", () => {
    const first = budgetPlan(1000);
    expect(scheduleStep(first, 300)).toBe(300);
    // At step 400 the horizon grows to 1300: the schedule is at 400 of 1000 and spreads the other 600 over 900 steps.
    const longer = replanned(first, 400, { totalSteps: 1300, from: "time-budget", secondsPerStep: 0.008 });
    expect(scheduleSteps(longer)).toBe(1000);
    expect(scheduleStep(longer, 400)).toBe(400);
    expect(scheduleStep(longer, 850)).toBeCloseTo(700, 12);
    expect(scheduleStep(longer, 1300)).toBe(1000);
    // Then shrinks to 1100 at step 850: 300 schedule steps over the 250 left.
    const shorter = replanned(longer, 850, { totalSteps: 1100, from: "time-budget", secondsPerStep: 0.012 });
    expect(scheduleStep(shorter, 850)).toBe(scheduleStep(longer, 850));
    expect(scheduleStep(shorter, 1100)).toBe(1000);
    // The steps before a re-plan keep the map they ran under; past the end it goes on one for one.
    expect(scheduleStep(shorter, 100)).toBe(100);
    expect(scheduleStep(shorter, 600)).toBeCloseTo(scheduleStep(longer, 600), 12);
    expect(scheduleStep(shorter, 1110)).toBe(1010);
    expect(shorter).toMatchObject({ totalSteps: 1100, replannedAtStep: 850, secondsPerStep: 0.012 });
    // Strictly increasing: the schedules never go back.
    for (let s = 1; s <= 1110; s++) expect(scheduleStep(shorter, s)).toBeGreaterThan(scheduleStep(shorter, s - 1));
  });

  it("plans survive checkpoint JSON, an unlimited epochs (Infinity) and a schedule map included; old plans load as they were", () => {
    const plan = replanned(budgetPlan(1000), 123, { totalSteps: 977, from: "time-budget", secondsPerStep: 0.0101 });
    const json = JSON.parse(JSON.stringify(planToJson(plan))) as JsonValue;
    expect(planFromJson(json)).toEqual(plan);
    // A checkpoint of before re-planning: no map, so schedules are read at the step itself.
    const old = { totalSteps: 745, from: "time-budget", epochs: 10, maxSteps: null, timeBudgetSeconds: 290, secondsPerStep: 0.389, calibrationSteps: 3, calibrationSeconds: 1.4, replannedAtStep: 75 };
    const loaded = planFromJson(old) as StepPlan;
    expect(loaded).toEqual(old);
    expect(scheduleStep(loaded, 500)).toBe(500);
    expect(planFromJson(undefined)).toBeNull();
    expect(planFromJson({ from: "epochs" })).toBeNull();
  });

  it("the recent step time shrugs off one stall and follows a sustained change", () => {
    const times = new RecentStepTimes(0, 0);
    let at = feed(times, { step: 0, t: 0 }, 100, 8, 0.01);
    expect(times.secondsPerStep(4)).toBeCloseTo(0.01, 12);
    // A 1 s stall in one call of a 4 s window: +25% on the plain mean, a few % here.
    at = { step: at.step + 8, t: at.t + 8 * 0.01 + 1 };
    times.record(at.step, at.t);
    at = feed(times, at, 40, 8, 0.01);
    expect(times.secondsPerStep(4) as number).toBeLessThan(0.0105);
    // Another process takes a core: steps of 20 ms. Half a window later the estimate is moving; a window later it is there.
    at = feed(times, at, 13, 8, 0.02);
    expect(times.secondsPerStep(4) as number).toBeGreaterThan(0.013);
    at = feed(times, at, 13, 8, 0.02);
    expect(times.secondsPerStep(4)).toBeCloseTo(0.02, 12);
  });

  it("the recent step time leaves out the first half of a process's steps", () => {
    const times = new RecentStepTimes(500, 100);
    // A resumed process: 6 slow steps (warming up), then 6 of 10 ms.
    const at = feed(times, { step: 500, t: 100 }, 6, 1, 0.05);
    feed(times, at, 6, 1, 0.01);
    expect(times.secondsPerStep(1000)).toBeCloseTo(0.01, 12);
  });

  it("remakes a plan at checks every 2% of the budget when its end would miss the budget's by more than 0.5%", () => {
    const cap = { totalSteps: Number.POSITIVE_INFINITY, from: "epochs" as const };
    const replanner = new BudgetReplanner(10, cap, 0, 0.03);
    let plan = budgetPlan(997);
    let step = 0;
    let t = 0.03;
    const remade: number[] = [];
    // 10 ms steps for 3 s (the plan is right), then 12.5 ms.
    while (t < 10) {
      const seconds = t < 3 ? 0.01 : 0.0125;
      step += 4;
      t += 4 * seconds;
      const next = replanner.afterCall(plan, step, t);
      if (next !== null) {
        expect(scheduleStep(next, step)).toBe(scheduleStep(plan, step));
        plan = next;
        remade.push(step);
      }
      if (step >= plan.totalSteps) break;
    }
    // Nothing to remake while the speed holds; a few plans once it changed (checks are 0.2 s apart).
    expect(remade[0]).toBeGreaterThan(300);
    expect(remade.length).toBeGreaterThanOrEqual(2);
    expect(remade.length).toBeLessThan(20);
    expect(Math.abs(t - 10)).toBeLessThan(0.03 * 10);
    expect(scheduleSteps(plan)).toBe(997);
  });
});

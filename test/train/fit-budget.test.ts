import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Schedule, warmupCosine } from "../../src/optim/index.js";
import { Rng } from "../../src/random/rng.js";
import { type PlanEvent, type StepEvent, type StepPlan, fit, scheduleStep, scheduleSteps } from "../../src/train/fit.js";
import { setup, simulate } from "./fit-setup.js";

// Simulated seconds of training: ~2,000 steps of 10 ms, a few real seconds for this tiny step.
const BUDGET = 20;
const STEP = 0.01;

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Seconds of a step by the simulated training time t; each profile is a way the machine's speed changes mid-run. */
const noise = new Rng(11);
const profiles: { name: string; secondsAt: (k: number, t: number) => number }[] = [
  { name: "steady", secondsAt: () => STEP },
  // The run: planned early, then the machine got faster (it stopped at 474 s of 600).
  { name: "faster by a quarter after 30% of the budget", secondsAt: (_, t) => (t < 0.3 * BUDGET ? STEP : 0.75 * STEP) },
  { name: "another process takes a core from 40% to 70%", secondsAt: (_, t) => (t >= 0.4 * BUDGET && t < 0.7 * BUDGET ? 2 * STEP : STEP) },
  { name: "slower by a third in the last 10%", secondsAt: (_, t) => (t < 0.9 * BUDGET ? STEP : (4 / 3) * STEP) },
  { name: "slow calibration, then faster", secondsAt: (k) => (k < 3 ? 1.3 * STEP : STEP) },
  {
    name: "±25% drift and ±25% noise per step",
    secondsAt: (_, t) => STEP * (1 + 0.25 * Math.sin((2 * Math.PI * t) / (0.37 * BUDGET))) * (1 + 0.5 * (noise.uniform() - 0.5)),
  },
];

describe("fit until a time budget", () => {
  it.each(profiles)("ends within 3% of its budget, its schedules done, when the speed does this: $name", async ({ secondsAt }) => {
    const run = await setup(1);
    const { now, stall } = simulate(run.step, secondsAt);
    const plans: PlanEvent[] = [];
    let stalled = false;
    const result = await fit({
      ...run,
      epochs: Number.POSITIVE_INFINITY,
      timeBudgetSeconds: BUDGET,
      now,
      callbacks: [
        {
          onPlan: (e) => void plans.push(e),
          // One slow callback half-way (a GC pause, an evaluation): the budget pays it too.
          onStep: (e: StepEvent) => (!stalled && e.elapsedSeconds > BUDGET / 2 ? ((stalled = true), stall(0.3)) : undefined),
        },
      ],
    });
    expect(result.stoppedBy).toBe("time-budget");
    expect(Math.abs(result.elapsedSeconds - BUDGET)).toBeLessThanOrEqual(0.03 * BUDGET);
    // Never past the budget by more than a step's noise.
    expect(result.elapsedSeconds).toBeLessThanOrEqual(BUDGET + 2.5 * STEP);
    // The schedules end with the run: the plan is done, or all but the last few steps of it.
    const { plan } = result;
    expect(plan.from).toBe("time-budget");
    expect(plan.epochs).toBe(Number.POSITIVE_INFINITY);
    expect(scheduleStep(plan, result.steps) / scheduleSteps(plan)).toBeGreaterThan(0.99);
    // Remade as the speed drifted, at most once a check (every 2% of the budget) after the first.
    expect(plans.length).toBeLessThanOrEqual(2 + 50);
  });

  it("re-plans move the schedules' horizon without a jump: a cosine read at scheduleStep continues from where it is", async () => {
    const BASE = 0.01;
    let current: StepPlan | null = null;
    let cosine: Schedule | null = null;
    const lr = (s: number): number => (current === null || cosine === null ? 0 : cosine(scheduleStep(current, s)));
    const run = await setup(2, lr);
    // Faster after 30% (the horizon grows), slower after 60% (it shrinks).
    const { now } = simulate(run.step, (_, t) => (t < 0.3 * BUDGET ? STEP : t < 0.6 * BUDGET ? 0.75 * STEP : 1.5 * STEP));
    const plans: PlanEvent[] = [];
    const rates: number[] = [];
    let horizon = 0;
    let warmup = 0;
    await fit({
      ...run,
      epochs: Number.POSITIVE_INFINITY,
      timeBudgetSeconds: BUDGET,
      now,
      callbacks: [
        {
          onPlan: (e) => {
            if (current !== null) expect(scheduleStep(e.plan, e.step)).toBe(scheduleStep(current, e.step));
            plans.push(e);
            current = e.plan;
            // The schedule is made once, for the first plan's horizon; re-plans only move the map.
            if (cosine === null) {
              horizon = scheduleSteps(e.plan);
              warmup = Math.round(0.05 * horizon);
              cosine = warmupCosine({ baseLr: BASE, warmupSteps: warmup, totalSteps: horizon });
            }
            expect(scheduleSteps(e.plan)).toBe(horizon);
          },
          // The rate the step was fed: its call ran under the plan of the time.
          onStep: (e) => void rates.push(lr(e.step)),
        },
      ],
    });
    const remade = plans.filter((p) => p.plan.replannedAtStep !== undefined);
    expect(remade.length).toBeGreaterThanOrEqual(2);
    const steepest = (Math.PI / 2) * (BASE / (horizon - warmup));
    // The warmup ends at the peak (a real step later than `warmup` when the horizon grew early).
    const peak = rates.indexOf(Math.max(...rates));
    expect(rates[peak]).toBeCloseTo(BASE, 4);
    for (let s = peak + 1; s < rates.length; s++) {
      const drop = (rates[s - 1] as number) - (rates[s] as number);
      // Never back up the curve, and never faster than twice the first plan's steepest slope
      // (the map's slope is at most the ratio of the step times).
      expect(drop, `step ${s}`).toBeGreaterThanOrEqual(-1e-15);
      expect(drop, `step ${s}`).toBeLessThan(2.5 * steepest);
    }
    expect(rates[rates.length - 1] as number).toBeLessThan(0.01 * BASE);
    // What remaking the cosine for each new horizon at the same step would have done instead: jumps
    // of many steps' worth (up when the horizon grew, down when it shrank).
    const jumps = remade.map(({ step, plan }) => {
      const naive = warmupCosine({ baseLr: BASE, warmupSteps: Math.round(0.05 * plan.totalSteps), totalSteps: plan.totalSteps })(step);
      return Math.abs(naive - (rates[step - 1] as number));
    });
    expect(Math.max(...jumps)).toBeGreaterThan(20 * steepest);
  });

  it("a resumed budget run keeps the plan and re-plans by the same rule, and still ends within 3% of the budget", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pretext-fit-budget-"));
    dirs.push(dir);
    // Slow calibration (so the plan is remade early), then a core taken after the resume.
    const profile = (k: number, t: number) => (k < 3 ? 1.5 * STEP : t < 0.6 * BUDGET ? STEP : t < 0.8 * BUDGET ? 1.5 * STEP : 0.8 * STEP);
    const limits = { epochs: Number.POSITIVE_INFINITY, timeBudgetSeconds: BUDGET, checkpoint: { dir } };

    // Killed (Ctrl-C) at 40% of the budget: a checkpoint is written where it stops.
    const first = await setup(3);
    const controller = new AbortController();
    const stopped = await fit({
      ...first,
      ...limits,
      now: simulate(first.step, profile).now,
      signal: controller.signal,
      callbacks: [{ onStep: (e) => (e.elapsedSeconds >= 0.4 * BUDGET ? controller.abort() : undefined) }],
    });
    expect(stopped.stoppedBy).toBe("signal");
    const knots = stopped.plan.schedule?.knots ?? [];
    expect(knots.length).toBeGreaterThanOrEqual(1);

    // A new process: its clock goes on in training time, its steps counted from 3 (no calibration).
    const second = await setup(3);
    const plans: PlanEvent[] = [];
    const resumed = await fit({
      ...second,
      ...limits,
      resume: true,
      now: simulate(second.step, (k, t) => profile(k + 3, t), { startSeconds: stopped.elapsedSeconds }).now,
      callbacks: [{ onPlan: (e) => void plans.push(e) }],
    });
    expect(plans[0]).toEqual({ plan: stopped.plan, step: stopped.steps, restored: true });
    const later = plans.slice(1);
    expect(later.length).toBeGreaterThanOrEqual(1);
    for (const { plan, restored } of later) {
      expect(restored).toBe(false);
      expect(plan.schedule?.knots.slice(0, knots.length)).toEqual(knots);
      expect(scheduleSteps(plan)).toBe(scheduleSteps(stopped.plan));
    }
    expect(resumed.stoppedBy).toBe("time-budget");
    expect(Math.abs(resumed.elapsedSeconds - BUDGET)).toBeLessThanOrEqual(0.03 * BUDGET);
    expect(scheduleStep(resumed.plan, resumed.steps) / scheduleSteps(resumed.plan)).toBeGreaterThan(0.99);
  });

  it("epochs: Infinity needs a budget or maxSteps, and with maxSteps runs exactly that many", async () => {
    const run = await setup(4);
    await expect(fit({ ...run, epochs: Number.POSITIVE_INFINITY })).rejects.toThrow(/needs timeBudgetSeconds or maxSteps/);
    const events: StepEvent[] = [];
    const result = await fit({ ...run, epochs: Number.POSITIVE_INFINITY, maxSteps: 20, callbacks: [{ onStep: (e) => void events.push(e) }] });
    expect(result).toMatchObject({ steps: 20, stoppedBy: "max-steps", epochsCompleted: 3, plan: { totalSteps: 20, from: "max-steps" } });
    expect(events[19]).toMatchObject({ epoch: 3, batchIndex: 1, plannedSteps: 20 });
  });
});

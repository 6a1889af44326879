import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type PlanEvent, type StepEvent, type StepPlan, fit } from "../../src/train/fit.js";
import { setup, simulate } from "./fit-setup.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("fit", () => {
  it("trains for the given epochs and reports every step", async () => {
    const { step, loader, feeds } = await setup(1);
    const events: StepEvent[] = [];
    const result = await fit({ step, loader, feeds, epochs: 3, callbacks: [{ onStep: (e) => void events.push(e) }] });
    expect(result.stoppedBy).toBe("epochs");
    expect(result.steps).toBe(18);
    expect(events.map((e) => e.batchIndex)).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
    expect(result.epochLosses[2]).toBeLessThan(result.epochLosses[0] as number);
    expect(events[3]?.scalars).toBeDefined();
  });

  it("a step limit that ends on an epoch's last batch still reports that epoch's mean loss", async () => {
    const { step, loader, feeds } = await setup(1);
    const ends: number[] = [];
    const result = await fit({ step, loader, feeds, epochs: 3, maxSteps: 12, callbacks: [{ onEpochEnd: (e) => void ends.push(e.epoch) }] });
    expect(result.stoppedBy).toBe("max-steps");
    expect(result.epochsCompleted).toBe(2);
    expect(result.epochLosses).toHaveLength(2);
    expect(ends).toEqual([0, 1]);
  });

  it("a run stopped after step k and resumed from its checkpoint matches an uninterrupted run exactly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pretext-fit-"));
    dirs.push(dir);

    const whole = await setup(2);
    const wholeLosses: number[] = [];
    await fit({ ...whole, epochs: 3, callbacks: [{ onStep: (e) => void wholeLosses.push(e.loss) }] });

    // First run: stops mid-epoch after 8 steps (as a kill would) and leaves a checkpoint. (Its
    // plan is 8 steps, the resumed one's 18: these schedules are fixed, not planned.)
    const first = await setup(2);
    const firstLosses: number[] = [];
    const stopped = await fit({ ...first, epochs: 3, maxSteps: 8, checkpoint: { dir }, callbacks: [{ onStep: (e) => void firstLosses.push(e.loss) }] });
    expect(stopped.stoppedBy).toBe("max-steps");
    expect((await readdir(dir)).some((f) => f === "checkpoint-8.json")).toBe(true);

    // Second run: a fresh process would rebuild everything from the seed, then resume.
    const second = await setup(2);
    const resumedLosses: number[] = [];
    let resumedFrom = -1;
    const done = await fit({
      ...second,
      epochs: 3,
      checkpoint: { dir },
      resume: true,
      callbacks: [{ onStep: (e) => void resumedLosses.push(e.loss), onResume: (e) => void (resumedFrom = e.step) }],
    });
    expect(resumedFrom).toBe(8);
    expect(done.steps).toBe(18);
    expect([...firstLosses, ...resumedLosses]).toEqual(wholeLosses);
  });

  it.each([
    [1, 5],
    // Steps 1-5 (an epoch has 6 batches) are one call: the abort during step 4's event stops after it.
    [8, 6],
  ])("stops on an aborted signal after the current call (%i steps per call at most) and writes a checkpoint", async (stepsPerRun, stopsAt) => {
    const dir = await mkdtemp(join(tmpdir(), "pretext-fit-"));
    dirs.push(dir);
    const { step, loader, feeds } = await setup(3);
    const controller = new AbortController();
    const steps: number[] = [];
    const result = await fit({
      step,
      loader,
      feeds,
      epochs: 5,
      stepsPerRun,
      checkpoint: { dir },
      signal: controller.signal,
      callbacks: [{ onStep: (e) => (steps.push(e.step), e.step === 4 ? controller.abort() : undefined) }],
    });
    expect(result.stoppedBy).toBe("signal");
    expect(result.steps).toBe(stopsAt);
    expect(steps).toEqual(Array.from({ length: stopsAt }, (_, i) => i));
    expect(await readdir(dir)).toContain(`checkpoint-${stopsAt}.json`);
  });

  it("groups steps into calls up to a checkpoint, an epoch's end and a step whose parameters a callback reads; every step is reported in order", async () => {
    const grouped = await setup(8);
    // Steps of 1 ms: a quarter second holds more than 8, so calls are as long as fit allows.
    const { now, calls: sizes } = simulate(grouped.step, () => 0.001);
    const reported: number[] = [];
    const dir = await mkdtemp(join(tmpdir(), "pretext-fit-"));
    dirs.push(dir);
    const result = await fit({
      ...grouped,
      epochs: 3,
      now,
      checkpoint: { dir, everySteps: 4 },
      readsParametersAt: (s) => s === 9,
      callbacks: [{ onStep: (e) => void reported.push(e.step) }],
    });
    // 6 batches an epoch: the first call is one step (nothing timed yet); then calls end at
    // checkpoints (4, 8, 12, 16), epoch ends (6, 12, 18) and after step 9 (stepCount 10).
    expect(sizes).toEqual([1, 3, 2, 2, 2, 2, 4, 2]);
    expect(reported).toEqual(Array.from({ length: 18 }, (_, i) => i));

    const single = await setup(8);
    const whole = await fit({ ...single, epochs: 3, stepsPerRun: 1 });
    expect(grouped.step.params).toEqual(single.step.params);
    expect(result.epochLosses).toEqual(whole.epochLosses);
  });

  it("plans the steps of a time budget from the measured step time, and the measurement leaves no trace", async () => {
    const { step, loader, feeds } = await setup(4);
    const { now } = simulate(step, () => 0.01);
    const plans: PlanEvent[] = [];
    const events: StepEvent[] = [];
    const result = await fit({
      step,
      loader,
      feeds,
      epochs: 10_000,
      timeBudgetSeconds: 1,
      now,
      callbacks: [{ onPlan: (e) => void plans.push(e), onStep: (e) => void events.push(e) }],
    });
    // Later plans may follow, remade from the steps actually run (tested below).
    const plan = plans[0]?.plan;
    expect(plan).toMatchObject({ from: "time-budget", epochs: 10_000, timeBudgetSeconds: 1, calibrationSteps: 3 });
    expect(plans[0]).toMatchObject({ step: 0, restored: false });
    expect(result.plan).toEqual(plans[plans.length - 1]?.plan);
    const { totalSteps, secondsPerStep, calibrationSeconds } = plan as NonNullable<typeof plan>;
    // The second and third calibration steps, one call of 2: (2 · 10 + 1) ms / 2.
    expect(secondsPerStep).toBeCloseTo(0.0105, 12);
    // The budget left after calibration, divided by the step time.
    expect(totalSteps).toBe(Math.floor((1 - calibrationSeconds) / 0.0105));
    expect(result.stoppedBy).toBe("time-budget");
    expect(result.steps).toBeLessThanOrEqual(result.plan.totalSteps);
    expect(result.elapsedSeconds).toBeLessThanOrEqual(1);
    expect(result.elapsedSeconds).toBeGreaterThan(0.97);
    expect(events[0]?.step).toBe(0);
    expect(events[0]?.plannedSteps).toBe(totalSteps);

    // Calibration was undone: the first steps equal those of a run that measured nothing.
    const plain = await setup(4);
    const plainLosses: number[] = [];
    await fit({ ...plain, epochs: 10_000, maxSteps: 10, callbacks: [{ onStep: (e) => void plainLosses.push(e.loss) }] });
    expect(events.slice(0, 10).map((e) => e.loss)).toEqual(plainLosses);
  });

  it("remakes a time budget's plan from the steps actually run, when calibration was slow", async () => {
    const { step, loader, feeds } = await setup(4);
    // The three calibration steps pay a 30 ms warm-up; then steps take 5 ms.
    const { now } = simulate(step, (k) => (k < 3 ? 0.03 : 0.005));
    const plans: PlanEvent[] = [];
    const events: StepEvent[] = [];
    const result = await fit({
      step,
      loader,
      feeds,
      epochs: 10_000,
      timeBudgetSeconds: 1.5,
      now,
      callbacks: [{ onPlan: (e) => void plans.push(e), onStep: (e) => void events.push(e) }],
    });
    expect(plans.length).toBeGreaterThanOrEqual(2);
    const [first, second] = plans.map((e) => e.plan) as [StepPlan, StepPlan];
    expect(first.replannedAtStep).toBeUndefined();
    // The first check: 12 steps run (two calls of an epoch's 6).
    expect(plans[1]).toMatchObject({ step: 12, restored: false, plan: { from: "time-budget", replannedAtStep: 12 } });
    expect(second.totalSteps).toBeGreaterThan(3 * first.totalSteps);
    expect(second.secondsPerStep as number).toBeLessThan(first.secondsPerStep as number);
    // Progress follows the new plan from the step after it, and the budget is spent, not left over.
    expect(events[11]?.plannedSteps).toBe(first.totalSteps);
    expect(events[12]?.plannedSteps).toBe(second.totalSteps);
    expect(result.plan).toEqual(plans[plans.length - 1]?.plan);
    // Without the second plan the run would end after ~0.3 s (the first plan's steps at their real speed).
    expect(Math.abs(result.elapsedSeconds - 1.5)).toBeLessThan(0.03 * 1.5);
  });

  it("the remade plan times the steps after the first ones, which still run slow", async () => {
    const { step, loader, feeds } = await setup(4);
    // 3 calibration steps of 30 ms, then 6 steps of 40 ms (still warming up), then steady 5 ms steps.
    const { now } = simulate(step, (k) => (k < 3 ? 0.03 : k < 9 ? 0.04 : 0.005));
    const plans: PlanEvent[] = [];
    await fit({ step, loader, feeds, epochs: 10_000, timeBudgetSeconds: 1.5, now, callbacks: [{ onPlan: (e) => void plans.push(e) }] });
    const second = plans[1]?.plan;
    expect(second?.replannedAtStep).toBe(12);
    // Timed from step 0 (the 40 ms steps included) it would read ~23 ms; from step 6 on, ~5 ms.
    expect(second?.secondsPerStep as number).toBeLessThan(0.0055);
  });

  it("a resumed run keeps the saved plan; a new budget plans again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pretext-fit-"));
    dirs.push(dir);
    // Ctrl-C after `steps` steps, so that the limits (and so the plan) stay those of the whole run.
    const stopAfter = (steps: number) => {
      const controller = new AbortController();
      return { signal: controller.signal, callbacks: [{ onStep: (e: StepEvent) => (e.step + 1 === steps ? controller.abort() : undefined) }] };
    };
    const first = await setup(5);
    const budgetRun = { epochs: 10_000, checkpoint: { dir }, stepsPerRun: 1, now: simulate(first.step, () => 0.01).now };
    const stopped = await fit({ ...first, ...budgetRun, timeBudgetSeconds: 2, ...stopAfter(4) });
    expect(stopped).toMatchObject({ stoppedBy: "signal", steps: 4, plan: { from: "time-budget" } });

    const again = await setup(5);
    const plans: PlanEvent[] = [];
    const { signal, callbacks } = stopAfter(6);
    const now = simulate(again.step, () => 0.01).now;
    await fit({ ...again, ...budgetRun, now, timeBudgetSeconds: 2, resume: true, signal, callbacks: [...callbacks, { onPlan: (e) => void plans.push(e) }] });
    expect(plans).toEqual([{ plan: stopped.plan, step: 4, restored: true }]);

    const longer = await setup(5);
    const replans: PlanEvent[] = [];
    const last = stopAfter(7);
    const later = simulate(longer.step, () => 0.01).now;
    await fit({ ...longer, ...budgetRun, now: later, timeBudgetSeconds: 4, resume: true, signal: last.signal, callbacks: [...last.callbacks, { onPlan: (e) => void replans.push(e) }] });
    expect(replans[0]).toMatchObject({ step: 6, restored: false, plan: { timeBudgetSeconds: 4 } });
    expect(replans[0]?.plan.totalSteps).toBeGreaterThan(stopped.plan.totalSteps);
  });

  it("without a time budget the plan is every batch of every epoch, or maxSteps, measured by nothing", async () => {
    const { step, loader, feeds } = await setup(6);
    const result = await fit({ step, loader, feeds, epochs: 2 });
    const unmeasured = { timeBudgetSeconds: null, secondsPerStep: null, calibrationSteps: 0, calibrationSeconds: 0 };
    expect(result.plan).toEqual({ totalSteps: 12, from: "epochs", epochs: 2, maxSteps: null, ...unmeasured });
    const capped = await setup(6);
    const short = await fit({ ...capped, epochs: 2, maxSteps: 5 });
    expect(short.plan).toEqual({ totalSteps: 5, from: "max-steps", epochs: 2, maxSteps: 5, ...unmeasured });
  });
});

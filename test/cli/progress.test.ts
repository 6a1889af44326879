import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { TrainingProgress, planRecord } from "../../src/cli/progress.js";
import type { PlanEvent } from "../../src/train/fit.js";
import { type StepPlan, replanned } from "../../src/train/step-plan.js";

const first: StepPlan = {
  totalSteps: 1000,
  from: "time-budget",
  epochs: Number.POSITIVE_INFINITY,
  maxSteps: null,
  timeBudgetSeconds: 300,
  secondsPerStep: 0.3,
  calibrationSteps: 3,
  calibrationSeconds: 1,
};

/** A progress display in "lines" mode whose stderr is kept as text. */
function linesProgress(): { progress: TrainingProgress; text: () => string } {
  let text = "";
  const stderr = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const progress = new TrainingProgress("lines", { stdout: new PassThrough(), stderr }, { timeBudgetSeconds: 300 });
  return { progress, text: () => text };
}

describe("progress of a re-planned run", () => {
  it("prints a re-plan only once the plan has moved by more than 5% from the last one printed", () => {
    const { progress, text } = linesProgress();
    const events: PlanEvent[] = [{ plan: first, step: 0, restored: false }];
    // Twenty re-plans, each 1% longer than the last: 1010, 1020, ... steps.
    let plan = first;
    for (let k = 1; k <= 20; k++) {
      const step = 40 * k;
      plan = replanned(plan, step, { totalSteps: Math.round(plan.totalSteps * 1.01), from: "time-budget", secondsPerStep: 0.3 / 1.01 ** k });
      events.push({ plan, step, restored: false });
    }
    for (const e of events) progress.onPlan(e);
    const lines = text().trim().split("\n");
    expect(lines[0]).toBe("planned 1000 steps from the 5m00s budget (0.3 s a step, timed on 3 steps)");
    // 1000 → 1061 (the 6th), → 1116 (the 11th), → 1172 (the 16th): three lines for twenty re-plans.
    expect(lines.slice(1).map((l) => /^replanned at step (\d+): (\d+) steps/.exec(l)?.slice(1).map(Number))).toEqual([
      [240, 1061],
      [440, 1116],
      [640, 1172],
    ]);
  });

  it("writes an unlimited epochs as null in metrics.jsonl, and the plan's other fields", () => {
    const record = planRecord({ plan: replanned(first, 100, { totalSteps: 900, from: "time-budget", secondsPerStep: 0.33 }), step: 100, restored: false });
    expect(record).toMatchObject({ type: "plan", total_steps: 900, epochs: null, time_budget_s: 300, start_step: 100, replanned_at_step: 100 });
    expect(JSON.parse(JSON.stringify(record)).epochs).toBeNull();
    expect(planRecord({ plan: { ...first, epochs: 3 }, step: 0, restored: false }).epochs).toBe(3);
  });
});

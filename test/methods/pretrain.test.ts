import { describe, expect, it } from "vitest";
import { ArrayDataset } from "../../src/data/dataset.js";
import { textSpec } from "../../src/data/sample.js";
import { byol } from "../../src/methods/byol.js";
import { effectiveRank } from "../../src/methods/collapse.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { rotation } from "../../src/methods/rotation.js";
import { Rng } from "../../src/random/rng.js";
import type { PlanEvent, StepEvent } from "../../src/train/fit.js";
import { NarrowCnn } from "../helpers/narrow-cnn.js";
import { smallMnist } from "./two-view-harness.js";

// BYOL's τ(k) = 1 − (1 − τ_base)(cos(πk/K) + 1)/2 over the K planned steps.
const tau = (k: number, total: number, base = 0.99) => 1 - ((1 - base) * (Math.cos((Math.PI * k) / total) + 1)) / 2;

describe("pretrain follows the step plan", () => {
  it("a time budget's plan sets BYOL's momentum and the learning rate schedule, not the epochs", async () => {
    const data = smallMnist().train.subset(Int32Array.from({ length: 256 }, (_, i) => i));
    const plans: PlanEvent[] = [];
    const events: StepEvent[] = [];
    const { fit, step } = await pretrain({
      method: byol,
      methodOptions: { learningRateSchedule: "warmup-cosine", warmupFraction: 0.25 },
      encoder: new NarrowCnn(new Rng(1)),
      dataset: data,
      batchSize: 32,
      epochs: 1000,
      timeBudgetSeconds: 3,
      callbacks: [{ onPlan: (e) => void plans.push(e), onStep: (e) => void events.push(e) }],
    });
    await step.release();
    // A second plan may come from the steps actually run; each step follows the plan of its time.
    expect(plans.length).toBeLessThanOrEqual(2);
    const total = fit.plan.totalSteps;
    expect(fit.plan.from).toBe("time-budget");
    expect(total).toBeLessThan(8 * 1000);
    expect(events.length).toBeGreaterThan(2);
    for (const e of events) {
      expect(e.scalars["target.target.momentum"], `step ${e.step}`).toBeCloseTo(tau(e.step, e.plannedSteps), 10);
      expect(e.plannedSteps).toBe(e.step < (fit.plan.replannedAtStep ?? 0) ? plans[0]?.plan.totalSteps : total);
    }
    // Warmup over a quarter of the planned steps, then cosine to 0 at the last one.
    const warmup = Math.round(0.25 * total);
    expect(events[0]?.scalars.lr).toBe(0);
    const at = events.find((e) => e.step === warmup);
    if (at !== undefined) expect(at.scalars.lr).toBeCloseTo(1e-3, 12);
  }, 60_000);

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

import { describe, expect, it } from "vitest";
import { type SimsiamOptions, simsiam, simsiamDefaults } from "../../src/methods/simsiam.js";
import { namedParameters } from "../../src/nn/module.js";
import { adam, flatLayout, warmupCosine } from "../../src/optim/index.js";
import { Rng } from "../../src/random/rng.js";
import { NarrowCnn } from "../helpers/narrow-cnn.js";
import { ends, expectNoCollapse, runMethod } from "./two-view-harness.js";
import { imageSpec } from "../../src/data/sample.js";

describe("simsiam", () => {
  it("on 1,024 MNIST images: the loss falls, no collapse, and it beats a random encoder with 10 labels per class", async () => {
    const run = await runMethod(simsiam, { learningRate: 3e-3 }, { steps: 40, batchSize: 128 });
    const loss = ends(run.losses);
    // The negative cosine starts near 0 and heads to −1; lr 3e-3 because 40 steps are few
    // (measured: at 1e-3 the probe only ties the random encoder this early).
    expect(loss.last).toBeLessThan(loss.first - 0.2);
    expectNoCollapse(run);
    expect(run.trained.linear10).toBeGreaterThan(run.random.linear10);
  }, 60_000);
});

describe("simsiam's predictor learning rate", () => {
  const totalSteps = 100;
  const plan = (options: Partial<SimsiamOptions> = {}) =>
    simsiam.plan({ encoder: new NarrowCnn(new Rng(1)), spec: imageSpec([1, 28, 28]), batchSize: 8, totalSteps, rng: new Rng(2) }, { ...simsiamDefaults, ...options });
  const cosine = warmupCosine({ baseLr: 2e-3, warmupSteps: 0, totalSteps });

  it("by default the predictor keeps the base rate while encoder and projector follow the cosine", () => {
    const p = plan({ learningRate: 2e-3 });
    for (const step of [0, 37, 99]) {
      const fed = p.optimizer.scalars(step);
      const fixed = adam({ lr: 2e-3 }).scalars(step);
      const decayed = adam({ lr: cosine }).scalars(step);
      expect(fed).toEqual({
        "predictor.negStepSize": fixed.negStepSize,
        "predictor.eps": fixed.eps,
        "backbone.negStepSize": decayed.negStepSize,
        "backbone.eps": decayed.eps,
      });
    }
    // The logged rate is the scheduled one.
    expect(typeof p.learningRate === "function" && p.learningRate(99)).toBeCloseTo(cosine(99), 15);
  });

  it("groups every parameter: the predictor's alone, encoder and projector together", () => {
    const p = plan();
    const params = new Map(Object.entries(p.modules).flatMap(([name, m]) => [...namedParameters(m, name)]));
    const state = p.optimizer.init(flatLayout(params));
    expect(Object.keys(state).sort()).toEqual(["gradSum", "squaredGradSum"]);
  });

  it("fixedPredictorLearningRate false, or a constant schedule: one Adam for everything", () => {
    const decayedDefault = warmupCosine({ baseLr: simsiamDefaults.learningRate as number, warmupSteps: 0, totalSteps });
    expect(plan({ fixedPredictorLearningRate: false }).optimizer.scalars(99)).toEqual(adam({ lr: decayedDefault }).scalars(99));
    expect(plan({ learningRateSchedule: "constant" }).optimizer.scalars(99)).toEqual(adam({ lr: simsiamDefaults.learningRate }).scalars(99));
  });

  it("a schedule given in code needs fixedPredictorLearningRate false", () => {
    expect(() => plan({ learningRate: cosine })).toThrow("fixedPredictorLearningRate needs a numeric learningRate");
    expect(Object.keys(plan({ learningRate: cosine, fixedPredictorLearningRate: false }).optimizer.scalars(0)).sort()).toEqual(["eps", "negStepSize"]);
  });
});

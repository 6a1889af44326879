import { describe, expect, it } from "vitest";
import { vicreg } from "../../src/methods/vicreg.js";
import { ends, expectNoCollapse, runMethod } from "./two-view-harness.js";

describe("vicreg", () => {
  it("on 1,024 MNIST images: the loss falls, no collapse, and it beats a random encoder with 10 labels per class", async () => {
    const run = await runMethod(vicreg, {}, { steps: 40, batchSize: 128 });
    const loss = ends(run.losses);
    expect(loss.last).toBeLessThan(loss.first - 0.3);
    expectNoCollapse(run);
    expect(run.trained.linear10).toBeGreaterThan(run.random.linear10);
  }, 60_000);

  it("with a reconstruction term: the decoder learns to rebuild the views (BCE falls) and the encoder still beats a random one", async () => {
    const run = await runMethod(vicreg, { reconstructionWeight: 25 }, { steps: 40, batchSize: 128 });
    const reconstruction = ends(run.metrics.map((m) => m.reconstruction ?? Number.NaN));
    expect(reconstruction.last).toBeLessThan(reconstruction.first - 0.1);
    expectNoCollapse(run);
    expect(run.trained.linear10).toBeGreaterThan(run.random.linear10);
  }, 60_000);

  it("with a rotation term: the head learns the quarter turn both views share, and the encoder still beats a random one", async () => {
    const run = await runMethod(vicreg, { rotationWeight: 5 }, { steps: 40, batchSize: 128 });
    const turnAccuracy = ends(run.metrics.map((m) => m.rotation_accuracy ?? Number.NaN));
    expect(turnAccuracy.first).toBeLessThan(0.5); // chance is 0.25
    expect(turnAccuracy.last).toBeGreaterThan(Math.max(0.5, turnAccuracy.first + 0.2));
    expectNoCollapse(run);
    expect(run.trained.linear10).toBeGreaterThan(run.random.linear10);
  }, 60_000);
});

import { describe, expect, it } from "vitest";
import { dino } from "../../src/methods/dino.js";
import { ends, expectNoCollapse, runMethod } from "./two-view-harness.js";

describe("dino", () => {
  it("on 1,024 MNIST images: the loss falls, the teacher's targets stay sharp but spread, and it beats a random encoder with 10 labels per class", async () => {
    const run = await runMethod(dino, {}, { steps: 40, batchSize: 128 });
    const loss = ends(run.losses);
    expect(loss.last).toBeLessThan(loss.first - 0.3);
    expectNoCollapse(run);
    // collapse to one prototype makes the targets one-hot for every image alike, to the uniform
    // distribution log K = 6.93 nats; centring and sharpening keep them between
    const entropy = ends(run.metrics.map((m) => m.teacher_entropy ?? Number.NaN));
    expect(entropy.last).toBeGreaterThan(0.05);
    expect(entropy.last).toBeLessThan(Math.log(1024) - 0.5);
    expect(run.trained.linear10).toBeGreaterThan(run.random.linear10);
  }, 60_000);
});

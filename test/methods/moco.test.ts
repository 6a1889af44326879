import { describe, expect, it } from "vitest";
import { moco } from "../../src/methods/moco.js";
import { ends, expectNoCollapse, runMethod } from "./two-view-harness.js";

describe("moco", () => {
  it("on 1,024 MNIST images: the loss falls, no collapse, and it beats a random encoder with 10 labels per class", async () => {
    const run = await runMethod(moco, { queueSize: 256 }, { steps: 40, batchSize: 128 });
    const loss = ends(run.losses);
    // The loss first rises while real keys replace the queue's random unit vectors (2 steps at
    // K = 256, B = 128), then falls; K is scaled down with the 1,024-image set.
    const filled = ends(run.losses.slice(2));
    expect(filled.last).toBeLessThan(filled.first - 0.2);
    expectNoCollapse(run);
    expect(run.trained.linear10).toBeGreaterThan(run.random.linear10);
  }, 60_000);
});

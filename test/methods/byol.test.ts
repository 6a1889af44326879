import { describe, expect, it } from "vitest";
import { byol } from "../../src/methods/byol.js";
import { ends, expectNoCollapse, runMethod } from "./two-view-harness.js";

describe("byol", () => {
  it("on 1,024 MNIST images: the loss falls, no collapse, and it beats a random encoder with 10 labels per class", async () => {
    const run = await runMethod(byol, {}, { steps: 40, batchSize: 128 });
    const loss = ends(run.losses);
    expect(loss.last).toBeLessThan(loss.first - 0.3);
    expectNoCollapse(run);
    expect(run.trained.linear10).toBeGreaterThan(run.random.linear10);
  }, 60_000);
});

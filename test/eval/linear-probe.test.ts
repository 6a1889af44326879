import { describe, expect, it } from "vitest";
import { linearProbe, standardizer } from "../../src/eval/index.js";
import { blobs } from "./blobs.js";

describe("linearProbe", () => {
  it("standardizes by the reference's mean and std, leaving constant dimensions at 0", () => {
    const ref = Float32Array.of(1, 5, 3, 5); // dim 2: column 0 mean 2 std 1, column 1 constant
    const f = standardizer(ref, 2);
    expect(Array.from(f(Float32Array.of(3, 5, 1, 5)))).toEqual([1, 0, -1, 0]);
  });

  it("separates blobs, with the sklearn-equivalent decay λ = 1/N for few labels", async () => {
    const train = blobs(10, 3, 5, 3, 1);
    const test = blobs(30, 3, 5, 3, 1);
    const r = await linearProbe(train, test, 5, 3);
    expect(r.weightDecay).toBeCloseTo(1 / 30, 12);
    expect(r.selection).toBeUndefined();
    expect(r.accuracy).toBeGreaterThan(0.95);
  });

  it("selects λ on a held-out slice when there are enough labels, mini-batching a large set", async () => {
    const data = blobs(400, 4, 6, 1, 2); // overlapping: the probe cannot be perfect
    const train = { features: data.features.subarray(0, 1200 * 6), labels: data.labels.subarray(0, 1200) };
    const test = { features: data.features.subarray(1200 * 6), labels: data.labels.subarray(1200) };
    const r = await linearProbe(train, test, 6, 4, { batchSize: 256, decayGrid: [1e-4, 1e-2] });
    expect(r.selection?.map((s) => s.weightDecay)).toEqual([1e-4, 1e-2]);
    expect([1e-4, 1e-2]).toContain(r.weightDecay);
    expect(r.accuracy).toBeGreaterThan(0.5);
    // the same call again reuses the cached sessions and is deterministic
    expect((await linearProbe(train, test, 6, 4, { batchSize: 256, decayGrid: [1e-4, 1e-2] })).accuracy).toBe(r.accuracy);
  });

  it("rejects features that are not rows of dim", async () => {
    const bad = { features: new Float32Array(5), labels: Int32Array.of(0, 1) };
    await expect(linearProbe(bad, bad, 2, 2)).rejects.toThrow(/not 2 rows of 2/);
  });
});

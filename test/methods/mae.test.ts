import { describe, expect, it } from "vitest";
import { maskedAutoencoder, maskedPatchCount, patchMasks } from "../../src/methods/mae.js";
import { Rng } from "../../src/random/rng.js";
import { meanOf, shortRun } from "./pretext-probe.js";

describe("MAE masks", () => {
  it("mask exactly round(ratio · patches) whole patches in every image", () => {
    const [b, h, w, p] = [16, 28, 28, 4];
    for (const ratio of [0.5, 0.75]) {
      const count = maskedPatchCount(49, ratio);
      expect(count).toBe(Math.round(ratio * 49));
      const masks = patchMasks(b, h, w, p, count, new Rng(3));
      for (let i = 0; i < b; i++) {
        let patches = 0;
        for (let pr = 0; pr < h / p; pr++) {
          for (let pc = 0; pc < w / p; pc++) {
            const values = new Set<number>();
            for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) values.add(masks[i * h * w + (pr * p + r) * w + pc * p + c] as number);
            expect(values.size).toBe(1); // a patch is masked whole or not at all
            if (values.has(1)) patches++;
          }
        }
        expect(patches).toBe(count);
      }
    }
  });

  it("draws different masks per image and replays them from the seed", () => {
    const a = patchMasks(2, 28, 28, 4, 37, new Rng(1));
    expect(a.subarray(0, 784)).not.toEqual(a.subarray(784));
    expect(a).toEqual(patchMasks(2, 28, 28, 4, 37, new Rng(1)));
  });

  it("rejects a ratio that masks nothing or everything", () => {
    expect(() => maskedPatchCount(49, 0)).toThrow(/maskRatio/);
    expect(() => maskedPatchCount(4, 0.99)).toThrow(/maskRatio/);
  });
});

describe("MAE on MNIST", () => {
  it("loss falls, no collapse, and the 10-label probe beats a random encoder", async () => {
    const run = await shortRun(maskedAutoencoder, { steps: 100 });
    expect(meanOf(run.losses.slice(-10))).toBeLessThan(0.6 * meanOf(run.losses.slice(0, 5)));
    expect(run.collapse.at(-1) as number).toBeGreaterThan(0.5 * (run.collapse[0] as number));
    expect(run.trained.linear).toBeGreaterThan(run.random.linear);
  }, 60_000);
});

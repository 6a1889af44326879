import { describe, expect, it } from "vitest";
import { autoencoder, corruptImages, denoisingAutoencoder } from "../../src/methods/autoencoder.js";
import { Rng } from "../../src/random/rng.js";
import { meanOf, shortRun } from "./pretext-probe.js";

describe("corruptImages", () => {
  it("masking noise zeroes about the given fraction and leaves the rest", () => {
    const images = new Float32Array(10_000).fill(0.5);
    const out = corruptImages(images, "masking", 0.25, new Rng(0));
    const zeroed = out.filter((v) => v === 0).length / out.length;
    expect(zeroed).toBeGreaterThan(0.23);
    expect(zeroed).toBeLessThan(0.27);
    expect(out.every((v) => v === 0 || v === 0.5)).toBe(true);
    expect(images[0]).toBe(0.5);
  });

  it("gaussian noise stays in [0, 1] and is reproducible from the seed", () => {
    const images = new Float32Array(1000).fill(0.9);
    const a = corruptImages(images, "gaussian", 0.3, new Rng(7));
    expect(a.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(a).toEqual(corruptImages(images, "gaussian", 0.3, new Rng(7)));
  });

  it("rejects a masking fraction above 1", () => {
    expect(() => corruptImages(new Float32Array(4), "masking", 1.5, new Rng(0))).toThrow(/noiseLevel/);
  });
});

// Short runs on 1,024 real MNIST digits with a narrow CNN (test/methods/pretext-probe.ts).
describe.each([
  ["autoencoder", autoencoder],
  ["denoising autoencoder", denoisingAutoencoder],
] as const)("%s on MNIST", (_, method) => {
  it("loss falls, no collapse, and the 10-label probe beats a random encoder", async () => {
    const run = await shortRun(method, { steps: 70 });
    expect(meanOf(run.losses.slice(-10))).toBeLessThan(0.6 * meanOf(run.losses.slice(0, 5)));
    // Collapse would send collapse_std to 0; healthy runs keep it near its start (~0.03 for D = 64 of ReLU features).
    expect(run.collapse.at(-1) as number).toBeGreaterThan(0.5 * (run.collapse[0] as number));
    expect(run.trained.linear).toBeGreaterThan(run.random.linear);
  }, 60_000);
});

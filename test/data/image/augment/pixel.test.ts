import { describe, expect, it } from "vitest";
import {
  type ImageShape,
  type PixelTransform,
  applyPipeline,
  blurKernelSize,
  colorJitter,
  cutout,
  gaussianBlur,
  gaussianNoise,
  randomErasing,
  randomGrayscale,
  solarize,
} from "../../../../src/data/image/augment/index.js";
import { normalZiggurat } from "../../../../src/data/image/augment/ziggurat.js";
import { Rng } from "../../../../src/random/rng.js";
import { inUnitRange, maxAbsDiff, randomBatch } from "./helpers.js";

const gray: ImageShape = [8, 1, 12, 10];
const rgb: ImageShape = [8, 3, 12, 10];

const everyOp = (p: number): PixelTransform[] => [
  colorJitter({ probability: p }),
  randomGrayscale({ probability: p }),
  gaussianBlur({ probability: p }),
  gaussianNoise({ probability: p, std: 0.3 }),
  solarize({ probability: p }),
  randomErasing({ probability: p, value: "random" }),
  cutout({ probability: p }),
];

describe("pixel augmentations", () => {
  it("every op keeps shape and [0, 1], is seeded, and with probability 0 reproduces the input", () => {
    for (const shape of [gray, rgb]) {
      const x = randomBatch(shape);
      for (const op of everyOp(1)) {
        const a = applyPipeline([op], x, shape, new Rng(1));
        expect(a.length, op.name).toBe(x.length);
        expect(inUnitRange(a), op.name).toBe(true);
        expect(applyPipeline([op], x, shape, new Rng(1)), op.name).toEqual(a);
        // at probability 1, solarize and grayscale have nothing random left
        if (op.name !== "solarize" && op.name !== "randomGrayscale") expect(maxAbsDiff(applyPipeline([op], x, shape, new Rng(2)), a), op.name).toBeGreaterThan(0);
      }
      for (const op of everyOp(0)) expect(applyPipeline([op], x, shape, new Rng(1)), op.name).toEqual(x);
    }
  });

  it("brightness then contrast on one channel is the anchor's formula (mean of the brightened image)", () => {
    const x = randomBatch(gray);
    const jitter = colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0, hue: 0, probability: 1, randomOrder: false });
    const out = applyPipeline([jitter], x, gray, new Rng(7));
    const rng = new Rng(7); // replays the op's draws: apply?, brightness factor, contrast factor per sample
    const size = 120;
    const clamp = (v: number): number => Math.min(1, Math.max(0, v));
    for (let s = 0; s < gray[0]; s++) {
      rng.uniform();
      const bf = rng.uniformIn(0.6, 1.4);
      const cf = rng.uniformIn(0.6, 1.4);
      const j = Array.from(x.subarray(s * size, (s + 1) * size), (v) => clamp(v * bf));
      const mean = j.reduce((a, b) => a + b, 0) / size;
      const expected = j.map((v) => clamp(cf * v + (1 - cf) * mean));
      expect(maxAbsDiff(out.subarray(s * size, (s + 1) * size), expected)).toBeLessThan(1e-6);
    }
  });

  it("saturation, hue and grayscale do nothing to one channel; on RGB they keep gray pixels gray", () => {
    const x = randomBatch(gray);
    const colorOnly = [colorJitter({ brightness: 0, contrast: 0, saturation: 0.8, hue: 0.5, probability: 1 }), randomGrayscale({ probability: 1 })];
    expect(applyPipeline(colorOnly, x, gray, new Rng(1))).toEqual(x);
    // an RGB batch whose three channels are equal is a gray image: hue/saturation leave it alone
    const g = randomBatch(gray);
    const asRgb = new Float32Array(8 * 3 * 120);
    for (let s = 0; s < 8; s++) for (let c = 0; c < 3; c++) asRgb.set(g.subarray(s * 120, (s + 1) * 120), (s * 3 + c) * 120);
    // NOTE: torchvision's luma weights sum to 0.9999, so saturation moves gray by up to 1e-4·(1 − f)
    expect(maxAbsDiff(applyPipeline(colorOnly.slice(0, 1), asRgb, rgb, new Rng(1)), asRgb)).toBeLessThan(2e-4);
    // a colored batch changes, and grayscale makes the three channels equal
    const c = randomBatch(rgb);
    expect(maxAbsDiff(applyPipeline(colorOnly.slice(0, 1), c, rgb, new Rng(1)), c)).toBeGreaterThan(0.05);
    const grayed = applyPipeline(colorOnly.slice(1), c, rgb, new Rng(1));
    expect(maxAbsDiff(grayed.subarray(0, 120), grayed.subarray(120, 240))).toBe(0);
    expect(grayed[0]).toBeCloseTo(0.2989 * (c[0] as number) + 0.587 * (c[120] as number) + 0.114 * (c[240] as number), 6);
  });

  it("solarize inverts values at or above the threshold", () => {
    const x = randomBatch(gray);
    const out = applyPipeline([solarize({ threshold: 0.5, probability: 1 })], x, gray, new Rng(0));
    x.forEach((v, i) => expect(out[i]).toBeCloseTo(v >= 0.5 ? 1 - v : v, 6));
  });

  it("gaussian noise has the requested spread; the ziggurat sampler is standard normal", () => {
    const shape: ImageShape = [16, 1, 28, 28];
    const x = new Float32Array(16 * 784).fill(0.5);
    const out = applyPipeline([gaussianNoise({ std: 0.1 })], x, shape, new Rng(3));
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    const variance = out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.002);
    expect(Math.sqrt(variance)).toBeCloseTo(0.1, 2);
    const rng = new Rng(11);
    const n = 200_000;
    let m1 = 0, m2 = 0, m4 = 0, beyond2 = 0;
    for (let i = 0; i < n; i++) {
      const z = normalZiggurat(rng);
      m1 += z; m2 += z * z; m4 += z ** 4;
      if (Math.abs(z) > 2) beyond2++;
    }
    expect(Math.abs(m1 / n)).toBeLessThan(0.01);
    expect(m2 / n).toBeCloseTo(1, 1);
    expect(m4 / n).toBeCloseTo(3, 0); // normal kurtosis
    expect(beyond2 / n).toBeCloseTo(0.0455, 2);
  });

  it("blur keeps constant images, preserves mass inside the image and uses a 10% odd kernel", () => {
    expect(blurKernelSize(0.1, 28)).toBe(3);
    expect(blurKernelSize(0.1, 224)).toBe(23); // BYOL's kernel
    const shape: ImageShape = [1, 1, 28, 28];
    const flat = new Float32Array(784).fill(0.3);
    expect(maxAbsDiff(applyPipeline([gaussianBlur({ probability: 1 })], flat, shape, new Rng(0)), flat)).toBeLessThan(1e-6);
    const impulse = new Float32Array(784);
    impulse[14 * 28 + 14] = 1;
    const out = applyPipeline([gaussianBlur({ probability: 1, sigma: [1, 1] })], impulse, shape, new Rng(0));
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(out[14 * 28 + 13]).toBeCloseTo(out[14 * 28 + 15] as number, 6);
    expect(out[13 * 28 + 14]).toBeCloseTo(out[14 * 28 + 13] as number, 6);
    expect(out[14 * 28 + 16]).toBe(0); // a 3-tap kernel reaches one pixel
    const w = Math.exp(-0.5);
    expect(out[14 * 28 + 14]).toBeCloseTo((1 / (1 + 2 * w)) ** 2, 6);
  });

  it("erasing fills one rectangle within the area range; cutout a clipped square", () => {
    const shape: ImageShape = [50, 1, 20, 20];
    const ones = new Float32Array(50 * 400).fill(1);
    const erased = applyPipeline([randomErasing({ probability: 1 })], ones, shape, new Rng(2));
    const cut = applyPipeline([cutout({ size: 0.5 })], ones, shape, new Rng(2));
    for (const [out, minArea, maxArea] of [[erased, 0.02 * 400 * 0.5, 0.33 * 400 * 1.5], [cut, 1, 100]] as const) {
      for (let s = 0; s < 50; s++) {
        let top = 20, bottom = -1, left = 20, right = -1, zeros = 0;
        for (let i = 0; i < 20; i++) {
          for (let j = 0; j < 20; j++) {
            if (out[s * 400 + i * 20 + j] !== 0) continue;
            zeros++;
            top = Math.min(top, i); bottom = Math.max(bottom, i); left = Math.min(left, j); right = Math.max(right, j);
          }
        }
        expect(zeros).toBe((bottom - top + 1) * (right - left + 1)); // one filled rectangle
        expect(zeros).toBeGreaterThanOrEqual(minArea);
        expect(zeros).toBeLessThanOrEqual(maxArea);
      }
    }
  });
});

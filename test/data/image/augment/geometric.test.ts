import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  type ImageShape,
  applyPipeline,
  randomAffine,
  randomHorizontalFlip,
  randomResizedCrop,
  resampleAffine,
} from "../../../../src/data/image/augment/index.js";
import { Rng } from "../../../../src/random/rng.js";
import { inUnitRange, maxAbsDiff, randomBatch } from "./helpers.js";

interface FixtureCase {
  shape: [number, number, number, number];
  theta: number[];
  input: number[];
  output: number[];
}
// torch 1.13 affine_grid + grid_sample(bilinear, zeros, align_corners=False): make-grid-sample-fixture.py
const fixture = JSON.parse(readFileSync(new URL("./grid-sample-fixture.json", import.meta.url), "utf8")) as { cases: FixtureCase[] };

const square: ImageShape = [6, 1, 28, 28];
const oblong: ImageShape = [3, 2, 5, 7];

describe("resampleAffine", () => {
  it("matches PyTorch's affine_grid + grid_sample (align_corners=False, zeros padding), square and oblong", () => {
    for (const { shape, theta, input, output } of fixture.cases) {
      const [n, , h, w] = shape;
      // normalized θ → centered pixel coordinates: S·θ·S⁻¹ with S = diag(W/2, H/2)
      const maps = new Float64Array(6 * n);
      for (let s = 0; s < n; s++) {
        const [t00, t01, t02, t10, t11, t12] = theta.slice(6 * s, 6 * s + 6) as [number, number, number, number, number, number];
        maps.set([t00, (t01 * w) / h, (t02 * w) / 2, (t10 * h) / w, t11, (t12 * h) / 2], 6 * s);
      }
      // NOTE: torch computes the grid in float32 and the fixture keeps 6 decimals; we use float64.
      expect(maxAbsDiff(resampleAffine(Float32Array.from(input), shape, maps), output)).toBeLessThan(1e-5);
    }
  });
});

describe("geometric augmentations", () => {
  it("identity settings reproduce the input exactly", () => {
    const x = randomBatch(square);
    const identity = [randomResizedCrop({ scale: [1, 1], ratio: [1, 1] }), randomAffine(), randomHorizontalFlip({ probability: 0 })];
    expect(applyPipeline(identity, x, square, new Rng(3))).toEqual(x);
    // an oblong image's full-size crop has the image's aspect ratio
    const y = randomBatch(oblong);
    expect(maxAbsDiff(applyPipeline([randomResizedCrop({ scale: [1, 1], ratio: [7 / 5, 7 / 5] })], y, oblong, new Rng(3)), y)).toBeLessThan(1e-6);
  });

  it("a flip mirrors each row, and flipping twice is the identity", () => {
    const x = randomBatch(oblong);
    const flip = randomHorizontalFlip({ probability: 1 });
    const once = applyPipeline([flip], x, oblong, new Rng(1));
    for (let row = 0; row < 3 * 2 * 5; row++) {
      for (let j = 0; j < 7; j++) expect(once[row * 7 + j]).toBe(x[row * 7 + 6 - j]);
    }
    expect(applyPipeline([flip, flip], x, oblong, new Rng(1))).toEqual(x);
    expect(applyPipeline([flip], once, oblong, new Rng(2))).toEqual(x);
  });

  it("rotates counter-clockwise by +90° exactly where expected", () => {
    const shape: ImageShape = [2, 2, 5, 5];
    const x = randomBatch(shape);
    const out = applyPipeline([randomAffine({ degrees: [90, 90] })], x, shape, new Rng(0));
    // counter-clockwise: out[i][j] = in[j][W−1−i] (the top-right corner moves to the top-left)
    const expected = new Float32Array(x.length);
    for (let p = 0; p < 4; p++) {
      for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expected[p * 25 + i * 5 + j] = x[p * 25 + j * 5 + (4 - i)] as number;
    }
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-6);
  });

  it("a crop of a quarter of the area magnifies twice", () => {
    const maps = randomResizedCrop({ scale: [0.25, 0.25], ratio: [1, 1] }).sampleMaps(square, new Rng(4));
    for (let s = 0; s < square[0]; s++) {
      const [a, b, tx, c, d, ty] = maps.slice(6 * s, 6 * s + 6);
      expect([a, b, c, d]).toEqual([0.5, 0, 0, 0.5]);
      // the window stays inside the image: |center| ≤ (1 − 0.5)·14 px
      expect(Math.abs(tx as number)).toBeLessThanOrEqual(7);
      expect(Math.abs(ty as number)).toBeLessThanOrEqual(7);
    }
    // a centered 4×4 square becomes a centered 8×8 square
    const x = new Float32Array(28 * 28);
    for (let i = 12; i < 16; i++) for (let j = 12; j < 16; j++) x[i * 28 + j] = 1;
    const zoom = new Float64Array([0.5, 0, 0, 0, 0.5, 0]);
    const out = resampleAffine(x, [1, 1, 28, 28], zoom);
    let bright = 0;
    for (const v of out) if (v > 0.99) bright++;
    expect(bright).toBe(6 * 6); // the 8×8 square's bilinear ramp leaves its inner 6×6 at 1
    expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(4 * 16, 4);
  });

  it("crop areas follow `scale`: det of the map is the area fraction for a square image", () => {
    const maps = randomResizedCrop({ scale: [0.5, 1], rotationDegrees: 15, shearDegrees: 10 }).sampleMaps([500, 1, 28, 28], new Rng(9));
    for (let s = 0; s < 500; s++) {
      const [a = 0, b = 0, , c = 0, d = 0] = maps.slice(6 * s, 6 * s + 6);
      const det = a * d - b * c;
      expect(det).toBeGreaterThan(0.5 * 0.9); // clamping a window to the image only shrinks it slightly
      expect(det).toBeLessThanOrEqual(1 + 1e-12);
    }
  });

  it("keeps shape and range, does not touch the input, and is a function of the seed", () => {
    const x = randomBatch(oblong);
    const before = x.slice();
    const pipeline = [randomResizedCrop({ rotationDegrees: 30, shearDegrees: 20 }), randomHorizontalFlip(), randomAffine({ degrees: 45, translate: [0.2, 0.1], scale: [0.8, 1.2], shearDegrees: 10 })];
    const a = applyPipeline(pipeline, x, oblong, new Rng(5));
    expect(x).toEqual(before);
    expect(a.length).toBe(x.length);
    expect(inUnitRange(a)).toBe(true);
    expect(applyPipeline(pipeline, x, oblong, new Rng(5))).toEqual(a);
    expect(maxAbsDiff(applyPipeline(pipeline, x, oblong, new Rng(6)), a)).toBeGreaterThan(0.1);
  });

  it("rejects bad options and mismatched batches", () => {
    expect(() => randomResizedCrop({ scale: [0, 1] })).toThrow(/scale/);
    expect(() => randomResizedCrop({ ratio: [2, 1] })).toThrow(/ratio/);
    expect(() => randomHorizontalFlip({ probability: 1.5 })).toThrow(/probability/);
    expect(() => applyPipeline([randomHorizontalFlip()], new Float32Array(10), [1, 1, 3, 3], new Rng(0))).toThrow(/10 values/);
  });
});

import { describe, expect, it } from "vitest";
import {
  type ImageShape,
  augmentBatch,
  byolPreset,
  maePreset,
  mocoV2Preset,
  multiView,
  randomHorizontalFlip,
  simclrMnistPipeline,
  simclrPreset,
  solarize,
} from "../../../../src/data/image/augment/index.js";
import { imageBatch } from "../../../../src/data/image/image-dataset.js";
import { type Batch, DataLoader } from "../../../../src/data/loader.js";
import { loadMnist } from "../../../../src/data/image/mnist.js";
import { Rng } from "../../../../src/random/rng.js";
import { inUnitRange, maxAbsDiff } from "./helpers.js";
import { imageDataset, sampleImage } from "../../../../src/data/image/image-dataset.js";

const shape: ImageShape = [32, 1, 28, 28];
const mnist = loadMnist();
const digits = new Float32Array(32 * 784);
for (let i = 0; i < 32; i++) digits.set(sampleImage(mnist.get(i * 311)), i * 784);
const batch = { images: digits, shape };

describe("multiView and presets", () => {
  it("returns N distinct views, leaves the batch alone, and replays from the seed", () => {
    const before = digits.slice();
    const views = multiView([simclrMnistPipeline(), simclrMnistPipeline(), simclrMnistPipeline()]);
    const a = views(batch, new Rng(1));
    expect(a).toHaveLength(3);
    expect(digits).toEqual(before);
    for (const v of a) {
      expect(v.length).toBe(digits.length);
      expect(inUnitRange(v)).toBe(true);
      expect(maxAbsDiff(v, digits)).toBeGreaterThan(0.2);
    }
    expect(maxAbsDiff(a[0] as Float32Array, a[1] as Float32Array)).toBeGreaterThan(0.2);
    expect(maxAbsDiff(a[1] as Float32Array, a[2] as Float32Array)).toBeGreaterThan(0.2);
    const b = views(batch, new Rng(1));
    a.forEach((v, k) => expect(b[k]).toEqual(v));
    const c = views(batch, new Rng(2));
    a.forEach((v, k) => expect(maxAbsDiff(c[k] as Float32Array, v)).toBeGreaterThan(0.2));
  });

  it("each view draws from its own split generator, so one view does not shift another", () => {
    const x = multiView([simclrMnistPipeline(), [randomHorizontalFlip()]])(batch, new Rng(4));
    const y = multiView([[solarize({ probability: 0.5 })], [randomHorizontalFlip()]])(batch, new Rng(4));
    expect(y[1]).toEqual(x[1]);
  });

  it("every preset constructs and runs on MNIST shapes", () => {
    for (const preset of [simclrPreset(), byolPreset(), mocoV2Preset(), maePreset()]) {
      const views = multiView(preset.views)(batch, new Rng(0));
      expect(views, preset.name).toHaveLength(preset.name === "mae" ? 1 : 2);
      for (const v of views) {
        expect(v.length, preset.name).toBe(digits.length);
        expect(inUnitRange(v), preset.name).toBe(true);
      }
    }
    // BYOL is asymmetric (table 6): blur p 1.0 / 0.1, solarization p 0 / 0.2
    const option = (view: readonly { name: string; options: Readonly<Record<string, unknown>> }[], name: string) => view.find((t) => t.name === name)?.options;
    const [first = [], second = []] = byolPreset().views;
    expect(option(first, "gaussianBlur")).toMatchObject({ probability: 1 });
    expect(option(second, "gaussianBlur")).toMatchObject({ probability: 0.1 });
    expect(option(first, "solarize")).toMatchObject({ probability: 0 });
    expect(option(second, "solarize")).toMatchObject({ probability: 0.2 });
    // the SimCLR-MNIST view is the anchor's pipeline
    expect(simclrMnistPipeline().map((t) => [t.name, t.options])).toEqual([
      ["randomResizedCrop", { scale: [0.5, 1], ratio: [3 / 4, 4 / 3], rotationDegrees: [-15, 15], shearDegrees: [-10, 10] }],
      ["colorJitter", { brightness: 0.4, contrast: 0.4, saturation: 0, hue: 0, probability: 0.8, randomOrder: false }],
      ["gaussianNoise", { std: 0.1, probability: 1 }],
    ]);
  });

  it("a MAE view only crops: no new intensities beyond interpolation", () => {
    const [view] = multiView(maePreset().views)(batch, new Rng(3));
    expect(Math.max(...(view as Float32Array))).toBeLessThanOrEqual(1);
    expect(maxAbsDiff(view as Float32Array, digits)).toBeGreaterThan(0.2);
  });

  it("augmentBatch plugs a pipeline into the loader, reproducibly", () => {
    const data = imageDataset(digits, [1, 28, 28]);
    const make = () => new DataLoader(data, { batchSize: 8, seed: 5, transform: augmentBatch(simclrMnistPipeline()) });
    const a = make().next();
    const b = make().next();
    const pixels = (x: Batch) => imageBatch(x, "test").images;
    expect(a.fields.image?.shape).toEqual([8, 1, 28, 28]);
    expect(pixels(b)).toEqual(pixels(a));
    const plain = new DataLoader(data, { batchSize: 8, seed: 5 }).next();
    expect(Array.from(plain.indices)).toEqual(Array.from(a.indices));
    expect(maxAbsDiff(pixels(plain), pixels(a))).toBeGreaterThan(0.2);
  });
});

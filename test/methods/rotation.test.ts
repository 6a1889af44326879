import { describe, expect, it } from "vitest";
import { argMaxAccuracy, rotateImages, rotation } from "../../src/methods/rotation.js";
import { Rng } from "../../src/random/rng.js";
import { float32, int64 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { NarrowCnn } from "../helpers/narrow-cnn.js";
import { meanOf, shortRun } from "./pretext-probe.js";
import { imageSpec } from "../../src/data/sample.js";
import { imageBatchOf } from "../helpers/batches.js";

// An asymmetric 3×3 image:   1 2 3
//                            4 5 6
//                            7 8 9
const image = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe("rotateImages", () => {
  it("turns 90° counter-clockwise as torch.rot90(x, 1, (2, 3))", () => {
    // torch.rot90(torch.arange(1, 10).view(3, 3), 1) == [[3, 6, 9], [2, 5, 8], [1, 4, 7]]
    expect([...rotateImages(image, [1, 1, 3, 3], [1])]).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7]);
    expect([...rotateImages(image, [1, 1, 3, 3], [2])]).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect([...rotateImages(image, [1, 1, 3, 3], [3])]).toEqual([7, 4, 1, 8, 5, 2, 9, 6, 3]);
    expect([...rotateImages(image, [1, 1, 3, 3], [0])]).toEqual([...image]);
  });

  it("rotates each image and channel by its own turns; four turns are the identity", () => {
    const two = Float32Array.from([...image, ...image.map((v) => v + 10)]);
    const once = rotateImages(two, [2, 1, 3, 3], [1, 3]);
    expect([...once.subarray(0, 9)]).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7]);
    expect([...once.subarray(9)]).toEqual([17, 14, 11, 18, 15, 12, 19, 16, 13]);
    let x: Float32Array = two;
    for (let i = 0; i < 4; i++) x = rotateImages(x, [1, 2, 3, 3], [1]);
    expect(x).toEqual(two);
  });

  it("rejects non-square images", () => {
    expect(() => rotateImages(new Float32Array(6), [1, 1, 2, 3], [1])).toThrow(/square/);
  });
});

describe("rotation views", () => {
  it("label k is the image turned k times, all four per image when allRotations", () => {
    const setup = { encoder: new NarrowCnn(new Rng(0)), spec: imageSpec([1, 3, 3]), batchSize: 1, totalSteps: 1, rng: new Rng(0) };
    const plan = rotation.plan(setup, { ...rotation.defaults, allRotations: true, augmentation: "none" });
    const views = plan.views(imageBatchOf(image, [1, 3, 3]), new Rng(0));
    expect(views.labels?.data).toEqual(BigInt64Array.of(0n, 1n, 2n, 3n));
    const rotated = views.images?.data as Float32Array;
    for (let k = 0; k < 4; k++) expect(rotated.subarray(9 * k, 9 * k + 9)).toEqual(rotateImages(image, [1, 1, 3, 3], [k]));
  });

  it("augments each image first, then turns it: the four rows are one augmented image turned 0-3 times", () => {
    const setup = { encoder: new NarrowCnn(new Rng(0)), spec: imageSpec([1, 3, 3]), batchSize: 1, totalSteps: 1, rng: new Rng(0) };
    const plan = rotation.plan(setup, { ...rotation.defaults, allRotations: true, augmentation: "simclr" });
    const views = plan.views(imageBatchOf(image, [1, 3, 3]), new Rng(0));
    const rotated = views.images?.data as Float32Array;
    const augmented = rotated.slice(0, 9);
    expect(augmented).not.toEqual(image);
    for (let k = 1; k < 4; k++) expect(rotated.subarray(9 * k, 9 * k + 9)).toEqual(rotateImages(augmented, [1, 1, 3, 3], [k]));
  });
});

describe("argMaxAccuracy", () => {
  it("counts rows whose label has the largest logit", async () => {
    const logits = float32([3, 4], [0, 5, 1, 2, 9, 0, 0, 0, 1, 2, 3, 0]);
    const acc = await evaluate1((l, y) => argMaxAccuracy(l, y), [logits, int64([3], [1, 0, 3])]);
    expect(acc.values[0]).toBeCloseTo(2 / 3, 6);
  });
});

describe("rotation on MNIST", () => {
  it("loss falls, no collapse, and the 10-label probe beats a random encoder", async () => {
    const run = await shortRun(rotation, { steps: 100 });
    // Augmented digits keep the task open: the loss falls from ln 4 to ~0.75 (to ~0.1 on clean digits).
    expect(meanOf(run.losses.slice(-10))).toBeLessThan(0.7 * meanOf(run.losses.slice(0, 5)));
    expect(run.collapse.at(-1) as number).toBeGreaterThan(0.5 * (run.collapse[0] as number));
    expect(run.trained.linear).toBeGreaterThan(run.random.linear);
  }, 60_000);
});

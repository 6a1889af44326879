import { describe, expect, it } from "vitest";
import { describeError } from "../../playground/src/errors.js";
import { DEFAULT_SETTINGS, settingsFromHash, settingsToHash } from "../../playground/src/settings.js";

const METHODS = ["simclr", "byol", "rotation"];

describe("playground settings in the URL hash", () => {
  it("round-trip, method options included", () => {
    const settings = { ...DEFAULT_SETTINGS, method: "byol", encoder: "mlp" as const, steps: 250, batchSize: 32, seed: 7, methodOptions: { learningRate: 0.002, targetMomentum: 0.99 } };
    const hash = settingsToHash(settings);
    expect(hash).toBe("#method=byol&encoder=mlp&batchSize=32&steps=250&budgetSeconds=0&seed=7&evalPoints=4&threads=2&opt.learningRate=0.002&opt.targetMomentum=0.99");
    expect(settingsFromHash(hash, METHODS)).toEqual({ settings, errors: [] });
    expect(settingsFromHash("", METHODS)).toEqual({ settings: DEFAULT_SETTINGS, errors: [] });
  });

  it("names each bad field of a link in one line and keeps the default for it", () => {
    const { settings, errors } = settingsFromHash("#method=dino&encoder=vit&steps=0&threads=2.5&opt.temperature=warm&colour=blue&seed=3", METHODS);
    expect(errors).toEqual([
      'link: method "dino" is not one of simclr, byol, rotation',
      'link: encoder "vit" is not one of small-cnn, mlp',
      'link: steps "0" is not a whole number in 1..1000000',
      'link: threads "2.5" is not a whole number in 1..16',
      'link: opt.temperature "warm" is not a number',
      'link: unknown setting "colour"',
    ]);
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, seed: 3 });
  });
});

describe("the page's error for a failed run", () => {
  it("names the batch size to lower when wasm memory runs out, and passes other messages through", () => {
    expect(describeError(new RangeError("Array buffer allocation failed"), 256)).toBe(
      "onnxruntime-web ran out of wasm memory (4 GiB at most) at batch size 256: lower the batch size (try 128) or pick the mlp encoder",
    );
    expect(describeError(new Error("failed to allocate a buffer of 1073741824 bytes"), 6)).toMatch(/at batch size 6: lower the batch size \(try 4\)/);
    expect(describeError(new Error("RuntimeError: memory access out of bounds"), 64)).toMatch(/^onnxruntime-web ran out of wasm memory/);
    expect(describeError(new Error("method jigsaw: ShapeError"), 64)).toBe("method jigsaw: ShapeError");
    expect(describeError("plain", null)).toBe("plain");
  });
});

import { describe, expect, it } from "vitest";
import { describeError } from "../../playground/src/errors.js";
import { memoryLimitFromQuery } from "../../playground/src/wasm-memory.js";
import { DEFAULT_SETTINGS, settingsFromHash, settingsToHash } from "../../playground/src/settings.js";

const METHODS = ["simclr", "byol", "rotation"];

describe("playground settings in the URL hash", () => {
  it("round-trip, method options included", () => {
    const settings = { ...DEFAULT_SETTINGS, method: "byol", encoder: "mlp" as const, steps: 250, batchSize: 32, seed: 7, map: "pca" as const, methodOptions: { learningRate: 0.002, targetMomentum: 0.99 } };
    const hash = settingsToHash(settings);
    expect(hash).toBe("#method=byol&encoder=mlp&batchSize=32&steps=250&budgetSeconds=0&seed=7&evalPoints=4&threads=2&map=pca&opt.learningRate=0.002&opt.targetMomentum=0.99");
    expect(settingsFromHash(hash, METHODS)).toEqual({ settings, errors: [] });
    expect(settingsFromHash("", METHODS)).toEqual({ settings: DEFAULT_SETTINGS, errors: [] });
  });

  it("names each bad field of a link in one line and keeps the default for it", () => {
    const { settings, errors } = settingsFromHash("#method=dino&encoder=vit&steps=0&threads=2.5&map=tsne&opt.temperature=warm&colour=blue&seed=3", METHODS);
    expect(errors).toEqual([
      'link: method "dino" is not one of simclr, byol, rotation',
      'link: encoder "vit" is not one of small-cnn, mlp',
      'link: steps "0" is not a whole number in 1..1000000',
      'link: threads "2.5" is not a whole number in 1..16',
      'link: map "tsne" is not one of umap, pca',
      'link: opt.temperature "warm" is not a number',
      'link: unknown setting "colour"',
    ]);
    expect(settings).toEqual({ ...DEFAULT_SETTINGS, seed: 3 });
  });
});

describe("the page's error for a failed run", () => {
  const run = { batchSize: 256, encoder: "small-cnn", memoryLimitMB: null };
  it("names the batch size to lower when wasm memory runs out, with ORT's words, and passes other messages through", () => {
    expect(describeError(new RangeError("Array buffer allocation failed"), run)).toBe(
      "onnxruntime-web ran out of wasm memory (4 GiB at most) at batch size 256: lower the batch size (try 128) or pick the mlp encoder. ORT said: Array buffer allocation failed",
    );
    expect(describeError(new Error("failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc"), { batchSize: 6, encoder: "mlp", memoryLimitMB: 48 })).toBe(
      "onnxruntime-web ran out of wasm memory (48 MB here, set by ?wasmMemoryMB=; 4 GiB at most) at batch size 6: lower the batch size (try 4). ORT said: failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc",
    );
    expect(describeError(new Error("RuntimeError: memory access out of bounds"), run)).toMatch(/^onnxruntime-web ran out of wasm memory/);
    expect(describeError(new Error("method jigsaw: ShapeError"), run)).toBe("method jigsaw: ShapeError");
    expect(describeError("plain", null)).toBe("plain");
  });
});

describe("the page's wasm memory ceiling (?wasmMemoryMB=)", () => {
  it("reads a whole number of megabytes in 16..4096 and names a bad one", () => {
    expect(memoryLimitFromQuery("?wasmMemoryMB=48")).toEqual({ limitMB: 48, error: null });
    expect(memoryLimitFromQuery("")).toEqual({ limitMB: null, error: null });
    expect(memoryLimitFromQuery("?wasmMemoryMB=8")).toEqual({ limitMB: null, error: 'link: wasmMemoryMB "8" is not a whole number of megabytes in 16..4096 (ignored)' });
  });
});

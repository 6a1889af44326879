import { describe, expect, it } from "vitest";
import { describeSpec, imageShape, imageSpec, inputField, parseSampleSpec, sameSpec, sequenceLength, tableSpec, textSpec } from "../../src/data/sample.js";

describe("sample specs", () => {
  it("name each modality's fields with shape and dtype", () => {
    expect(imageSpec([1, 28, 28])).toEqual({ modality: "image", input: "image", fields: { image: { shape: [1, 28, 28], dtype: "float32" } } });
    expect(inputField(textSpec(128))).toEqual({ shape: [128], dtype: "int64" });
    expect(describeSpec(tableSpec(16))).toBe("table (row float32[16])");
    expect(() => imageSpec([1, 0, 28])).toThrow("an image must have a shape of 3 positive integers, got [1, 0, 28]");
  });

  it("give each modality's shape only to its own kind, with a one-line error otherwise", () => {
    expect(imageShape(imageSpec([3, 32, 32]), "encoder small-cnn")).toEqual([3, 32, 32]);
    expect(sequenceLength(textSpec(64), "method clm")).toBe(64);
    expect(() => imageShape(textSpec(64), "method simclr")).toThrow("method simclr needs images; the data is text (tokens int64[64])");
    expect(() => sequenceLength(imageSpec([1, 28, 28]), "method mlm")).toThrow("method mlm needs token sequences; the data is image (image float32[1, 28, 28])");
  });

  it("round-trip through JSON, and reject anything else", () => {
    for (const spec of [imageSpec([1, 28, 28]), textSpec(32), tableSpec(5)]) {
      const back = parseSampleSpec(JSON.stringify(spec));
      expect(back).not.toBeNull();
      expect(sameSpec(back ?? tableSpec(1), spec)).toBe(true);
    }
    expect(sameSpec(textSpec(32), textSpec(33))).toBe(false);
    for (const bad of ["", "[]", '{"modality":"video","input":"x","fields":{"x":{"shape":[1],"dtype":"float32"}}}', '{"modality":"text","input":"tokens","fields":{"tokens":{"shape":[0],"dtype":"int64"}}}', '{"modality":"text","input":"ids","fields":{"tokens":{"shape":[4],"dtype":"int64"}}}']) {
      expect(parseSampleSpec(bad)).toBeNull();
    }
  });
});

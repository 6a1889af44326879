import { describe, expect, it } from "vitest";
import { PLAYGROUND_TEST_DIGITS, PLAYGROUND_TRAIN_DIGITS, playgroundDigits, playgroundDigitsBytes } from "../../playground/digits-asset.js";
import { decodeDigits, encodeDigits } from "../../playground/src/digits-format.js";
import { mnistSplit } from "../../src/data/image/mnist.js";

describe("the playground's bundled digits (digits.bin)", () => {
  it("hold 2,000 + 500 digits of the fixed MNIST split, every pixel the float32 loadMnist makes, all ten classes in each", () => {
    const bytes = playgroundDigitsBytes();
    const { train, test } = decodeDigits(bytes);
    expect(train.labels.length).toBe(PLAYGROUND_TRAIN_DIGITS);
    expect(test.labels.length).toBe(PLAYGROUND_TEST_DIGITS);
    expect(bytes.length).toBe(16 + 2500 * (784 * 2 + 1) + 1);
    const direct = playgroundDigits();
    expect(train.images).toEqual(direct.train.images); // bit for bit: thousandths hold the package's 3-decimal pixels exactly
    expect(test.labels).toEqual(direct.test.labels);
    for (const set of [train, test]) expect(new Set(set.labels).size).toBe(10);
    // Each decoded digit is one of the split's: the first train digit is in the train split.
    const split = mnistSplit();
    const first = train.images.subarray(0, 784);
    const found = Array.from({ length: split.train.length }, (_, i) => i).some((i) => {
      const x = split.train.get(i).fields.image as Float32Array;
      return x.every((v, j) => v === first[j]);
    });
    expect(found).toBe(true);
  });

  it("refuses a damaged file in one line naming it and the place", () => {
    const bytes = encodeDigits({ train: { images: new Float32Array(784).fill(0.5), labels: Int32Array.of(3) }, test: { images: new Float32Array(784), labels: Int32Array.of(7) } });
    expect(decodeDigits(bytes).train.labels).toEqual(Int32Array.of(3));
    expect(() => decodeDigits(bytes.subarray(0, bytes.length - 1), "d.bin")).toThrow(/^d\.bin: 3154 bytes, but its header \(1 \+ 1 digits\) needs 3155$/);
    expect(() => decodeDigits(new TextEncoder().encode("not digits at all"), "d.bin")).toThrow(/^d\.bin: not a digits file \(no PTXD at byte 0\)$/);
    const badLabel = Uint8Array.from(bytes);
    badLabel[16 + 784 * 2] = 12;
    expect(() => decodeDigits(badLabel, "d.bin")).toThrow(/^d\.bin: label 12 at byte 1584$/);
    expect(() => encodeDigits({ train: { images: Float32Array.of(0.1234), labels: new Int32Array(0) }, test: { images: new Float32Array(0), labels: new Int32Array(0) } })).toThrow(/not a whole number of thousandths/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DEBIAN_FASHION_DIR, FASHION_CLASSES, fashionMnistDir, fashionMnistMissing, fashionMnistSplit } from "../../../src/data/image/fashion-mnist.js";
import { resolveDataSpec, specModality } from "../../../src/data/resolve-data-spec.js";
import { imageShape } from "../../../src/data/sample.js";

const installed = fashionMnistDir({}) !== null;
if (!installed) console.log(`fashion-mnist.test.ts: ${DEBIAN_FASHION_DIR} not found, the real-data tests skipped (apt-get install dataset-fashion-mnist)`);

/** An IDX file of `dims` with uint8 `values` (magic 0x08 = unsigned byte). */
function idx(dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + values.length);
  out.set(header);
  out.set(Uint8Array.from(values), header.length);
  return out;
}

describe("fashion-mnist from a folder of IDX files ($FASHION_DIR)", () => {
  const dir = mkdtempSync(join(tmpdir(), "fashion-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is missing, with a message naming the folder and the package, until the files are there", () => {
    expect(fashionMnistDir({ FASHION_DIR: dir })).toBeNull();
    expect(() => fashionMnistSplit({ FASHION_DIR: dir })).toThrow(`no train-images-idx3-ubyte[.gz] in ${dir}; install Debian's dataset-fashion-mnist`);
    expect(fashionMnistMissing({ FASHION_DIR: dir })).not.toContain("\n");
  });

  it("reads the four files (gzipped or not) as its train and test split, pixels in [0, 1]", () => {
    const pixels = (n: number) => Array.from({ length: n * 4 }, (_, i) => (i * 37) % 256);
    writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), gzipSync(idx([3, 2, 2], pixels(3))));
    writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), gzipSync(idx([3], [9, 0, 4])));
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), idx([2, 2, 2], pixels(2)));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idx([2], [1, 8]));
    const { train, test } = fashionMnistSplit({ FASHION_DIR: dir });
    expect([train.length, test.length]).toEqual([3, 2]);
    expect(Array.from(train.labels ?? [])).toEqual([9, 0, 4]);
    expect(Array.from(test.labels ?? [])).toEqual([1, 8]);
    expect(imageShape(train.spec, "test")).toEqual([1, 2, 2]);
    expect(Number(train.get(0).fields.image?.[1])).toBeCloseTo(37 / 255, 6);
  });

  it("names the missing file when only some are there", () => {
    const partial = mkdtempSync(join(tmpdir(), "fashion-partial-"));
    try {
      writeFileSync(join(partial, "train-images-idx3-ubyte"), idx([1, 2, 2], [0, 1, 2, 3]));
      expect(() => fashionMnistSplit({ FASHION_DIR: partial })).toThrow(`${join(partial, "train-labels-idx1-ubyte")}[.gz] is missing`);
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!installed)("fashion-mnist (Debian's dataset-fashion-mnist)", () => {
  it("is 60,000 training and 10,000 test images of 28x28, 6,000 and 1,000 per class", async () => {
    expect(specModality("fashion-mnist")).toBe("image");
    const resolved = await resolveDataSpec("fashion-mnist");
    if (resolved.kind !== "fashion-mnist") throw new Error(`resolved to ${resolved.kind}`);
    const { train, test } = resolved;
    expect([train.length, test.length]).toEqual([60000, 10000]);
    expect(imageShape(train.spec, "test")).toEqual([1, 28, 28]);
    const counts = (labels: Int32Array | undefined) => FASHION_CLASSES.map((_, c) => (labels ?? new Int32Array()).filter((y) => y === c).length);
    expect(counts(train.labels)).toEqual(new Array(10).fill(6000));
    expect(counts(test.labels)).toEqual(new Array(10).fill(1000));
  });

  it("takes no --labels: it has its own", async () => {
    await expect(resolveDataSpec("fashion-mnist", { labels: "y.idx" })).rejects.toThrow("--labels does not apply to fashion-mnist");
  });
});

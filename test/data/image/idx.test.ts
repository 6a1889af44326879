import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { findIdxLabels, loadIdx, parseIdx } from "../../../src/data/image/idx.js";
import { sampleImage } from "../../../src/data/image/image-dataset.js";

const dir = mkdtempSync(join(tmpdir(), "pretext-idx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** IDX bytes: magic 00 00 dtype ndim, big-endian dims, then the payload as given. */
function idx(dtype: number, dims: number[], payload: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = dtype;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// 3 images of 2x2: pixel values 0, 51, ..., distinct per image.
const pixels = Uint8Array.from({ length: 12 }, (_, i) => (i * 20) % 256);
const imagesBytes = idx(0x08, [3, 2, 2], pixels);
const labelsBytes = idx(0x08, [3], Uint8Array.from([2, 0, 1]));

describe("IDX files", () => {
  it("loads uint8 images scaled to [0, 1] with labels, plain and gzipped", () => {
    const images = write("train-images-idx3-ubyte", imagesBytes);
    const labels = write("train-labels-idx1-ubyte", labelsBytes);
    const ds = loadIdx(images, { labels });
    expect(ds.length).toBe(3);
    expect(ds.spec.fields.image?.shape).toEqual([1, 2, 2]);
    expect(Array.from(ds.labels as Int32Array)).toEqual([2, 0, 1]);
    expect(ds.numClasses).toBe(3);
    expect(Array.from(sampleImage(ds.get(1)))).toEqual([80, 100, 120, 140].map((v) => Math.fround(v / 255)));

    const gzImages = write("t10k-images-idx3-ubyte.gz", gzipSync(imagesBytes));
    const gzLabels = write("t10k-labels-idx1-ubyte.gz", gzipSync(labelsBytes));
    const gz = loadIdx(gzImages, { labels: gzLabels });
    expect(Array.from(gz.toArray() as Float32Array)).toEqual(Array.from(ds.toArray() as Float32Array));
    expect(loadIdx(images).labels).toBeUndefined();
  });

  it("finds the sibling labels file by the MNIST naming convention", () => {
    expect(findIdxLabels(join(dir, "train-images-idx3-ubyte"))).toBe(join(dir, "train-labels-idx1-ubyte"));
    expect(findIdxLabels(join(dir, "t10k-images-idx3-ubyte.gz"))).toBe(join(dir, "t10k-labels-idx1-ubyte.gz"));
    expect(findIdxLabels(join(dir, "other-images-idx3-ubyte"))).toBeUndefined();
  });

  it("reads the other IDX dtypes big-endian, unscaled", () => {
    const payload = new Uint8Array(4 * 4);
    const view = new DataView(payload.buffer);
    [1.5, -2, 0.25, 3].forEach((v, i) => view.setFloat32(4 * i, v, false));
    const f = parseIdx(idx(0x0d, [1, 2, 2], payload), "f32");
    expect(f.dtype).toBe("float32");
    expect(Array.from(f.values)).toEqual([1.5, -2, 0.25, 3]);
    const ds = loadIdx(write("float-idx3", idx(0x0d, [1, 2, 2], payload)));
    expect(Array.from(sampleImage(ds.get(0)))).toEqual([1.5, -2, 0.25, 3]);
    const i16 = new Uint8Array([0xff, 0xfe, 0x01, 0x00]);
    expect(Array.from(parseIdx(idx(0x0b, [2], i16), "i16").values)).toEqual([-2, 256]);
  });

  it("names the file and the problem: bad magic, truncated data, extra bytes", () => {
    const png = write("not-idx", Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    expect(() => loadIdx(png)).toThrow(`${png}: not an IDX file: bad magic number 0x89504e47`);
    const truncated = write("truncated-idx3-ubyte", imagesBytes.subarray(0, imagesBytes.length - 5));
    expect(() => loadIdx(truncated)).toThrow(`${truncated}: truncated IDX data: [3·2·2] uint8 needs 12 bytes after the header, got 7`);
    const header = write("header-idx3-ubyte", imagesBytes.subarray(0, 9));
    expect(() => loadIdx(header)).toThrow(`${header}: truncated IDX header: 3 dimensions need 16 bytes, got 9`);
    const extra = write("extra-idx3-ubyte", idx(0x08, [1, 2, 2], new Uint8Array(6)));
    expect(() => loadIdx(extra)).toThrow(`${extra}: 2 unexpected bytes after the [1·2·2] uint8 IDX data`);
    const labels = write("labels-as-images", labelsBytes);
    expect(() => loadIdx(labels)).toThrow("(is this a labels file?)");
  });

  it("rejects a corrupt or truncated gzip, naming the file", () => {
    const gz = gzipSync(imagesBytes);
    const cut = write("cut-idx3-ubyte.gz", gz.subarray(0, gz.length - 10));
    expect(() => loadIdx(cut)).toThrow(`${cut}: corrupt gzip data`);
    const flipped = Uint8Array.from(gz);
    for (let i = 12; i < flipped.length - 8; i++) flipped[i] = (flipped[i] as number) ^ 0x5a;
    const bad = write("bad-idx3-ubyte.gz", flipped);
    expect(() => loadIdx(bad)).toThrow(`${bad}: corrupt gzip data`);
  });

  it("rejects image and label counts that differ, and labels that are not class ids", () => {
    const images = write("count-images-idx3-ubyte", imagesBytes);
    const labels = write("count-labels-idx1-ubyte", idx(0x08, [2], Uint8Array.from([0, 1])));
    expect(() => loadIdx(images, { labels })).toThrow(`image and label counts differ: ${images} has 3 images, ${labels} has 2 labels`);
    const negative = write("neg-labels-idx1", idx(0x09, [3], Uint8Array.from([0, 0xff, 1])));
    expect(() => loadIdx(images, { labels: negative })).toThrow(`${negative}: label 1 is -1, not a class id`);
  });
});

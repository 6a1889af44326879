import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageFolderDataset } from "../../../src/data/image/image-folder.js";
import { type Batch, DataLoader } from "../../../src/data/loader.js";
import type { Sample } from "../../../src/data/sample.js";
import { imageBatch, sampleImage } from "../../../src/data/image/image-dataset.js";

const root = mkdtempSync(join(tmpdir(), "pretext-folder-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Format = "png" | "jpeg" | "webp";

/** A solid `w`x`h` RGB image of `rgb` in `format`, lossless where the format allows. */
async function solid(w: number, h: number, rgb: readonly [number, number, number], format: Format): Promise<Buffer> {
  const image = sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  if (format === "png") return image.png().toBuffer();
  if (format === "webp") return image.webp({ lossless: true }).toBuffer();
  return image.jpeg({ quality: 100 }).toBuffer();
}

function write(path: string, bytes: Uint8Array): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

const GRAY = 128 / 255;
let png: Buffer;
let jpeg: Buffer;

beforeAll(async () => {
  png = await solid(20, 12, [128, 128, 128], "png");
  jpeg = await solid(12, 20, [128, 128, 128], "jpeg");
  // Labeled: classes "cat" (png, webp) and "dog" (jpeg, nested png), plus a non-image that is ignored.
  write(join(root, "labeled", "dog", "a.jpg"), jpeg);
  write(join(root, "labeled", "dog", "nested", "b.png"), await solid(8, 8, [0, 0, 255], "png"));
  write(join(root, "labeled", "cat", "x.png"), await solid(10, 10, [255, 0, 0], "png"));
  write(join(root, "labeled", "cat", "y.webp"), await solid(10, 10, [0, 255, 0], "webp"));
  write(join(root, "labeled", "cat", "notes.txt"), new TextEncoder().encode("not an image"));
  for (let i = 0; i < 5; i++) write(join(root, "flat", `${i}.png`), await solid(6, 6, [i * 50, i * 50, i * 50], "png"));
});

const gray = { size: [4, 4] as const, channels: 1 as const };

describe("image folders", () => {
  it("labels by sorted class folder, decodes on demand and resizes to [C, H, W]", async () => {
    const ds = await imageFolderDataset(join(root, "labeled"), { size: [4, 4], channels: 3 });
    expect(ds.classNames).toEqual(["cat", "dog"]);
    expect(ds.numClasses).toBe(2);
    expect(ds.length).toBe(4);
    expect(Array.from(ds.labels as Int32Array)).toEqual([0, 0, 1, 1]);
    expect(ds.file(3)).toBe(join(root, "labeled", "dog", "nested", "b.png"));
    expect(ds.spec.fields.image?.shape).toEqual([3, 4, 4]);
    expect(() => ds.get(0)).toThrow("is not decoded yet");

    const red = await ds.getAsync(0);
    expect(red.label).toBe(0);
    expect(Array.from(sampleImage(red))).toEqual([...Array<number>(16).fill(1), ...Array<number>(32).fill(0)]);
    expect(sampleImage(ds.get(0))).toBe(sampleImage(red)); // now cached
    const [green, , blue] = await ds.loadBatch([1, 2, 3]);
    expect(Array.from(sampleImage(green as Sample).subarray(16, 32))).toEqual(Array<number>(16).fill(1));
    expect(Array.from(sampleImage(blue as Sample).subarray(32))).toEqual(Array<number>(16).fill(1));
    expect(ds.summary()).toEqual({ images: 4, skipped: 0, skippedFiles: [] });

    const all = await ds.materialize();
    expect(Array.from(all.labels as Int32Array)).toEqual([0, 0, 1, 1]);
    expect(Array.from(sampleImage(all.get(0)))).toEqual(Array.from(sampleImage(red)));
  });

  it("reads a flat folder as unlabeled, in grayscale", async () => {
    const ds = await imageFolderDataset(join(root, "flat"), gray);
    expect(ds.length).toBe(5);
    expect(ds.classNames).toBeUndefined();
    expect(ds.labels).toBeUndefined();
    const s = await ds.getAsync(2);
    expect(s.label).toBeUndefined();
    expect(sampleImage(s).length).toBe(16);
    for (const v of sampleImage(s)) expect(v).toBeCloseTo(100 / 255, 5);
  });

  it("resizes with fit cover: fills the frame and crops the centre", async () => {
    // 20x10, left half black, right half white → scaled to 8x4, centre 4 columns kept.
    const pixels = new Uint8Array(20 * 10);
    for (let y = 0; y < 10; y++) for (let x = 10; x < 20; x++) pixels[y * 20 + x] = 255;
    const file = write(join(root, "cover", "half.png"), await sharp(pixels, { raw: { width: 20, height: 10, channels: 1 } }).png().toBuffer());
    const ds = await imageFolderDataset(join(root, "cover"), gray);
    expect(ds.file(0)).toBe(file);
    const image = sampleImage(await ds.getAsync(0));
    for (let y = 0; y < 4; y++) {
      const row = Array.from(image.subarray(y * 4, y * 4 + 4));
      expect(row[0]).toBeCloseTo(0, 2);
      expect(row[3]).toBeCloseTo(1, 2);
    }
  });

  it("keeps at most cacheSize decoded samples", async () => {
    const ds = await imageFolderDataset(join(root, "flat"), { ...gray, cacheSize: 2 });
    // One at a time: concurrent decodes finish in any order, and so enter the cache in any order.
    for (const i of [0, 1, 2]) await ds.getAsync(i);
    expect(() => ds.get(0)).toThrow("is not decoded yet");
    expect(sampleImage(ds.get(1)).length).toBe(16);
    expect(sampleImage(ds.get(2)).length).toBe(16);
  });

  it("names an empty folder, an empty class folder and a missing one", async () => {
    const empty = join(root, "empty");
    mkdirSync(empty);
    await expect(imageFolderDataset(empty, gray)).rejects.toThrow(`${empty}: empty folder: no images`);
    write(join(root, "emptyclass", "a", "1.png"), png);
    mkdirSync(join(root, "emptyclass", "b"));
    await expect(imageFolderDataset(join(root, "emptyclass"), gray)).rejects.toThrow(`${join(root, "emptyclass", "b")}: class folder has no images`);
    await expect(imageFolderDataset(join(root, "nope"), gray)).rejects.toThrow(`no such file or directory: ${join(root, "nope")}`);
  });

  it("stops at a corrupt PNG/JPEG naming it, or skips and counts it with skipUnreadable", async () => {
    const dir = join(root, "corrupt");
    write(join(dir, "good.png"), png);
    const garbage = write(join(dir, "garbage.png"), new TextEncoder().encode("this is not a png"));
    const cutJpeg = write(join(dir, "cut.jpg"), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await expect(imageFolderDataset(dir, gray)).rejects.toThrow(`${cutJpeg}: unreadable image (`);
    const ds = await imageFolderDataset(dir, { ...gray, skipUnreadable: true });
    expect(ds.length).toBe(1);
    const summary = ds.summary();
    expect(summary.images).toBe(1);
    expect(summary.skipped).toBe(2);
    expect(summary.skippedFiles.map((s) => s.file).sort()).toEqual([cutJpeg, garbage].sort());
    expect(summary.skippedFiles.every((s) => s.reason.length > 0)).toBe(true);
  });

  it("a PNG truncated after its header fails on decode: named, or replaced and counted with skipUnreadable", async () => {
    const dir = join(root, "truncated");
    write(join(dir, "a.png"), png);
    const cut = write(join(dir, "b.png"), png.subarray(0, Math.floor(png.length * 0.6)));
    write(join(dir, "c.png"), readFileSync(join(root, "flat", "4.png")));
    // The header is intact, so indexing accepts it; decoding it fails.
    const strict = await imageFolderDataset(dir, gray);
    expect(strict.length).toBe(3);
    await expect(strict.getAsync(1)).rejects.toThrow(`${cut}: unreadable image (`);

    const lenient = await imageFolderDataset(dir, { ...gray, skipUnreadable: true });
    const [, b, c] = await lenient.loadBatch([0, 1, 2]);
    expect(Array.from(sampleImage(b as Sample))).toEqual(Array.from(sampleImage(c as Sample)));
    expect(lenient.file(1)).toBe(join(dir, "c.png"));
    expect(lenient.summary()).toMatchObject({ images: 2, skipped: 1, skippedFiles: [{ file: cut }] });

    const exact = await imageFolderDataset(dir, { ...gray, skipUnreadable: true, validate: "decode" });
    expect(exact.length).toBe(2);
    expect(exact.summary()).toMatchObject({ images: 2, skipped: 1 });
  });

  it("feeds the DataLoader's async iterator the same batches as the materialized folder", async () => {
    const streamed = await imageFolderDataset(join(root, "labeled"), { size: [4, 4], channels: 3, cacheSize: 1 });
    const inMemory = await (await imageFolderDataset(join(root, "labeled"), { size: [4, 4], channels: 3 })).materialize();
    const options = { batchSize: 2, seed: 7 };
    const expected = [...new DataLoader(inMemory, options)];
    const got = [];
    for await (const batch of new DataLoader(streamed, options)) got.push(batch);
    expect(got.length).toBe(2);
    got.forEach((batch, k) => {
      expect(Array.from(batch.indices)).toEqual(Array.from(expected[k]?.indices ?? []));
      expect(Array.from(imageBatch(batch, "test").images)).toEqual(Array.from(imageBatch(expected[k] as Batch, "test").images));
      expect(batch.labels).toEqual(expected[k]?.labels);
    });
    // The synchronous path cannot decode, and says what to use instead.
    const fresh = await imageFolderDataset(join(root, "labeled"), { size: [4, 4], channels: 3 });
    expect(() => new DataLoader(fresh, options).next()).toThrow("use getAsync/loadBatch, the DataLoader's async iterator");
  });
});

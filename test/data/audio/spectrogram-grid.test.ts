import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { type SpectrogramBatchShape, MixupBank, audioViews, byolAPreset } from "../../../src/data/audio/augment/index.js";
import { colormapColor, spectrogramGridPixels, spectrogramGridPng, writeSpectrogramGrid } from "../../../src/data/audio/spectrogram-grid.js";
import { Rng } from "../../../src/random/rng.js";

const dir = mkdtempSync(join(tmpdir(), "spectrogram-grid-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("spectrogram grid", () => {
  it("writes each clip in a row, its views beside it, readable as PNG", async () => {
    const [n, mels, frames, outFrames] = [3, 64, 101, 96];
    const logmel = new Rng(1).normalArray(n * mels * frames);
    const views = audioViews(logmel, [n, 1, mels, frames], byolAPreset(), new Rng(2), outFrames, new MixupBank(16, mels, outFrames));
    const path = join(dir, "nested", "views.png");
    const grid = await writeSpectrogramGrid(path, logmel, [n, 1, mels, frames], { views, scale: 2, padding: 2 });
    // width: group gap 6 + (202 + 2 + 192 + 2 + 192) + 6; height: 2 + 3·(128 + 2)
    expect([grid.width, grid.height, grid.channels]).toEqual([602, 392, 3]);
    const meta = await sharp(path).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(["png", 602, 392, 3]);
    const png = await spectrogramGridPng(logmel, [n, 1, mels, frames], { views, scale: 2, padding: 2 });
    expect((await sharp(png).metadata()).width).toBe(602);
  });

  it("puts high frequencies on top, maps each clip's range onto the colour map, and fills the background", () => {
    // one clip of 2 bands × 3 frames: band 0 (low) all 0, band 1 (high) 0, 1, 2
    const logmel = Float32Array.from([0, 0, 0, 0, 1, 2]);
    const grid = spectrogramGridPixels(logmel, [1, 1, 2, 3], { scale: 1, padding: 1, background: 0 });
    expect([grid.width, grid.height]).toEqual([3 + 3 + 3, 1 + 2 + 1]);
    const rgb = (x: number, y: number): number[] => Array.from(grid.data.subarray((y * grid.width + x) * 3, (y * grid.width + x) * 3 + 3));
    expect(rgb(3, 1)).toEqual(colormapColor(0)); // top row = band 1, frame 0 = the minimum
    expect(rgb(5, 1)).toEqual(colormapColor(1)); // band 1, frame 2 = the maximum
    expect(rgb(4, 1)).toEqual(colormapColor(128 / 255));
    expect(rgb(5, 2)).toEqual(colormapColor(0)); // bottom row = band 0
    expect(rgb(0, 0)).toEqual([0, 0, 0]);
    const fixed = spectrogramGridPixels(logmel, [1, 1, 2, 3], { scale: 1, padding: 0, range: [0, 4], colormap: "viridis" });
    expect(Array.from(fixed.data.subarray(6, 9))).toEqual(colormapColor(128 / 255, "viridis"));
  });

  it("shares one range over the grid when asked", () => {
    // clip 0 spans 0..1, clip 1 spans 2..3: per clip both start dark, on one range clip 1 is bright
    const logmel = Float32Array.from([0, 1, 2, 3]);
    const first = (range: "clip" | "grid"): number[] => {
      const grid = spectrogramGridPixels(logmel, [2, 1, 1, 2], { scale: 1, padding: 0, range });
      return Array.from(grid.data.subarray(grid.width * 3, grid.width * 3 + 3)); // row 1 = clip 1, frame 0
    };
    expect(first("clip")).toEqual(colormapColor(0));
    expect(first("grid")).toEqual(colormapColor(170 / 255));
  });

  it("lays clips out in columns, and rejects views that do not fit", () => {
    const grid = spectrogramGridPixels(new Float32Array(5 * 4 * 6), [5, 1, 4, 6], { columns: 2, scale: 1, padding: 0 });
    expect([grid.width, grid.height]).toEqual([12, 12]);
    expect(() => spectrogramGridPixels(new Float32Array(24), [1, 1, 4, 6], { views: [new Float32Array(5)] })).toThrow(/view 0/);
    expect(() => spectrogramGridPixels(new Float32Array(24), JSON.parse("[1, 2, 4, 3]") as SpectrogramBatchShape)).toThrow(/\[N, 1, mels, frames\]/);
  });
});

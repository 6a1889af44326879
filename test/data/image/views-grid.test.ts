import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { viewsGridPixels, writeViewsGrid } from "../../../src/data/image/views-grid.js";

const dir = mkdtempSync(join(tmpdir(), "views-grid-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("views grid", () => {
  it("writes originals in the first column and their views beside them, readable as PNG", async () => {
    const shape = [3, 1, 2, 2] as const;
    const images = Float32Array.from({ length: 12 }, (_, i) => i / 11);
    const views = [new Float32Array(12).fill(0), new Float32Array(12).fill(1)];
    const path = join(dir, "nested", "grid.png");
    const grid = await writeViewsGrid(path, images, shape, { views, scale: 3, padding: 1, background: 0.5 });
    // width: group gap 3 + (3 tiles of 6 px + 2 gaps of 1) + 3; height: 1 + 3·(6 + 1)
    expect([grid.width, grid.height, grid.channels]).toEqual([26, 22, 1]);
    const meta = await sharp(path).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(["png", 26, 22, 1]);
    const { data, info } = await sharp(path).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(1);
    const at = (x: number, y: number): number => data[y * info.width + x] as number;
    // sample 1's original, pixel (row 1, col 0) = value 4 + 2 = 6 / 11, upscaled ×3
    expect(at(3 + 0, 1 + 7 + 3)).toBe(Math.round((6 / 11) * 255));
    expect(at(3 + 7, 1 + 7 + 3)).toBe(0); // first view
    expect(at(3 + 14, 1 + 7 + 3)).toBe(255); // second view
    expect(at(0, 0)).toBe(128); // background
  });

  it("lays samples out in columns and draws RGB", () => {
    const grid = viewsGridPixels(new Float32Array(5 * 3 * 4 * 4).fill(0.2), [5, 3, 4, 4], { columns: 2, scale: 1, padding: 0 });
    expect([grid.width, grid.height, grid.channels]).toEqual([8, 12, 3]);
  });

  it("rejects shapes it cannot draw and views that do not match", () => {
    expect(() => viewsGridPixels(new Float32Array(8), [1, 2, 2, 2])).toThrow(/1 or 3 channels/);
    expect(() => viewsGridPixels(new Float32Array(4), [1, 1, 2, 2], { views: [new Float32Array(3)] })).toThrow(/view 0/);
  });
});

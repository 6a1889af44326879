import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import sharp from "sharp";
import type { ImageShape } from "./augment/transform.js";

export interface ViewsGridOptions {
  /** Augmented versions of the batch, each `[N, C, H, W]` like the originals; shown right of each original. */
  views?: readonly Float32Array[];
  /** Samples side by side per row of the grid (each with its views). Default 1. */
  columns?: number;
  /** Integer upscaling, nearest neighbour, so 28×28 digits are visible. Default 4. */
  scale?: number;
  /** Pixels between tiles; groups of (original + views) are three times as far apart. Default 2. */
  padding?: number;
  /** Gray level in [0, 1] of the background between tiles. Default 1 (white). */
  background?: number;
}

/** Raw 8-bit pixels of a grid: `height` rows of `width · channels` values. */
export interface GridPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

/**
 * Lays out a batch and its views as one picture: per sample, the original then each view, left to
 * right; `columns` samples per row. Values in [0, 1] map to 0..255 (clamped); 1 channel is gray,
 * 3 are RGB.
 */
export function viewsGridPixels(images: Float32Array, shape: ImageShape, options: ViewsGridOptions = {}): GridPixels {
  const { views = [], columns = 1, scale = 4, padding = 2, background = 1 } = options;
  const [n, c, h, w] = shape;
  const where = "viewsGrid";
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`${where}: shape must be [N, C, H, W], got [${shape.join(", ")}]`);
  if (c !== 1 && c !== 3) throw new Error(`${where}: images need 1 or 3 channels to be drawn, got ${c}`);
  const size = n * c * h * w;
  if (images.length !== size) throw new Error(`${where}: ${images.length} values do not fill shape [${shape.join(", ")}]`);
  views.forEach((v, k) => {
    if (v.length !== size) throw new Error(`${where}: view ${k} has ${v.length} values, the originals [${shape.join(", ")}] ${size}`);
  });
  for (const [name, v] of [["columns", columns], ["scale", scale]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`${where}: padding must be an integer ≥ 0, got ${padding}`);
  const tiles = [images, ...views];
  const tileW = w * scale;
  const tileH = h * scale;
  const groupGap = 3 * padding;
  const groupW = tiles.length * tileW + (tiles.length - 1) * padding;
  const rows = Math.ceil(n / columns);
  const cols = Math.min(columns, n);
  const width = groupGap + cols * (groupW + groupGap);
  const height = padding + rows * (tileH + padding);
  const data = new Uint8Array(width * height * c).fill(toByte(background));
  for (let s = 0; s < n; s++) {
    const top = padding + Math.floor(s / columns) * (tileH + padding);
    const groupLeft = groupGap + (s % columns) * (groupW + groupGap);
    tiles.forEach((tile, k) => {
      const left = groupLeft + k * (tileW + padding);
      for (let y = 0; y < tileH; y++) {
        const srcRow = Math.floor(y / scale) * w;
        for (let x = 0; x < tileW; x++) {
          const src = s * c * h * w + srcRow + Math.floor(x / scale);
          const dst = ((top + y) * width + left + x) * c;
          for (let ch = 0; ch < c; ch++) data[dst + ch] = toByte(tile[src + ch * h * w] as number);
        }
      }
    });
  }
  return { data, width, height, channels: c };
}

/** Writes `viewsGridPixels(images, shape, options)` as a PNG at `path` (creating its folder) with `sharp`. */
export async function writeViewsGrid(path: string, images: Float32Array, shape: ImageShape, options: ViewsGridOptions = {}): Promise<GridPixels> {
  const grid = viewsGridPixels(images, shape, options);
  mkdirSync(dirname(path), { recursive: true });
  const image = sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: grid.channels } });
  // NOTE: sharp writes sRGB unless told otherwise; a gray grid stays a (3× smaller) gray PNG.
  await (grid.channels === 1 ? image.toColourspace("b-w") : image).png().toFile(path);
  return grid;
}

function toByte(v: number): number {
  return v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
}

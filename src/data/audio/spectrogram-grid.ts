import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import sharp from "sharp";
import type { GridPixels } from "../image/views-grid.js";
import type { SpectrogramBatchShape } from "./augment/transform.js";

/** A perceptually uniform colour map: dark for quiet, bright for loud. */
export type ColormapName = "magma" | "viridis";

// matplotlib's maps sampled at 17 evenly spaced points (0, 1/16, …, 1) and interpolated linearly
// between them: at most 3 (magma) and 6 (viridis) of 255 levels from matplotlib's 256-entry
// tables, measured; small enough to keep in the source.
const COLORMAPS: Readonly<Record<ColormapName, readonly (readonly [number, number, number])[]>> = {
  magma: [
    [0, 0, 4], [10, 8, 34], [29, 17, 71], [54, 16, 107], [81, 18, 124], [106, 28, 129], [131, 38, 129], [156, 46, 127], [183, 55, 121],
    [208, 65, 111], [231, 82, 99], [245, 107, 92], [252, 137, 97], [254, 167, 114], [254, 196, 136], [253, 226, 163], [252, 253, 191],
  ],
  viridis: [
    [68, 1, 84], [72, 24, 106], [71, 45, 123], [66, 64, 134], [59, 82, 139], [51, 99, 141], [44, 114, 142], [38, 130, 142], [33, 145, 140],
    [31, 160, 136], [40, 174, 128], [63, 188, 115], [94, 201, 98], [132, 212, 75], [173, 220, 48], [216, 226, 25], [253, 231, 37],
  ],
};

/** The colour of `t` in [0, 1] (clamped) on a colour map, as 8-bit RGB. */
export function colormapColor(t: number, name: ColormapName = "magma"): [number, number, number] {
  const table = COLORMAPS[name];
  if (table === undefined) throw new Error(`colormap: unknown map ${String(name)}; choose magma or viridis`);
  const x = (t > 0 ? (t < 1 ? t : 1) : 0) * (table.length - 1);
  const i = Math.min(table.length - 2, Math.floor(x));
  const f = x - i;
  const a = table[i] as readonly [number, number, number];
  const b = table[i + 1] as readonly [number, number, number];
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
}

export interface SpectrogramGridOptions {
  /**
   * Augmented versions of the batch, each `[N, 1, M, T_k]` with the originals' N and M (T_k may
   * differ from T, e.g. views cropped to fewer frames); shown right of each original.
   */
  views?: readonly Float32Array[];
  /** Clips side by side per row of the grid (each with its views). Default 1. */
  columns?: number;
  /** Integer upscaling, nearest neighbour: a 64 × 96 spectrogram is 128 × 192 pixels at 2. Default 2. */
  scale?: number;
  /** Pixels between tiles; groups of (original + views) are three times as far apart. Default 2. */
  padding?: number;
  /** Gray level in [0, 1] of the background between tiles. Default 1 (white). */
  background?: number;
  /**
   * The values mapped to the colour map's ends. Default `clip`: each clip's own minimum and
   * maximum, also used for its views, so a view that is louder or quieter (gain, mixup, fader)
   * looks it. `grid`: one range for everything; or a fixed `[low, high]`.
   */
  range?: "clip" | "grid" | readonly [number, number];
  /** Default `magma` (librosa's default for spectrograms). */
  colormap?: ColormapName;
}

/**
 * Lays out log-mel spectrograms and their views as one RGB picture: per clip, the original then
 * each view, left to right, time running right and frequency increasing upward; `columns` clips
 * per row.
 * @param logmel `[N, 1, M, T]` row-major (band major, frame minor).
 */
export function spectrogramGridPixels(logmel: Float32Array, shape: SpectrogramBatchShape, options: SpectrogramGridOptions = {}): GridPixels {
  const { views = [], columns = 1, scale = 2, padding = 2, background = 1, range = "clip", colormap = "magma" } = options;
  const where = "spectrogramGrid";
  if (shape.length !== 4 || shape[1] !== 1 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${where}: shape must be [N, 1, mels, frames] of positive integers, got [${shape.join(", ")}]`);
  }
  const [n, , mels, frames] = shape;
  if (logmel.length !== n * mels * frames) throw new Error(`${where}: ${logmel.length} values do not fill shape [${shape.join(", ")}]`);
  const tileFrames = [frames];
  views.forEach((v, k) => {
    const t = v.length / (n * mels);
    if (!Number.isInteger(t) || t < 1) throw new Error(`${where}: view ${k} has ${v.length} values, not [${n}, 1, ${mels}, frames] for any frames`);
    tileFrames.push(t);
  });
  for (const [name, v] of [["columns", columns], ["scale", scale]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`${where}: padding must be an integer ≥ 0, got ${padding}`);
  if (Array.isArray(range) && !(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[0] < range[1])) {
    throw new Error(`${where}: range must be [low, high] with low < high, got [${range.join(", ")}]`);
  }
  if (COLORMAPS[colormap] === undefined) throw new Error(`${where}: unknown colormap ${String(colormap)}; choose magma or viridis`);
  const tiles = [logmel, ...views];
  const lut = colourTable(colormap);
  const gridRange = range === "grid" ? extent(tiles) : null;
  const tileH = mels * scale;
  const groupGap = 3 * padding;
  const tileLefts: number[] = [];
  let groupW = 0;
  tileFrames.forEach((t, k) => {
    tileLefts.push(groupW + (k > 0 ? padding : 0));
    groupW += (k > 0 ? padding : 0) + t * scale;
  });
  const rows = Math.ceil(n / columns);
  const cols = Math.min(columns, n);
  const width = groupGap + cols * (groupW + groupGap);
  const height = padding + rows * (tileH + padding);
  const data = new Uint8Array(width * height * 3).fill(Math.round(Math.min(1, Math.max(0, background)) * 255));
  for (let s = 0; s < n; s++) {
    const top = padding + Math.floor(s / columns) * (tileH + padding);
    const groupLeft = groupGap + (s % columns) * (groupW + groupGap);
    const [low, high] = Array.isArray(range) ? range : (gridRange ?? extent([logmel.subarray(s * mels * frames, (s + 1) * mels * frames)]));
    const span = high > low ? high - low : 1;
    tiles.forEach((tile, k) => {
      const t = tileFrames[k] as number;
      const base = s * mels * t;
      const left = groupLeft + (tileLefts[k] as number);
      for (let y = 0; y < tileH; y++) {
        const band = mels - 1 - Math.floor(y / scale); // frequency increases upward
        for (let x = 0; x < t * scale; x++) {
          const value = tile[base + band * t + Math.floor(x / scale)] as number;
          const level = Math.round(((value - low) / span) * 255);
          const c = 3 * (level > 0 ? (level < 255 ? level : 255) : 0);
          const dst = ((top + y) * width + left + x) * 3;
          data[dst] = lut[c] as number;
          data[dst + 1] = lut[c + 1] as number;
          data[dst + 2] = lut[c + 2] as number;
        }
      }
    });
  }
  return { data, width, height, channels: 3 };
}

/** `spectrogramGridPixels(logmel, shape, options)` encoded as PNG (e.g. to embed in a report). */
export async function spectrogramGridPng(logmel: Float32Array, shape: SpectrogramBatchShape, options: SpectrogramGridOptions = {}): Promise<Buffer> {
  const grid = spectrogramGridPixels(logmel, shape, options);
  return sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: grid.channels } }).png().toBuffer();
}

/** Writes `spectrogramGridPixels(logmel, shape, options)` as a PNG at `path` (creating its folder), as `writeViewsGrid` does for images. */
export async function writeSpectrogramGrid(path: string, logmel: Float32Array, shape: SpectrogramBatchShape, options: SpectrogramGridOptions = {}): Promise<GridPixels> {
  const grid = spectrogramGridPixels(logmel, shape, options);
  mkdirSync(dirname(path), { recursive: true });
  await sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: grid.channels } }).png().toFile(path);
  return grid;
}

/** The 256 colours of a map, RGB interleaved. */
function colourTable(name: ColormapName): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(colormapColor(i / 255, name), 3 * i);
  return lut;
}

/** `[min, max]` of the finite values of some arrays; [0, 1] when there are none. */
function extent(arrays: readonly Float32Array[]): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i] as number;
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  return Number.isFinite(low) && Number.isFinite(high) ? [low, high] : [0, 1];
}

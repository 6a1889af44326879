import type { DigitSet } from "./digits-format.js";
import type { RunData } from "./protocol.js";

/** Dropped images are read as grayscale at the digits' size, so the same encoders and views apply. */
export const IMAGE_SIZE = 28;
/** Fewer images per class than this and the few-label probe has nothing to score. */
export const MIN_IMAGES_PER_CLASS = 12;

/** Draws `[N, 1, H, W]` grayscale images (values in [0, 1]) as a grid of `columns`, each `scale` pixels a pixel. */
export function drawGrid(canvas: HTMLCanvasElement, images: Float32Array, count: number, columns: number, scale: number, size = IMAGE_SIZE): void {
  const rows = Math.ceil(count / columns);
  const gap = 2;
  canvas.width = columns * (size * scale + gap);
  canvas.height = rows * (size * scale + gap);
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  ctx.fillStyle = "#f1f3f5";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const tile = new ImageData(size, size);
  const scratch = document.createElement("canvas");
  scratch.width = size;
  scratch.height = size;
  const sctx = scratch.getContext("2d");
  if (sctx === null) return;
  ctx.imageSmoothingEnabled = false;
  for (let n = 0; n < count; n++) {
    const offset = n * size * size;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < size * size; i++) {
      const v = images[offset + i] ?? 0;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // NOTE: views can leave [0, 1] (jitter, noise, normalization), so each tile is stretched to its own range.
    const span = hi - lo > 1e-6 ? hi - lo : 1;
    for (let i = 0; i < size * size; i++) {
      const g = Math.round((255 * ((images[offset + i] ?? 0) - lo)) / span);
      tile.data.set([255 - g, 255 - g, 255 - g, 255], i * 4);
    }
    sctx.putImageData(tile, 0, 0);
    ctx.drawImage(scratch, (n % columns) * (size * scale + gap), Math.floor(n / columns) * (size * scale + gap), size * scale, size * scale);
  }
}

/** A drawing canvas's ink as one `[1, 1, 28, 28]` image: white strokes on black, as MNIST. */
export function canvasToDigit(canvas: HTMLCanvasElement): Float32Array {
  const small = document.createElement("canvas");
  small.width = IMAGE_SIZE;
  small.height = IMAGE_SIZE;
  const ctx = small.getContext("2d");
  if (ctx === null) return new Float32Array(IMAGE_SIZE * IMAGE_SIZE);
  ctx.drawImage(canvas, 0, 0, IMAGE_SIZE, IMAGE_SIZE);
  const { data } = ctx.getImageData(0, 0, IMAGE_SIZE, IMAGE_SIZE);
  return Float32Array.from({ length: IMAGE_SIZE * IMAGE_SIZE }, (_, i) => (data[i * 4 + 3] ?? 0) / 255);
}

interface FileWithPath {
  readonly file: File;
  /** Path inside the dropped folder, `cats/tabby.jpg`. */
  readonly path: string;
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: FileWithPath[]): Promise<void> {
  if (entry.name.startsWith(".")) return; // hidden files, as the CLI's folder reader
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: `${prefix}${entry.name}` });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns at most 100 entries a call; it returns [] once the folder is listed.
  for (let batch = await readEntries(reader); batch.length > 0; batch = await readEntries(reader)) {
    for (const child of batch) await walk(child, `${prefix}${entry.name}/`, out);
  }
}

/** The files a folder picker (`<input webkitdirectory>`) gives, with their paths inside the chosen folder. */
export function pickedFiles(list: FileList): FileWithPath[] {
  return Array.from(list, (file) => ({ file, path: file.webkitRelativePath || file.name }))
    .filter(({ path }) => !path.split("/").some((part) => part.startsWith(".")))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The files of a drop (folders walked through `webkitGetAsEntry`), with their paths inside it.
 * A drop that carries no entries (a page's own synthetic DataTransfer) falls back to its files'
 * `webkitRelativePath`, as the folder picker gives.
 */
export async function droppedFiles(transfer: DataTransfer): Promise<FileWithPath[]> {
  const entries = Array.from(transfer.items, (item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return pickedFiles(transfer.files);
  const out: FileWithPath[] = [];
  for (const entry of entries) await walk(entry, "", out);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function toGray(file: File): Promise<Float32Array> {
  const bitmap = await createImageBitmap(file);
  const canvas = new OffscreenCanvas(IMAGE_SIZE, IMAGE_SIZE);
  const ctx = canvas.getContext("2d");
  if (ctx === null) throw new Error("no 2-D canvas");
  ctx.drawImage(bitmap, 0, 0, IMAGE_SIZE, IMAGE_SIZE);
  bitmap.close();
  const { data } = ctx.getImageData(0, 0, IMAGE_SIZE, IMAGE_SIZE);
  // Rec. 601 luma, as PIL's convert("L") which the CLI's folder reader matches.
  return Float32Array.from({ length: IMAGE_SIZE * IMAGE_SIZE }, (_, i) => (0.299 * (data[i * 4] ?? 0) + 0.587 * (data[i * 4 + 1] ?? 0) + 0.114 * (data[i * 4 + 2] ?? 0)) / 255);
}

/**
 * A dropped folder as run data: each image grayscale at 28×28; the class is the first folder
 * under the dropped one (`photos/cats/x.jpg` → "cats"); every fifth image of a class (by path)
 * is held out for the probe's test. Files the browser cannot decode are skipped and named in
 * `problems`; too few images or classes is an error naming the folder.
 */
export async function folderToRunData(files: readonly FileWithPath[]): Promise<{ data: RunData; problems: string[] }> {
  const problems: string[] = [];
  const byClass = new Map<string, Float32Array[]>();
  const root = files[0]?.path.split("/")[0] ?? "the drop";
  for (const { file, path } of files) {
    const parts = path.split("/");
    const className = parts.length >= 3 ? (parts[1] ?? "") : "(no class folder)";
    try {
      const pixels = await toGray(file);
      byClass.set(className, [...(byClass.get(className) ?? []), pixels]);
    } catch {
      problems.push(`${path}: not an image this browser can decode (skipped)`);
    }
  }
  const total = [...byClass.values()].reduce((n, v) => n + v.length, 0);
  if (total === 0) throw new Error(`${root}: no readable images${problems.length > 0 ? ` (${problems.length} unreadable files)` : ""}`);
  if (byClass.size < 2) throw new Error(`${root}: ${total} image${total === 1 ? "" : "s"} in one class; put them in at least two class subfolders (${root}/cats/, ${root}/dogs/) so the probe can score`);
  for (const [name, images] of byClass) {
    if (images.length < MIN_IMAGES_PER_CLASS) throw new Error(`${root}/${name}: ${images.length} image${images.length === 1 ? "" : "s"}; each class needs at least ${MIN_IMAGES_PER_CLASS}`);
  }
  const classNames = [...byClass.keys()];
  const pool: { images: Float32Array[]; labels: number[] } = { images: [], labels: [] };
  const test: { images: Float32Array[]; labels: number[] } = { images: [], labels: [] };
  classNames.forEach((name, label) => {
    (byClass.get(name) ?? []).forEach((pixels, i) => {
      const into = i % 5 === 4 ? test : pool;
      into.images.push(pixels);
      into.labels.push(label);
    });
  });
  const stack = (s: { images: Float32Array[]; labels: number[] }): DigitSet => {
    const images = new Float32Array(s.images.length * IMAGE_SIZE * IMAGE_SIZE);
    s.images.forEach((p, i) => images.set(p, i * IMAGE_SIZE * IMAGE_SIZE));
    return { images, labels: Int32Array.from(s.labels) };
  };
  return { data: { kind: "images", pool: stack(pool), test: stack(test), shape: [1, IMAGE_SIZE, IMAGE_SIZE], classNames, source: `dropped folder ${root}/ (${total} images, ${classNames.length} classes)` }, problems };
}

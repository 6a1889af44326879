import { classFolderFiles, listFolder } from "../folder-listing.js";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import type { ArrayDataset, Dataset } from "../dataset.js";
import { type ImageShape, type Sample, type SampleSpec, imageSpec } from "../sample.js";
import { imageDataset } from "./image-dataset.js";

/** File extensions indexed as images (case-insensitive); other files are ignored. */
export const IMAGE_EXTENSIONS: readonly string[] = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".avif"];

export interface ImageFolderOptions {
  /** `[height, width]` every image is resized to. */
  size: readonly [number, number];
  /** 1: grayscale (ITU-R BT.709 luma); 3: sRGB. Alpha is composited onto black. */
  channels: 1 | 3;
  /**
   * Skip files that cannot be decoded instead of failing, and count them in `summary()`.
   * Default false: one bad file stops the run with its name.
   */
  skipUnreadable?: boolean;
  /**
   * When bad files are found. "header" (default) reads every file's header while indexing,
   * which catches non-images and most corruption at startup at the cost of one small read per
   * file; "decode" fully decodes every file once (exact, slow on large folders); "none" indexes
   * names only. A file that fails later, on decode, is replaced (see `ImageFolderDataset`).
   */
  validate?: "none" | "header" | "decode";
  /**
   * How many decoded samples the LRU cache keeps. Default: as many as fit in 256 MB of
   * float32, so memory stays bounded whatever the folder's size.
   */
  cacheSize?: number;
  /** Decodes in flight at once (sharp runs them on libuv's threads). Default 8. */
  concurrency?: number;
}

/**
 * What indexing and decoding found: distinct readable images and the files skipped (with
 * `skipUnreadable`), including those found only on decode (whose indices show other files).
 */
export interface ImageFolderSummary {
  readonly images: number;
  readonly skipped: number;
  readonly skippedFiles: readonly { readonly file: string; readonly reason: string }[];
}

const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * Indexes a folder of images: one subfolder per class (labels are the indices of the sorted
 * folder names, `classNames`; class folders are searched recursively), or a flat folder of
 * images (unlabeled). Paths are indexed up front; pixels are decoded on demand, so folders
 * larger than memory work. Names sort by code unit, so the order does not depend on the locale.
 *
 * Images are resized with sharp's `fit: "cover"`: scaled to fill `size` keeping their aspect
 * ratio, then centre-cropped, like torchvision's Resize + CenterCrop; no padding bars, and no
 * distortion. EXIF orientation is applied first.
 */
export async function imageFolderDataset(dir: string, options: ImageFolderOptions): Promise<ImageFolderDataset> {
  const { size, channels, skipUnreadable = false, validate = "header", concurrency = 8 } = options;
  const [height, width] = size;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`imageFolderDataset: size must be [height, width] of positive integers, got [${size.join(", ")}]`);
  }
  if (channels !== 1 && channels !== 3) throw new Error(`imageFolderDataset: channels must be 1 or 3, got ${String(channels)}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`imageFolderDataset: concurrency must be a positive integer, got ${concurrency}`);
  const sampleSize = channels * height * width;
  const cacheSize = options.cacheSize ?? Math.max(1, Math.floor(DEFAULT_CACHE_BYTES / (4 * sampleSize)));
  if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new Error(`imageFolderDataset: cacheSize must be an integer ≥ 0, got ${cacheSize}`);

  const { files, labels, classNames } = await indexFolder(dir);
  const decoder: Decoder = { height, width, channels };
  const skippedFiles: { file: string; reason: string }[] = [];
  let keep = files.map(() => true);
  if (validate !== "none") {
    const check = validate === "header" ? (file: string) => readHeader(file) : (file: string) => decode(file, decoder).then(() => undefined);
    const failures = await mapLimit(files, concurrency * 2, async (file) => {
      try {
        await check(file);
        return null;
      } catch (error) {
        return reasonOf(error);
      }
    });
    keep = failures.map((f) => f === null);
    failures.forEach((reason, i) => {
      if (reason === null) return;
      if (!skipUnreadable) throw new Error(`${files[i]}: unreadable image (${reason}); fix or remove it, or skip unreadable files (skipUnreadable)`);
      skippedFiles.push({ file: files[i] as string, reason });
    });
  }
  const kept = files.filter((_, i) => keep[i]);
  if (kept.length === 0) {
    const first = skippedFiles[0];
    throw new Error(`${dir}: all ${files.length} images are unreadable${first === undefined ? "" : ` (first: ${first.file}: ${first.reason})`}`);
  }
  const keptLabels = labels === null ? null : Int32Array.from(labels.filter((_, i) => keep[i]));
  return new ImageFolderDataset({ dir, files: kept, labels: keptLabels, classNames, decoder, skipUnreadable, skippedFiles, cacheSize, concurrency });
}

interface Decoder {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
}

interface ImageFolderParts {
  dir: string;
  files: string[];
  labels: Int32Array | null;
  classNames: string[] | null;
  decoder: Decoder;
  skipUnreadable: boolean;
  skippedFiles: { file: string; reason: string }[];
  cacheSize: number;
  concurrency: number;
}

/**
 * A folder of images decoded on demand (build one with `imageFolderDataset`). `get` is
 * synchronous and serves only decoded samples: call `getAsync`/`loadBatch` (the DataLoader's
 * async iterator does), or `materialize()` a folder that fits in memory.
 *
 * With `skipUnreadable`, a file that passed indexing but fails to decode is counted as skipped
 * and its index is given the next readable file (its pixels and its label) from then on, so
 * `length` never changes mid-run; `validate: "decode"` rules that out up front.
 */
export class ImageFolderDataset implements Dataset {
  readonly dir: string;
  readonly spec: SampleSpec;
  /** `[C, H, W]` every image is decoded to. */
  readonly sampleShape: ImageShape;
  readonly numClasses?: number;
  /** Class folder names in label order; absent for a flat (unlabeled) folder. */
  readonly classNames?: readonly string[];
  readonly #files: string[];
  readonly #labels: Int32Array | null;
  readonly #decoder: Decoder;
  readonly #skipUnreadable: boolean;
  readonly #skippedFiles: { file: string; reason: string }[];
  readonly #cacheSize: number;
  readonly #concurrency: number;
  /** Decoded samples, least recently used first (a Map iterates in insertion order). */
  readonly #cache = new Map<number, Float32Array>();
  readonly #inFlight = new Map<number, Promise<Float32Array>>();
  /** Files that failed only on decode, after indexing: their indices now show other files. */
  #lateSkips = 0;

  constructor(parts: ImageFolderParts) {
    this.dir = parts.dir;
    this.#files = parts.files;
    this.#labels = parts.labels;
    if (parts.classNames !== null) {
      this.classNames = parts.classNames;
      this.numClasses = parts.classNames.length;
    }
    this.#decoder = parts.decoder;
    this.sampleShape = [parts.decoder.channels, parts.decoder.height, parts.decoder.width];
    this.spec = imageSpec(this.sampleShape);
    this.#skipUnreadable = parts.skipUnreadable;
    this.#skippedFiles = parts.skippedFiles;
    this.#cacheSize = parts.cacheSize;
    this.#concurrency = parts.concurrency;
  }

  get length(): number {
    return this.#files.length;
  }

  get labels(): Int32Array | undefined {
    return this.#labels ?? undefined;
  }

  /** The image file behind `index`. */
  file(index: number): string {
    this.#check(index);
    return this.#files[index] as string;
  }

  summary(): ImageFolderSummary {
    return { images: this.#files.length - this.#lateSkips, skipped: this.#skippedFiles.length, skippedFiles: this.#skippedFiles.map((s) => ({ ...s })) };
  }

  /** A decoded sample from the cache; throws if it is not decoded yet (see the class doc). */
  get(index: number): Sample {
    this.#check(index);
    const image = this.#cache.get(index);
    if (image === undefined) {
      throw new Error(
        `ImageFolderDataset: sample ${index} (${this.#files[index]}) is not decoded yet; images are decoded asynchronously: use getAsync/loadBatch, the DataLoader's async iterator, or materialize() for a folder that fits in memory`,
      );
    }
    this.#touch(index, image);
    return this.#sample(index, image);
  }

  /** Decodes (or takes from the cache) the sample at `index`. */
  async getAsync(index: number): Promise<Sample> {
    this.#check(index);
    return this.#sample(index, await this.#pixels(index));
  }

  /**
   * The samples at `indices`, decoded `concurrency` at a time. The result holds them all even
   * when the batch exceeds the cache; call it ahead of time to prefetch.
   */
  async loadBatch(indices: ArrayLike<number>): Promise<Sample[]> {
    const list = Array.from(indices);
    for (const i of list) this.#check(i);
    const images = await mapLimit(list, this.#concurrency, (i) => this.#pixels(i));
    return list.map((i, k) => this.#sample(i, images[k] as Float32Array));
  }

  /** Decodes every image into memory; for folders that fit. */
  async materialize(): Promise<ArrayDataset> {
    const size = this.sampleShape[0] * this.sampleShape[1] * this.sampleShape[2];
    const images = new Float32Array(this.length * size);
    const chunk = Math.max(this.#concurrency * 4, 64);
    for (let start = 0; start < this.length; start += chunk) {
      const indices = Array.from({ length: Math.min(chunk, this.length - start) }, (_, k) => start + k);
      const samples = await this.loadBatch(indices);
      samples.forEach((s, k) => images.set(s.fields.image as Float32Array, (start + k) * size));
    }
    const labels = this.#labels;
    return imageDataset(images, this.sampleShape, labels === null || this.classNames === undefined ? {} : { labels: labels.slice(), numClasses: this.classNames.length, classNames: this.classNames });
  }

  #sample(index: number, image: Float32Array): Sample {
    const label = this.#labels?.[index];
    return label === undefined ? { fields: { image } } : { fields: { image }, label };
  }

  #check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#files.length) {
      throw new RangeError(`ImageFolderDataset: index ${index} out of range [0, ${this.#files.length})`);
    }
  }

  #touch(index: number, image: Float32Array): void {
    if (this.#cacheSize === 0) return;
    this.#cache.delete(index);
    this.#cache.set(index, image);
    while (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next();
      if (oldest.done === true) break;
      this.#cache.delete(oldest.value);
    }
  }

  #pixels(index: number): Promise<Float32Array> {
    const cached = this.#cache.get(index);
    if (cached !== undefined) {
      this.#touch(index, cached);
      return Promise.resolve(cached);
    }
    const pending = this.#inFlight.get(index);
    if (pending !== undefined) return pending;
    const run = this.#decodeOrReplace(index).then(
      (image) => {
        this.#inFlight.delete(index);
        this.#touch(index, image);
        return image;
      },
      (error: unknown) => {
        this.#inFlight.delete(index);
        throw error;
      },
    );
    this.#inFlight.set(index, run);
    return run;
  }

  async #decodeOrReplace(index: number): Promise<Float32Array> {
    const n = this.#files.length;
    for (let tries = 0; tries < n; tries++) {
      const file = this.#files[index] as string;
      try {
        return await decode(file, this.#decoder);
      } catch (error) {
        const reason = reasonOf(error);
        if (!this.#skipUnreadable) throw new Error(`${file}: unreadable image (${reason}); fix or remove it, or skip unreadable files (skipUnreadable)`);
        // Another index may already have replaced this same file.
        if (!this.#skippedFiles.some((s) => s.file === file)) {
          this.#skippedFiles.push({ file, reason });
          this.#lateSkips++;
        }
        const next = (index + 1 + tries) % n;
        this.#files[index] = this.#files[next] as string;
        if (this.#labels !== null) this.#labels[index] = this.#labels[next] as number;
      }
    }
    throw new Error(`${this.dir}: no image could be decoded`);
  }
}

/** The image files under `dir` with their labels, or a clear error for an empty or missing folder. */
async function indexFolder(dir: string): Promise<{ files: string[]; labels: Int32Array | null; classNames: string[] | null }> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(dir);
  } catch {
    throw new Error(`no such file or directory: ${dir}`);
  }
  if (!info.isDirectory()) throw new Error(`${dir}: not a directory`);
  const { files: images, folders } = await listFolder(dir, IMAGE_EXTENSIONS);
  if (images.length > 0 && folders.length > 0) {
    throw new Error(
      `${dir}: holds both images (e.g. ${images[0]}) and class folders (e.g. ${folders[0]}); put every image in a class folder, or use a folder of images only`,
    );
  }
  if (folders.length === 0) {
    if (images.length === 0) throw new Error(`${dir}: empty folder: no images (${IMAGE_EXTENSIONS.join(", ")}) and no class folders`);
    return { files: images.map((name) => join(dir, name)), labels: null, classNames: null };
  }
  return classFolderFiles(dir, folders, IMAGE_EXTENSIONS, `images (${IMAGE_EXTENSIONS.join(", ")})`);
}


async function readHeader(file: string): Promise<void> {
  const meta = await sharp(file).metadata();
  if (meta.width === undefined || meta.height === undefined) throw new Error("no image size in the header");
}

/** `[C, H, W]` float pixels in [0, 1] of one file, resized and converted to the wanted channels. */
/**
 * One image file as the folder reader decodes it: `[channels, height, width]` floats in [0, 1]
 * (EXIF orientation applied, "cover" resize and centre crop, alpha onto black). For a query image
 * given on the command line, decoded exactly as the indexed items were.
 */
export function decodeImageFile(file: string, shape: ImageShape): Promise<Float32Array> {
  const [channels, height, width] = shape;
  if (channels !== 1 && channels !== 3) throw new Error(`decodeImageFile: channels must be 1 or 3, got ${channels}`);
  return decode(file, { height, width, channels });
}

async function decode(file: string, { height, width, channels }: Decoder): Promise<Float32Array> {
  // NOTE: failOn "warning" makes libvips reject truncated or damaged data instead of returning
  // a partly grey image, so a bad file is reported rather than silently trained on.
  let pipeline = sharp(file, { failOn: "warning" })
    .autoOrient()
    .resize(width, height, { fit: "cover", position: "centre" })
    .flatten({ background: "#000000" });
  pipeline = channels === 1 ? pipeline.grayscale() : pipeline.toColourspace("srgb");
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== channels) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x${channels}`);
  }
  // HWC uint8 → CHW float in [0, 1].
  const plane = height * width;
  const out = new Float32Array(channels * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) out[c * plane + p] = (data[p * channels + c] as number) / 255;
  }
  return out;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.trim() ?? message;
}

/** `fn` over `items` with at most `limit` calls pending, results in item order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const k = next++;
      results[k] = await fn(items[k] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { kMaxLength } from "node:buffer";
import { constants, gunzipSync } from "node:zlib";
import type { ArrayDataset } from "../dataset.js";
import { imageDataset } from "./image-dataset.js";

/**
 * The IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * `00 00 <dtype> <ndim>`, `ndim` big-endian uint32 dimensions, then the values, big-endian,
 * row-major. Files may be gzipped (`.gz`; detected from the gzip magic bytes, not the name).
 */
export type IdxDtype = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";

const DTYPES: ReadonlyMap<number, { dtype: IdxDtype; bytes: number }> = new Map([
  [0x08, { dtype: "uint8", bytes: 1 }],
  [0x09, { dtype: "int8", bytes: 1 }],
  [0x0b, { dtype: "int16", bytes: 2 }],
  [0x0c, { dtype: "int32", bytes: 4 }],
  [0x0d, { dtype: "float32", bytes: 4 }],
  [0x0e, { dtype: "float64", bytes: 8 }],
]);

/** A decoded IDX file: its dtype, its dimensions and its values widened to float64. */
export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly dims: readonly number[];
  readonly values: Float64Array | Uint8Array;
}

/** True when `bytes` start like an IDX file (`00 00`, a known dtype, 1..4 dimensions). */
export function isIdxHeader(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && DTYPES.has(bytes[2] as number) && (bytes[3] as number) >= 1 && (bytes[3] as number) <= 4;
}

/** True when `bytes` start with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses IDX bytes; `file` names the source in errors. uint8 values are returned as they are
 * (no copy), other dtypes converted from big-endian to float64.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw new Error(`${file}: not an IDX file: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  if (!isIdxHeader(bytes)) {
    throw new Error(`${file}: not an IDX file: bad magic number 0x${hex(bytes.subarray(0, 4))} (expected 0x000008NN for uint8 data, e.g. 0x00000803 images, 0x00000801 labels)`);
  }
  const type = DTYPES.get(bytes[2] as number);
  if (type === undefined) throw new Error(`${file}: unknown IDX dtype 0x${hex(bytes.subarray(2, 3))}`);
  const ndim = bytes[3] as number;
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) throw new Error(`${file}: truncated IDX header: ${ndim} dimensions need ${headerSize} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = count * type.bytes;
  const got = bytes.length - headerSize;
  const shape = dims.join("·");
  if (got < expected) throw new Error(`${file}: truncated IDX data: [${shape}] ${type.dtype} needs ${expected} bytes after the header, got ${got}`);
  if (got > expected) throw new Error(`${file}: ${got - expected} unexpected bytes after the [${shape}] ${type.dtype} IDX data (expected ${expected} bytes, got ${got})`);
  if (type.dtype === "uint8") return { dtype: "uint8", dims, values: bytes.subarray(headerSize) };
  const values = new Float64Array(count);
  for (let i = 0, o = headerSize; i < count; i++, o += type.bytes) {
    switch (type.dtype) {
      case "int8":
        values[i] = view.getInt8(o);
        break;
      case "int16":
        values[i] = view.getInt16(o, false);
        break;
      case "int32":
        values[i] = view.getInt32(o, false);
        break;
      case "float32":
        values[i] = view.getFloat32(o, false);
        break;
      case "float64":
        values[i] = view.getFloat64(o, false);
        break;
    }
  }
  return { dtype: type.dtype, dims, values };
}

/** Compressed bytes inflated first to read a gzipped file's IDX header (deflate expands 1 KiB to at most ~1 MB). */
const GZIP_PEEK = 1024;

/**
 * The bytes of `file`, gunzipped when they start with the gzip magic. A gzipped IDX file is
 * inflated to no more than its header declares (and one byte, to tell that it holds more), so a
 * small file that inflates to gigabytes (a gzip bomb) is refused without allocating them.
 */
export function readMaybeGzip(file: string): Uint8Array {
  const raw = readFileSync(file);
  if (!isGzip(raw)) return raw;
  const corrupt = (error: unknown) => new Error(`${file}: corrupt gzip data (${error instanceof Error ? error.message : String(error)})`);
  let head: Uint8Array;
  try {
    head = gunzipSync(raw.subarray(0, GZIP_PEEK), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 2 ** 20 });
  } catch (error) {
    throw corrupt(error);
  }
  // Not IDX inside: the head is enough for parseIdx to say so.
  if (!isIdxHeader(head)) return head;
  const declared = declaredIdxBytes(head);
  const limit = Math.min(declared + 1, kMaxLength);
  try {
    return gunzipSync(raw, { maxOutputLength: limit });
  } catch (error) {
    if (error instanceof RangeError && limit === declared + 1) throw new Error(`${file}: the gzip holds more than the ${declared} bytes its IDX header declares`);
    throw corrupt(error);
  }
}

/** The file size an IDX header declares (header and values); a header cut short declares just itself. */
function declaredIdxBytes(head: Uint8Array): number {
  const ndim = head[3] as number;
  const headerSize = 4 + 4 * ndim;
  if (head.length < headerSize) return head.length;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let count = 1;
  for (let d = 0; d < ndim; d++) count *= view.getUint32(4 + 4 * d, false);
  return headerSize + count * (DTYPES.get(head[2] as number)?.bytes ?? 1);
}

/** Reads and parses an IDX file, plain or gzipped. */
export function readIdx(file: string): IdxArray {
  return parseIdx(readMaybeGzip(file), file);
}

export interface IdxDatasetOptions {
  /** The `*-idx1-ubyte[.gz]` labels file; omitted: unlabeled (see `findIdxLabels` to look for one). */
  labels?: string;
}

/**
 * An IDX images file (`[N, H, W]`, e.g. `train-images-idx3-ubyte.gz`) as a dataset of `[1, H, W]`
 * samples, with labels from an IDX labels file (`[N]` integers ≥ 0) when one is given.
 * uint8 pixels are scaled to [0, 1] (÷255); other dtypes are taken as they are, since their
 * range is not implied by the format.
 */
export function loadIdx(imagesFile: string, options: IdxDatasetOptions = {}): ArrayDataset {
  const images = readIdx(imagesFile);
  if (images.dims.length !== 3) {
    throw new Error(`${imagesFile}: expected IDX images of 3 dimensions [N, H, W], got [${images.dims.join(", ")}]${images.dims.length === 1 ? " (is this a labels file?)" : ""}`);
  }
  const [n, h, w] = images.dims as [number, number, number];
  if (n === 0 || h === 0 || w === 0) throw new Error(`${imagesFile}: empty IDX images [${images.dims.join(", ")}]`);
  const pixels = new Float32Array(images.values.length);
  if (images.dtype === "uint8") for (let i = 0; i < pixels.length; i++) pixels[i] = (images.values[i] as number) / 255;
  else pixels.set(images.values);

  if (options.labels === undefined) return imageDataset(pixels, [1, h, w]);
  const labelsFile = options.labels;
  const labelArray = readIdx(labelsFile);
  if (labelArray.dims.length !== 1) throw new Error(`${labelsFile}: expected IDX labels of 1 dimension [N], got [${labelArray.dims.join(", ")}]`);
  if (labelArray.dims[0] !== n) throw new Error(`image and label counts differ: ${imagesFile} has ${n} images, ${labelsFile} has ${labelArray.dims[0]} labels`);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = labelArray.values[i] as number;
    if (!Number.isInteger(y) || y < 0) throw new Error(`${labelsFile}: label ${i} is ${y}, not a class id (an integer ≥ 0)`);
    labels[i] = y;
  }
  return imageDataset(pixels, [1, h, w], { labels });
}

/**
 * The labels file next to an images file by the MNIST naming convention, or undefined:
 * `train-images-idx3-ubyte[.gz]` → `train-labels-idx1-ubyte[.gz]` (also `.idx3-ubyte` spellings),
 * plain or gzipped whichever exists, the same compression as the images first.
 */
export function findIdxLabels(imagesFile: string): string | undefined {
  const name = basename(imagesFile);
  const stem = name.replace(/\.gz$/i, "");
  if (!/idx3/i.test(stem)) return undefined;
  const labelStem = stem.replace(/idx3/i, "idx1").replace(/images/i, "labels").replace(/image/i, "label");
  const gz = /\.gz$/i.test(name);
  const candidates = gz ? [`${labelStem}.gz`, labelStem] : [labelStem, `${labelStem}.gz`];
  for (const candidate of candidates) {
    const path = join(dirname(imagesFile), candidate);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

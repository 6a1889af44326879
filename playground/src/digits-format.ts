/**
 * The playground's bundled digits (`digits.bin`, written at build time from the `mnist` package by
 * `playground/digits-asset.ts`): a pretraining set and a held-out test set of 28×28 MNIST digits.
 *
 * Layout, little-endian: "PTXD" · u32 version (1) · u32 train count · u32 test count, then for the
 * train digits and then the test digits: u16 pixel values in thousandths ([N·784]), u8 labels [N].
 * The package stores every pixel with three decimals, so thousandths hold it exactly:
 * `Math.fround(k / 1000)` is the float32 that `loadMnist` makes of the decimal text (both are the
 * correctly rounded quotient, rounded again to float32).
 */
export const DIGIT_PIXELS = 28 * 28;
const MAGIC = 0x44585450; // "PTXD" read as a little-endian u32
const HEADER_BYTES = 16;

export interface DigitSet {
  /** `[N, 1, 28, 28]` values in [0, 1]. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
}

export interface Digits {
  readonly train: DigitSet;
  readonly test: DigitSet;
}

function setBytes(n: number): number {
  return n * DIGIT_PIXELS * 2 + n;
}

export function encodeDigits(digits: Digits): Uint8Array {
  const counts = [digits.train.labels.length, digits.test.labels.length] as const;
  const bytes = new Uint8Array(HEADER_BYTES + setBytes(counts[0]) + setBytes(counts[1]) + 1);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, 1, true);
  view.setUint32(8, counts[0], true);
  view.setUint32(12, counts[1], true);
  let at = HEADER_BYTES;
  for (const set of [digits.train, digits.test]) {
    for (const v of set.images) {
      const k = Math.round(v * 1000);
      if (Math.fround(k / 1000) !== v) throw new Error(`encodeDigits: pixel ${v} is not a whole number of thousandths`);
      view.setUint16(at, k, true);
      at += 2;
    }
    for (const y of set.labels) bytes[at++] = y;
  }
  bytes[at] = 0x0a; // a final newline, so a truncated file is told apart from a whole one
  return bytes;
}

/** Decodes `digits.bin`; a damaged file is a one-line error naming `source` and the byte offset. */
export function decodeDigits(bytes: Uint8Array, source = "digits.bin"): Digits {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  if (bytes.length < HEADER_BYTES) fail(`${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) fail("not a digits file (no PTXD at byte 0)");
  if (view.getUint32(4, true) !== 1) fail(`version ${view.getUint32(4, true)} at byte 4; this build reads 1`);
  const counts = [view.getUint32(8, true), view.getUint32(12, true)] as const;
  const expected = HEADER_BYTES + setBytes(counts[0]) + setBytes(counts[1]) + 1;
  if (bytes.length !== expected) fail(`${bytes.length} bytes, but its header (${counts[0]} + ${counts[1]} digits) needs ${expected}`);
  let at = HEADER_BYTES;
  const readSet = (n: number): DigitSet => {
    const images = new Float32Array(n * DIGIT_PIXELS);
    for (let i = 0; i < images.length; i++, at += 2) images[i] = Math.fround(view.getUint16(at, true) / 1000);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++, at++) {
      const y = bytes[at] ?? 0;
      if (y > 9) fail(`label ${y} at byte ${at}`);
      labels[i] = y;
    }
    return { images, labels };
  };
  const train = readSet(counts[0]);
  const test = readSet(counts[1]);
  return { train, test };
}

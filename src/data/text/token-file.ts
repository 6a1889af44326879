import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { TokenStream } from "./token-windows.js";

/**
 * Token ids on disk, as nanoGPT's `train.bin`: little-endian uint16 when the vocabulary fits
 * (≤ 65,536 ids), else uint32, no header (the width is in the file name's extension, `.u16` or
 * `.u32`, so a file can never be read with the wrong width). Windows are read with `pread`, so
 * memory does not grow with the corpus.
 */
export type TokenWidth = 2 | 4;

export function tokenWidth(vocabSize: number): TokenWidth {
  return vocabSize <= 65536 ? 2 : 4;
}

/** The file name for a stream of `name` with ids of `width` bytes: `train.u16`. */
export function tokenFileName(name: string, width: TokenWidth): string {
  return `${name}.u${8 * width}`;
}

/** Writes token ids from `chunks` to `path` (temp file + rename: never half a file), returning how many. */
export function writeTokenFile(path: string, chunks: Iterable<Int32Array>, width: TokenWidth): number {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(temp, "w");
  let count = 0;
  try {
    for (const ids of chunks) {
      for (const id of ids) if (id < 0 || id >= 2 ** (8 * width)) throw new Error(`${path}: token id ${id} does not fit in ${width} bytes`);
      const bytes = width === 2 ? Uint16Array.from(ids) : Uint32Array.from(ids);
      writeSync(fd, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      count += ids.length;
    }
    closeSync(fd);
    renameSync(temp, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(temp, { force: true });
    throw error;
  }
  return count;
}

/** A token file opened for random reads. NOTE: holds a file descriptor until `close`. */
export class TokenFile implements TokenStream {
  readonly length: number;
  readonly #fd: number;
  readonly #width: TokenWidth;
  #buffer = new Uint8Array(0);

  constructor(readonly path: string) {
    const width = path.endsWith(".u16") ? 2 : path.endsWith(".u32") ? 4 : null;
    if (width === null) throw new Error(`${path}: a token file is named *.u16 or *.u32`);
    this.#fd = openSync(path, "r");
    const size = fstatSync(this.#fd).size;
    if (size % width !== 0) {
      closeSync(this.#fd);
      throw new Error(`${path}: ${size} bytes are not a whole number of ${width}-byte token ids`);
    }
    this.#width = width;
    this.length = size / width;
  }

  read(start: number, out: BigInt64Array): void {
    if (start < 0 || start + out.length > this.length) throw new RangeError(`${this.path}: tokens [${start}, ${start + out.length}) outside [0, ${this.length})`);
    const bytes = out.length * this.#width;
    if (this.#buffer.length < bytes) this.#buffer = new Uint8Array(bytes);
    const got = readSync(this.#fd, this.#buffer, 0, bytes, start * this.#width);
    if (got !== bytes) throw new Error(`${this.path}: short read at token ${start}`);
    const view = new DataView(this.#buffer.buffer, 0, bytes);
    if (this.#width === 2) for (let i = 0; i < out.length; i++) out[i] = BigInt(view.getUint16(2 * i, true));
    else for (let i = 0; i < out.length; i++) out[i] = BigInt(view.getUint32(4 * i, true));
  }

  close(): void {
    closeSync(this.#fd);
  }
}

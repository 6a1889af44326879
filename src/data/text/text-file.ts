import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";

/** A text file's contents and how many invalid UTF-8 sequences were replaced by U+FFFD. */
export interface TextFileContents {
  readonly text: string;
  readonly replaced: number;
}

/** Bytes looked at for NUL, the mark of a binary file (as git and grep decide). */
const BINARY_PEEK = 8192;

/**
 * Reads a UTF-8 text file (a BOM is dropped). Invalid byte sequences become U+FFFD and are
 * counted, so the caller can warn ("3 invalid UTF-8 sequences replaced"); a file with a NUL byte
 * in its first 8 KiB is binary and an empty file has no text: both are one-line errors naming
 * the file.
 */
export function readTextFile(path: string): TextFileContents {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`${path}: cannot read (${error instanceof Error ? error.message : String(error)})`);
  }
  return decodeText(bytes, path);
}

/** `readTextFile` on bytes already in memory; `source` names them in errors. */
export function decodeText(bytes: Uint8Array, source: string): TextFileContents {
  if (bytes.length === 0) throw new Error(`${source}: empty file; expected UTF-8 text`);
  const peek = bytes.subarray(0, BINARY_PEEK);
  const nul = peek.indexOf(0);
  if (nul >= 0) throw new Error(`${source}: a binary file (a NUL byte at offset ${nul}), not UTF-8 text`);
  const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(bytes);
  // NOTE: every U+FFFD the decoder wrote is a replacement unless the file itself spelled one
  // (EF BF BD), so the replacements are the decoded U+FFFDs less the encoded ones.
  const replaced = count(text, "\uFFFD") - countBytes(bytes, [0xef, 0xbf, 0xbd]);
  if (text.trim().length === 0) throw new Error(`${source}: no text (only whitespace)`);
  return { text, replaced: Math.max(0, replaced) };
}

function count(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i >= 0; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

function countBytes(bytes: Uint8Array, pattern: readonly [number, number, number]): number {
  let n = 0;
  for (let i = bytes.indexOf(pattern[0]); i >= 0 && i + 2 < bytes.length; i = bytes.indexOf(pattern[0], i + 1)) {
    if (bytes[i + 1] === pattern[1] && bytes[i + 2] === pattern[2]) n++;
  }
  return n;
}

/**
 * Checks a text file without holding it in memory (a corpus may be larger than memory): read a
 * megabyte at a time, it must not be binary (a NUL byte in its first 8 KiB) nor empty or blank;
 * returns how many invalid UTF-8 sequences its decoding replaces by U+FFFD.
 */
export function scanTextFile(path: string): { readonly replaced: number; readonly bytes: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new Error(`${path}: cannot read (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new Error(`${path}: empty file; expected UTF-8 text`);
    const buffer = new Uint8Array(1 << 20);
    const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
    let decoded = 0;
    let encoded = 0;
    let blank = true;
    // The last two bytes of the previous read, so an EF BF BD split between reads is still counted.
    let tail = new Uint8Array(0);
    for (let at = 0; at < size; ) {
      const n = readSync(fd, buffer, 0, buffer.length, at);
      if (n === 0) break;
      const bytes = buffer.subarray(0, n);
      if (at === 0) {
        const nul = bytes.subarray(0, BINARY_PEEK).indexOf(0);
        if (nul >= 0) throw new Error(`${path}: a binary file (a NUL byte at offset ${nul}), not UTF-8 text`);
      }
      at += n;
      const text = decoder.decode(bytes, { stream: at < size });
      decoded += count(text, "\uFFFD");
      if (blank && text.trim().length > 0) blank = false;
      const joined = new Uint8Array(tail.length + n);
      joined.set(tail);
      joined.set(bytes, tail.length);
      encoded += countBytes(joined, [0xef, 0xbf, 0xbd]);
      tail = joined.slice(Math.max(0, joined.length - 2));
    }
    if (blank) throw new Error(`${path}: no text (only whitespace)`);
    return { replaced: Math.max(0, decoded - encoded), bytes: size };
  } finally {
    closeSync(fd);
  }
}

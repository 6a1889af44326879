import { closeSync, openSync, readSync, statSync } from "node:fs";

/**
 * A running text read in pieces, each ending where it is safe to cut (after a newline outside a
 * whitespace run, see `lineChunks`), so that tokenizing the pieces one by one gives the ids of
 * the whole text while memory holds one piece at a time. Iterable again and again: the tokenizer
 * learns from one pass, the token file is written from another.
 */
export interface TextChunks {
  /** For messages. */
  readonly name: string;
  chunks(): Iterable<string>;
}

/** Characters (UTF-16 units) per piece: ~1 MB. */
export const CHUNK_SIZE = 1 << 20;

/** A text in memory as pieces. */
export function textChunks(text: string, name = "text"): TextChunks {
  return { name, chunks: () => lineChunks(text, CHUNK_SIZE) };
}

/** The whole text of `source` as one string (for tests and small texts: a corpus larger than memory has no such string). */
export function wholeText(source: TextChunks): string {
  let out = "";
  for (const chunk of source.chunks()) out += chunk;
  return out;
}

/** The first `n` characters (or fewer) of a text, reading only the pieces they need. */
export function textStart(source: TextChunks, n: number): string {
  let out = "";
  for (const chunk of source.chunks()) {
    out += chunk;
    if (out.length >= n) break;
  }
  return out.slice(0, n);
}

/**
 * `text` in pieces of about `size` characters, each ending after a newline (the last excepted).
 * NOTE: never at a newline inside a run of whitespace (a line ending in spaces, or an indented
 * line after it): the GPT-2 split pattern groups such runs, so a cut there would tokenize
 * differently than the whole text.
 */
export function* lineChunks(text: string, size: number): Generator<string> {
  let start = 0;
  while (start < text.length) {
    const end = safeCut(text, start, Math.min(text.length, start + size));
    yield text.slice(start, end);
    start = end;
  }
}

/** Where to end a piece that starts at `start` and would end at `end`: after the last safe newline before `end`, or at `end`. */
function safeCut(text: string, start: number, end: number): number {
  if (end >= text.length) return text.length;
  let newline = text.lastIndexOf("\n", end);
  while (newline > start && (/\s/u.test(text[newline - 1] ?? "") || /\s/u.test(text[newline + 1] ?? ""))) newline = text.lastIndexOf("\n", newline - 1);
  return newline > start ? newline + 1 : end;
}

/**
 * Text files read a megabyte at a time, decoded as streamed UTF-8 (a character split between two
 * reads is decoded whole; invalid bytes become U+FFFD) and cut at safe newlines; files are
 * joined by a blank line, as `textFolder` joins them. Memory stays at a few megabytes whatever
 * the files' size.
 */
export function fileChunks(files: readonly string[], name: string): TextChunks {
  return {
    name,
    *chunks() {
      for (const [k, file] of files.entries()) {
        let carry = k > 0 ? "\n\n" : "";
        for (const piece of decodedPieces(file)) {
          carry += piece;
          while (carry.length > CHUNK_SIZE) {
            const end = safeCut(carry, 0, CHUNK_SIZE);
            yield carry.slice(0, end);
            carry = carry.slice(end);
          }
        }
        if (carry.length > 0) yield carry;
      }
    },
  };
}

/** A file's text in decoded pieces of ~1 MB (a BOM at its start dropped). */
function* decodedPieces(file: string): Generator<string> {
  const fd = openSync(file, "r");
  try {
    const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
    const buffer = new Uint8Array(CHUNK_SIZE);
    const size = statSync(file).size;
    for (let at = 0; at < size; ) {
      const n = readSync(fd, buffer, 0, buffer.length, at);
      if (n === 0) break;
      at += n;
      yield decoder.decode(buffer.subarray(0, n), { stream: at < size });
    }
  } finally {
    closeSync(fd);
  }
}

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CHUNK_SIZE, fileChunks, textChunks, textStart, wholeText } from "../../../src/data/text/text-chunks.js";
import { tokenizeCorpus } from "../../../src/data/text/text-datasets.js";
import { scanTextFile } from "../../../src/data/text/text-file.js";
import { textFileCorpus } from "../../../src/data/text/text-readers.js";
import { trainByteLevelBpe } from "../../../src/data/text/tokenizer/byte-level-bpe.js";

const dir = mkdtempSync(join(tmpdir(), "pretext-chunks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A text of ~2.5 pieces whose lines hold a multi-byte character every few words, so reads cut through characters. */
function bigText(): string {
  const line = "Call me Ishmael — some years ago, never mind how long précisément, 鯨 🐋\n";
  return line.repeat(Math.ceil((2.5 * CHUNK_SIZE) / line.length));
}

describe("text pieces", () => {
  it("a file read a megabyte at a time gives the whole text, and the same ids as encoding it whole", () => {
    const text = bigText();
    const file = join(dir, "big.txt");
    writeFileSync(file, `\uFEFF${text}`);
    const chunks = fileChunks([file], file);
    const pieces = [...chunks.chunks()];
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.every((p) => p.length <= CHUNK_SIZE + 100)).toBe(true);
    expect(wholeText(chunks)).toBe(text);
    const tokenizer = trainByteLevelBpe([text.slice(0, 5000)], { vocabSize: 300 });
    expect(Array.from(tokenizeCorpus(chunks, tokenizer))).toEqual(Array.from(tokenizer.encode(text)));
    expect(textStart(chunks, 14)).toBe("Call me Ishmae");
  });

  it("files of a folder are joined by a blank line, as one text", () => {
    const [a, b] = [join(dir, "a.txt"), join(dir, "b.txt")];
    writeFileSync(a, "first file\n");
    writeFileSync(b, "second file\n");
    expect(wholeText(fileChunks([a, b], dir))).toBe("first file\n\n\nsecond file\n");
    expect(wholeText(textChunks("in memory\ntoo\n"))).toBe("in memory\ntoo\n");
  });

  it("a corpus file is scanned in pieces: replacements counted across reads, binary and blank files refused", () => {
    // An invalid byte and a literal U+FFFD (EF BF BD), the latter split across the first read's end.
    const head = Buffer.alloc(CHUNK_SIZE - 1, "a".charCodeAt(0));
    const file = join(dir, "odd.txt");
    writeFileSync(file, Buffer.concat([head, Buffer.from([0xef, 0xbf, 0xbd]), Buffer.from(" and \xff bad\n", "latin1")]));
    expect(scanTextFile(file).replaced).toBe(1);
    const source = textFileCorpus(file);
    expect(source.warnings).toEqual([`${file}: 1 invalid UTF-8 sequence replaced by U+FFFD`]);
    writeFileSync(join(dir, "bin.txt"), Buffer.from([0x61, 0, 0x62]));
    expect(() => scanTextFile(join(dir, "bin.txt"))).toThrow("bin.txt: a binary file (a NUL byte at offset 1), not UTF-8 text");
    writeFileSync(join(dir, "blank.txt"), "  \n\t\n");
    expect(() => scanTextFile(join(dir, "blank.txt"))).toThrow("blank.txt: no text (only whitespace)");
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeText, readTextFile } from "../../../src/data/text/text-file.js";

const dir = mkdtempSync(join(tmpdir(), "pretext-text-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `bytes` to a fresh file in the temp folder and returns its path. */
function file(name: string, bytes: readonly number[] | string): string {
  const path = join(dir, name);
  writeFileSync(path, typeof bytes === "string" ? Buffer.from(bytes, "utf8") : Uint8Array.from(bytes));
  return path;
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const REPLACEMENT = [0xef, 0xbf, 0xbd]; // U+FFFD spelt in UTF-8

describe("readTextFile", () => {
  it("reads UTF-8 as written: multi-byte and astral characters, CRLF kept", () => {
    const text = "Call me Ishmael.\r\nCafé — “quoted” 🐳\n";
    expect(readTextFile(file("plain.txt", text))).toEqual({ text, replaced: 0 });
  });

  it("replaces each invalid sequence by one U+FFFD and counts it", () => {
    // a stray continuation byte, a lone 0xFF, a truncated 3-byte sequence (E2 82 before 'x'),
    // an overlong NUL-free encoding of '/' (C0 AF: two maximal subparts) and a surrogate (ED A0 80: three)
    const bytes = [...ascii("a"), 0x80, ...ascii("b"), 0xff, ...ascii("c"), 0xe2, 0x82, ...ascii("x"), 0xc0, 0xaf, ...ascii("y"), 0xed, 0xa0, 0x80, ...ascii("z")];
    const { text, replaced } = readTextFile(file("invalid.txt", bytes));
    expect(text).toBe("a\uFFFDb\uFFFDc\uFFFDx\uFFFD\uFFFDy\uFFFD\uFFFD\uFFFDz");
    expect(replaced).toBe(8);
  });

  it("does not count a U+FFFD the file itself spells, even next to a real replacement or at the very end", () => {
    expect(readTextFile(file("literal.txt", [...ascii("a"), ...REPLACEMENT, ...ascii("b")]))).toEqual({ text: "a\uFFFDb", replaced: 0 });
    expect(readTextFile(file("literal-end.txt", [...ascii("ab"), ...REPLACEMENT]))).toEqual({ text: "ab\uFFFD", replaced: 0 });
    const mixed = readTextFile(file("mixed.txt", [...REPLACEMENT, 0xfe, ...REPLACEMENT, ...ascii("q"), 0xe2, ...REPLACEMENT]));
    expect(mixed.text).toBe("\uFFFD\uFFFD\uFFFDq\uFFFD\uFFFD");
    expect(mixed.replaced).toBe(2); // 0xFE and the E2 cut short by the literal that follows it
  });

  it("drops a byte-order mark at the start only", () => {
    expect(readTextFile(file("bom.txt", [0xef, 0xbb, 0xbf, ...ascii("hi")]))).toEqual({ text: "hi", replaced: 0 });
    // a second BOM is a zero-width no-break space inside the text, kept
    expect(readTextFile(file("two-boms.txt", [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, ...ascii("hi")])).text).toBe("\uFEFFhi");
  });

  it("rejects a binary file (a NUL in the first 8 KiB) with a message naming it", () => {
    const path = file("image.bin", [0x89, ...ascii("PNG\r\n"), 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
    expect(() => readTextFile(path)).toThrow(`${path}: a binary file (a NUL byte at offset 8), not UTF-8 text`);
    // UTF-16 text has NULs too: it is not UTF-8
    const utf16 = file("utf16.txt", [0xff, 0xfe, ...Array.from("hi", (c) => [c.charCodeAt(0), 0]).flat()]);
    expect(() => readTextFile(utf16)).toThrow(`${utf16}: a binary file`);
    // a NUL only after the first 8 KiB is not looked for
    const late = readTextFile(file("late-nul.txt", [...new Array<number>(8192).fill(0x61), 0x00]));
    expect(late.text.length).toBe(8193);
  });

  it("rejects an empty or all-whitespace file and a missing one, naming the file", () => {
    const empty = file("empty.txt", []);
    expect(() => readTextFile(empty)).toThrow(`${empty}: empty file; expected UTF-8 text`);
    const blank = file("blank.txt", " \n\t\r\n");
    expect(() => readTextFile(blank)).toThrow(`${blank}: no text (only whitespace)`);
    const missing = join(dir, "missing.txt");
    expect(() => readTextFile(missing)).toThrow(`${missing}: cannot read`);
  });

  it("decodeText names the given source in its errors", () => {
    expect(() => decodeText(new Uint8Array(0), "stdin")).toThrow("stdin: empty file");
    expect(decodeText(Uint8Array.from([0xc3, 0xa9, 0xc3]), "stdin")).toEqual({ text: "é\uFFFD", replaced: 1 });
  });
});

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TokenFile, tokenFileName, tokenWidth, writeTokenFile } from "../../../src/data/text/token-file.js";
import { ArrayTokenStream, TokenWindowDataset } from "../../../src/data/text/token-windows.js";
import { Rng } from "../../../src/random/rng.js";

const dir = mkdtempSync(join(tmpdir(), "pretext-token-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `n` seeded ids in [0, vocab), with the extremes 0 and vocab − 1 among them. */
function ids(n: number, vocab: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const out = Int32Array.from({ length: n }, () => rng.int(vocab));
  out[1] = 0;
  out[n - 2] = vocab - 1;
  return out;
}

/** `ids` in chunks of uneven sizes (an empty one among them), as a tokenizer streams a corpus. */
function* chunks(values: Int32Array): Generator<Int32Array> {
  let at = 0;
  for (const size of [1, 0, 7, 300]) {
    yield values.subarray(at, at + size);
    at += size;
  }
  yield values.subarray(at);
}

function readAll(file: TokenFile): number[] {
  const out = new BigInt64Array(file.length);
  file.read(0, out);
  return Array.from(out, Number);
}

describe("token files", () => {
  it("the width follows the vocabulary: 2 bytes up to 65,536 ids, else 4; the extension says which", () => {
    expect(tokenWidth(512)).toBe(2);
    expect(tokenWidth(65536)).toBe(2);
    expect(tokenWidth(65537)).toBe(4);
    expect(tokenFileName("train", 2)).toBe("train.u16");
    expect(tokenFileName("test", 4)).toBe("test.u32");
  });

  it.each([
    [2, 65536], // every u16 value, 65535 among them
    [4, 200_000],
  ] as const)("width %i: written in chunks, read back exactly; the bytes are little-endian with no header", (width, vocab) => {
    const values = ids(1000, vocab, width);
    const path = join(dir, tokenFileName(`round-trip-${width}`, width));
    expect(writeTokenFile(path, chunks(values), width)).toBe(1000);
    expect(statSync(path).size).toBe(1000 * width);
    const bytes = readFileSync(path);
    const first = width === 2 ? bytes.readUInt16LE(0) : bytes.readUInt32LE(0);
    expect(first).toBe(values[0]);
    const file = new TokenFile(path);
    try {
      expect(file.length).toBe(1000);
      expect(readAll(file)).toEqual(Array.from(values));
      // a read at an offset, after a longer one (the file's buffer is reused)
      const window = new BigInt64Array(5);
      file.read(997 - 5, window);
      expect(Array.from(window, Number)).toEqual(Array.from(values.subarray(992, 997)));
      expect(() => file.read(998, new BigInt64Array(3))).toThrow(`${path}: tokens [998, 1001) outside [0, 1000)`);
    } finally {
      file.close();
    }
    // no temp file is left behind
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("windows over a token file are the windows over the same ids in memory", () => {
    const values = ids(300, 512, 9);
    const path = join(dir, "windows.u16");
    writeTokenFile(path, [values], 2);
    const file = new TokenFile(path);
    try {
      const onDisk = new TokenWindowDataset(file, { window: 33, stride: 32 });
      const inMemory = new TokenWindowDataset(new ArrayTokenStream(values), { window: 33, stride: 32 });
      expect(onDisk.length).toBe(inMemory.length);
      for (let i = 0; i < onDisk.length; i++) expect(onDisk.get(i).fields.tokens).toEqual(inMemory.get(i).fields.tokens);
    } finally {
      file.close();
    }
  });

  it("is written atomically: a write that fails part-way leaves the old file as it was and no temp file", () => {
    const path = join(dir, "atomic.u16");
    writeTokenFile(path, [Int32Array.of(1, 2, 3)], 2);
    function* failing(): Generator<Int32Array> {
      yield Int32Array.of(7, 8, 9, 10);
      throw new Error("tokenizer crashed");
    }
    expect(() => writeTokenFile(path, failing(), 2)).toThrow("tokenizer crashed");
    expect(readdirSync(dir).filter((f) => f.includes("atomic"))).toEqual(["atomic.u16"]);
    const file = new TokenFile(path);
    expect(readAll(file)).toEqual([1, 2, 3]);
    file.close();
    // and a failed first write leaves nothing at all
    const fresh = join(dir, "fresh.u32");
    expect(() => writeTokenFile(fresh, failing(), 4)).toThrow("tokenizer crashed");
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a wrongly named or truncated file is a clear error naming it", () => {
    const wrong = join(dir, "train.bin");
    writeFileSync(wrong, new Uint8Array(8));
    expect(() => new TokenFile(wrong)).toThrow(`${wrong}: a token file is named *.u16 or *.u32`);
    const short16 = join(dir, "cut.u16");
    writeFileSync(short16, new Uint8Array(7));
    expect(() => new TokenFile(short16)).toThrow(`${short16}: 7 bytes are not a whole number of 2-byte token ids`);
    const short32 = join(dir, "cut.u32");
    writeFileSync(short32, new Uint8Array(10));
    expect(() => new TokenFile(short32)).toThrow(`${short32}: 10 bytes are not a whole number of 4-byte token ids`);
    expect(() => new TokenFile(join(dir, "absent.u16"))).toThrow(/absent\.u16/);
  });

  it("a token file shorter than one window is the same clear error as any corpus", () => {
    const path = join(dir, "tiny.u16");
    writeTokenFile(path, [Int32Array.of(5, 6, 7)], 2);
    const file = new TokenFile(path);
    try {
      expect(() => new TokenWindowDataset(file, { window: 4 })).toThrow("the text has 3 tokens, fewer than one window of 4");
    } finally {
      file.close();
    }
  });
});

import { describe, expect, it } from "vitest";
import { BYTE_TO_UNICODE } from "../../../../src/data/text/tokenizer/bytes-to-unicode.js";
import { ByteLevelBpeTokenizer, FIRST_MERGE_ID, SPECIAL_IDS, countWords, trainByteLevelBpe, trainByteLevelBpeOnWordCounts } from "../../../../src/data/text/tokenizer/index.js";
import { utf8ByteLength } from "../../../../src/data/text/tokenizer/utf8.js";
import { Rng } from "../../../../src/random/rng.js";
import { LATIN1_TEXT, mobyDickChapters, randomText } from "./corpus.js";
import { referenceMerges } from "./reference-bpe.js";

const chapters = mobyDickChapters([1, 2, 3]);
const bpe = trainByteLevelBpe(chapters, { vocabSize: 1000 });
const noMerges = new ByteLevelBpeTokenizer([]);
const rng = new Rng(7);
const randomTexts = Array.from({ length: 200 }, () => randomText(rng, 1 + rng.int(40)));
const encoder = new TextEncoder();
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe("byte-level BPE", () => {
  it("maps bytes to GPT-2's printable characters", () => {
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
    expect([0x20, 0x0a, 0x21, 0x7e, 0x7f, 0xa0, 0xad, 0xff].map((b) => BYTE_TO_UNICODE[b])).toEqual(["Ġ", "Ċ", "!", "~", "ġ", "ł", "Ń", "ÿ"]);
  });

  it("round-trips code points 0 … 255, every single byte, and random Unicode", () => {
    for (const tokenizer of [bpe, noMerges]) {
      expect(tokenizer.decode(tokenizer.encode(LATIN1_TEXT))).toBe(LATIN1_TEXT);
      for (const text of randomTexts) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
    const bytes = Uint8Array.from({ length: 256 }, (_, b) => b);
    expect(noMerges.decode(Array.from(bytes, (b) => 6 + b))).toBe(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes));
    for (let b = 0; b < 256; b++) expect(noMerges.byteLength(6 + b)).toBe(1);
    expect(noMerges.encode("\ud800x")).toEqual(noMerges.encode("\ufffdx")); // a lone surrogate is not UTF-8: it becomes U+FFFD
  });

  it("learns the same merges as recounting every pair for every merge", () => {
    const texts = mobyDickChapters([4, 5]);
    const ours = trainByteLevelBpe(texts, { vocabSize: FIRST_MERGE_ID + 300 }).merges;
    expect(ours).toEqual(referenceMerges(texts, 300));
    const odd = [randomTexts.join(""), "aaaaaaa aaaa aaa ab ab abab bab"];
    expect(trainByteLevelBpe(odd, { vocabSize: FIRST_MERGE_ID + 200 }).merges).toEqual(referenceMerges(odd, 200));
  });

  it("trains deterministically, whatever order the word counts come in", () => {
    const again = trainByteLevelBpe(chapters, { vocabSize: 1000 });
    expect(again.merges).toEqual(bpe.merges);
    expect(trainByteLevelBpe(chapters.join(""), { vocabSize: 400 }).merges).toEqual(trainByteLevelBpe([chapters.join("")], { vocabSize: 400 }).merges);
    const counts = [...countWords(chapters)];
    const shuffled = Array.from(new Rng(1).permutation(counts.length), (i) => counts[i] as [string, number]);
    expect(trainByteLevelBpeOnWordCounts(shuffled, { vocabSize: 1000 }).merges).toEqual(bpe.merges);
    const halves = shuffled.flatMap(([word, count]): Array<[string, number]> => (count > 1 ? [[word, count - 1], [word, 1]] : [[word, 1]]));
    expect(trainByteLevelBpeOnWordCounts(halves.reverse(), { vocabSize: 1000 }).merges).toEqual(bpe.merges);
  });

  it("breaks ties by the smaller pair of ids", () => {
    // "ba" and "ab" both occur twice; (a, b) = (103, 104) is smaller than (104, 103).
    const t = trainByteLevelBpeOnWordCounts([["ba", 2], ["ab", 2]], { vocabSize: FIRST_MERGE_ID + 1 });
    expect(t.merges).toEqual([[6 + 0x61, 6 + 0x62]]);
  });

  it("merges overlapping pairs left to right: aaa → aa + a", () => {
    const t = trainByteLevelBpeOnWordCounts([["aaa", 1]], { vocabSize: FIRST_MERGE_ID + 2 });
    const [a, aa, aaa] = [6 + 0x61, FIRST_MERGE_ID, FIRST_MERGE_ID + 1];
    expect(t.merges).toEqual([[a, a], [aa, a]]);
    const one = new ByteLevelBpeTokenizer([[a, a]]);
    expect(Array.from(one.encode("aaa"))).toEqual([aa, a]);
    expect(Array.from(one.encode("aaaa"))).toEqual([aa, aa]);
    expect(Array.from(one.encode("aaaaa"))).toEqual([aa, aa, a]);
    expect(Array.from(t.encode("aaaaa"))).toEqual([aa, aaa]); // rank 0 first everywhere: aa aa a, then aa + a
  });

  it("never makes two tokens with the same bytes", () => {
    for (const t of [bpe, trainByteLevelBpe([randomTexts.join(" ")], { vocabSize: 700 })]) {
      const strings = Object.keys(t.toTokenizerJson().model.vocab);
      expect(strings.length).toBe(t.vocabSize);
    }
    expect(() => new ByteLevelBpeTokenizer([[103, 103], [103, 103]])).toThrow(/merge 1 .* repeats the bytes/);
    expect(() => new ByteLevelBpeTokenizer([[103, 262]])).toThrow(/merge 0 \(token 262\) joins 262/);
    expect(() => new ByteLevelBpeTokenizer([[2, 103]])).toThrow(/not a byte/);
  });

  it("honours minFrequency and says how many merges the data can give", () => {
    expect(() => trainByteLevelBpe(["hi"], { vocabSize: 261 })).toThrow(/vocabSize must be an integer in \[262, .*got 261/);
    expect(() => trainByteLevelBpe(["hi"], { vocabSize: 300.5 })).toThrow(/vocabSize/);
    expect(trainByteLevelBpe(["hello"], { vocabSize: 262 }).vocabSize).toBe(262);
    expect(() => trainByteLevelBpe(["hello"], { vocabSize: 270 })).toThrow(/needs 8 merges, but the data gives only 4 .*vocabSize ≤ 266/);
    // (a, b) occurs 3 times, then (Ġ, ab) twice, then (Ġ, c) and (c, d) once.
    const t = trainByteLevelBpe(["ab ab ab cd"], { vocabSize: FIRST_MERGE_ID + 2, minFrequency: 2 });
    expect(t.tokenText(FIRST_MERGE_ID + 1)).toBe(" ab");
    expect(() => trainByteLevelBpe(["ab ab ab cd"], { vocabSize: FIRST_MERGE_ID + 3, minFrequency: 2 })).toThrow(/gives only 2 \(no pairs occurring at least 2 times left\)/);
    expect(() => trainByteLevelBpeOnWordCounts([["ab", 0]], { vocabSize: 262 })).toThrow(/count of word "ab" must be a positive integer/);
  });

  it("parses special tokens only with allowSpecial", () => {
    const text = "a <mask> b<eos>";
    const plain = bpe.encode(text);
    expect(Array.from(plain)).not.toContain(SPECIAL_IDS.mask);
    expect(bpe.decode(plain)).toBe(text);
    const special = bpe.encode(text, { allowSpecial: true });
    expect(Array.from(special)).toEqual([...bpe.encode("a "), SPECIAL_IDS.mask, ...bpe.encode(" b"), SPECIAL_IDS.eos]);
    expect(bpe.decode(special)).toBe(text);
    expect(bpe.decode(special, { skipSpecial: true })).toBe("a  b");
    expect(bpe.byteLength(SPECIAL_IDS.mask)).toBe(0);
    expect(bpe.tokenText(SPECIAL_IDS.pad)).toBe("<pad>");
  });

  it("streams decoding without ever emitting half a character", () => {
    // With no merges a 4-byte emoji is 4 tokens; the first three must emit nothing.
    const stream = noMerges.streamDecoder();
    const emoji = Array.from(encoder.encode("🐳"), (b) => 6 + b);
    expect(emoji.map((id) => stream.push(id))).toEqual(["", "", "", "🐳"]);
    expect(stream.flush()).toBe("");
    for (const tokenizer of [bpe, noMerges]) {
      for (const text of randomTexts.slice(0, 50)) {
        const s = tokenizer.streamDecoder();
        const pieces = Array.from(tokenizer.encode(text, { allowSpecial: true }), (id) => s.push(id));
        pieces.push(s.flush());
        expect(pieces.join("")).toBe(text);
        for (const piece of pieces) {
          expect(piece.includes("\ufffd") && !text.includes("\ufffd")).toBe(false);
          expect(LONE_SURROGATE.test(piece)).toBe(false);
        }
      }
    }
    const cut = noMerges.streamDecoder();
    expect(cut.push(6 + 0xe2) + cut.push(SPECIAL_IDS.sep) + cut.push(6 + 0x41)).toBe("\ufffd<sep>A");
    expect(cut.push(6 + 0xf0) + cut.flush()).toBe("\ufffd");
    expect(() => cut.push(bpe.vocabSize)).toThrow(RangeError);
  });

  it("gives offsets that point at each token's characters", () => {
    for (const tokenizer of [bpe, noMerges]) {
      for (const text of [...randomTexts, chapters[0] as string]) {
        const { ids, offsets } = tokenizer.encodeWithOffsets(text, { allowSpecial: true });
        expect(ids).toEqual(tokenizer.encode(text, { allowSpecial: true }));
        expect(offsets.length).toBe(2 * ids.length);
        let covered = 0;
        for (let t = 0; t < ids.length; t++) {
          const [start, end] = [offsets[2 * t] as number, offsets[2 * t + 1] as number];
          const slice = text.slice(start, end);
          const id = ids[t] as number;
          if (id < 6) expect(slice).toBe(tokenizer.tokenText(id));
          else if (!tokenizer.tokenText(id).includes("<0x")) expect(slice).toBe(tokenizer.decode([id]));
          else expect(Buffer.from(encoder.encode(slice)).includes(Buffer.from(encoder.encode(tokenizer.decode([id]).replaceAll("\ufffd", ""))))).toBe(true);
          expect(start).toBeLessThanOrEqual(covered); // no gaps; overlaps only inside a split character
          expect(end).toBeGreaterThan(start);
          covered = Math.max(covered, end);
        }
        expect(covered).toBe(text.length);
      }
    }
    const { offsets } = bpe.encodeWithOffsets("whale 🐳!");
    expect(Array.from(offsets).slice(-2)).toEqual([8, 9]);
  });

  it("counts bytes: Σ byteLength = UTF-8 length", () => {
    for (const text of [...randomTexts, ...chapters]) {
      const ids = bpe.encode(text);
      expect(ids.reduce((sum, id) => sum + bpe.byteLength(id), 0)).toBe(utf8ByteLength(text));
      expect(utf8ByteLength(text)).toBe(encoder.encode(text).length);
    }
  });

  it("shows tokens as text", () => {
    const the = bpe.encode(" the");
    expect(the.length).toBe(1);
    expect(bpe.tokenText(the[0] as number)).toBe(" the");
    expect(noMerges.tokenText(6 + 0xe2)).toBe("<0xE2>");
    expect(noMerges.tokenText(6 + 0x0a)).toBe("\n");
    expect(() => bpe.tokenText(-1)).toThrow(/id -1 is not in the vocabulary/);
    expect(() => bpe.decode([bpe.vocabSize])).toThrow(RangeError);
  });

  it("encodes a long run of one character in reasonable time (no quadratic merge loop)", () => {
    const t = trainByteLevelBpe(["aaaaaaaaaaaaaaaa"], { vocabSize: FIRST_MERGE_ID + 4 });
    const long = "a".repeat(200_000);
    const started = performance.now();
    const ids = t.encode(long);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(ids.length).toBe(200_000 / 16);
    expect(t.decode(ids)).toBe(long);
  });
});

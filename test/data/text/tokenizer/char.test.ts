import { describe, expect, it } from "vitest";
import { CharTokenizer, SPECIAL_IDS, trainCharTokenizer } from "../../../../src/data/text/tokenizer/index.js";
import { utf8ByteLength } from "../../../../src/data/text/tokenizer/utf8.js";
import { Rng } from "../../../../src/random/rng.js";
import { LATIN1_TEXT, mobyDickChapters, randomText } from "./corpus.js";

const rng = new Rng(3);
const randomTexts = Array.from({ length: 200 }, () => randomText(rng, 1 + rng.int(40)));
const everything = trainCharTokenizer([LATIN1_TEXT, ...randomTexts]);

describe("character tokenizer", () => {
  it("has the specials, then the distinct code points in code-point order", () => {
    const t = trainCharTokenizer("b\uffffa🐳b\ue000");
    expect(t.vocabSize).toBe(6 + 5);
    expect(t.chars).toEqual(["a", "b", "\ue000", "\uffff", "🐳"]); // not JS string order, which puts 🐳 (D83D DC33) first
    expect(Array.from(t.encode("ab🐳"))).toEqual([6, 7, 10]);
    expect(t.specials).toEqual({ pad: 0, unk: 1, mask: 2, cls: 3, sep: 4, eos: 5 });
    expect(trainCharTokenizer(["ab", "ba"]).chars).toEqual(["a", "b"]);
    expect(() => new CharTokenizer([98, 97])).toThrow(/ascending/);
  });

  it("round-trips what it was trained on, one token per code point", () => {
    for (const text of [LATIN1_TEXT, ...randomTexts]) {
      const ids = everything.encode(text);
      expect(ids.length).toBe([...text].length);
      expect(everything.decode(ids)).toBe(text);
    }
  });

  it("maps unseen characters to <unk>", () => {
    const [chapter] = mobyDickChapters([1]);
    const t = trainCharTokenizer(chapter as string);
    expect(Array.from(t.encode("a~🐳"))).toEqual([...t.encode("a"), SPECIAL_IDS.unk, SPECIAL_IDS.unk]);
    expect(t.decode(t.encode("a~"))).toBe("a<unk>");
    expect(t.decode(t.encode("a~"), { skipSpecial: true })).toBe("a");
  });

  it("parses special tokens only with allowSpecial", () => {
    expect(Array.from(everything.encode("<mask>a")).slice(0, 6)).toEqual(Array.from(everything.encode("<mask>")));
    expect(Array.from(everything.encode("<mask>a", { allowSpecial: true }))).toEqual([SPECIAL_IDS.mask, ...everything.encode("a")]);
    expect(everything.decode(everything.encode("x<sep>y", { allowSpecial: true }))).toBe("x<sep>y");
  });

  it("gives offsets, byte lengths and a stream decoder", () => {
    for (const text of randomTexts) {
      const { ids, offsets } = everything.encodeWithOffsets(text, { allowSpecial: true });
      ids.forEach((id, t) => expect(text.slice(offsets[2 * t], offsets[2 * t + 1])).toBe(everything.tokenText(id)));
      const plain = everything.encode(text);
      expect(plain.reduce((sum, id) => sum + everything.byteLength(id), 0)).toBe(utf8ByteLength(text));
      const stream = everything.streamDecoder();
      expect(Array.from(plain, (id) => stream.push(id)).join("") + stream.flush()).toBe(text);
    }
    expect(everything.byteLength(SPECIAL_IDS.unk)).toBe(0);
    expect(() => everything.decode([everything.vocabSize])).toThrow(RangeError);
  });
});

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type TokenizerJson, loadTokenizerJson, readTokenizerFile, trainByteLevelBpe, trainCharTokenizer, writeTokenizerFile } from "../../../../src/data/text/tokenizer/index.js";
import { mobyDickChapters } from "./corpus.js";

const chapters = mobyDickChapters([7, 8]);
const bpe = trainByteLevelBpe(chapters, { vocabSize: 400 });
const chars = trainCharTokenizer(chapters);
const dir = mkdtempSync(join(tmpdir(), "pretext-tokenizer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DELETE = Symbol("delete");
type Edit = readonly [path: readonly string[], value: unknown];

/** A JSON copy of `json` with each edit's value set at its path (DELETE removes the field). */
function edited(json: TokenizerJson, edits: readonly Edit[]): unknown {
  const copy: unknown = JSON.parse(JSON.stringify(json));
  for (const [path, value] of edits) {
    let node = copy as Record<string, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = path[path.length - 1] as string;
    if (value === DELETE) delete node[last];
    else node[last] = value;
  }
  return copy;
}

describe("tokenizer.json", () => {
  it("writes atomically and reads back the same tokenizer", async () => {
    for (const tokenizer of [bpe, chars]) {
      const path = join(dir, `${tokenizer.kind}`, "tokenizer.json");
      await writeTokenizerFile(path, tokenizer);
      expect(readdirSync(join(dir, tokenizer.kind))).toEqual(["tokenizer.json"]);
      const back = await readTokenizerFile(path);
      expect(back.kind).toBe(tokenizer.kind);
      expect(back.toTokenizerJson()).toEqual(tokenizer.toTokenizerJson());
      const text = chapters[1] as string;
      expect(back.encode(text)).toEqual(tokenizer.encode(text));
    }
  });

  it("stores GPT-2's byte-level layout", () => {
    const json = bpe.toTokenizerJson();
    expect(json.pre_tokenizer).toEqual({ type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true });
    expect(json.model.vocab["Ġ"]).toBe(6 + 0x20);
    expect(json.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual([[0, "<pad>", true], [1, "<unk>", true], [2, "<mask>", true], [3, "<cls>", true], [4, "<sep>", true], [5, "<eos>", true]]);
    expect(json.model.merges.length).toBe(400 - 262);
    expect(json.model.merges.every((m) => m.split(" ").length === 2)).toBe(true);
  });

  it("reads merges as pairs too", () => {
    const json = bpe.toTokenizerJson();
    const pairs = { ...json, model: { ...json.model, merges: json.model.merges.map((m) => m.split(" ")) } };
    expect(loadTokenizerJson(pairs, "pairs.json").toTokenizerJson()).toEqual(json);
  });

  it("names the source and the field in one-line errors", async () => {
    const json = bpe.toTokenizerJson();
    const merges = json.model.merges;
    const cases: Array<[Edit[], RegExp]> = [
      [[[["model", "vocab"], DELETE]], /^tokenizer\.json: model\.vocab is missing$/],
      [[[["model"], DELETE]], /^tokenizer\.json: model is missing$/],
      [[[["model", "type"], "WordPiece"]], /model\.type must be "BPE", got "WordPiece"/],
      [[[["model", "merges"], "a b"]], /model\.merges must be an array/],
      [[[["model", "vocab", "Ġ"], 1.5]], /model\.vocab\["Ġ"\] must be an id in 0 … 399, got 1\.5/],
      [[[["model", "vocab", "Ġ"], 7]], /model\.vocab gives id 7 to both/],
      [[[["added_tokens"], json.added_tokens.slice(0, 5)]], /added_tokens must hold the 6 special tokens, got 5/],
      [[[["added_tokens", "2", "content"], "[MASK]"]], /added_tokens\[2\] must be id 2, content "<mask>"/],
      [[[["model", "merges", "3"], "Ġ"]], /model\.merges\[3\] must be "left right"/],
      [[[["model", "merges", "3"], "Ġ zzz"]], /model\.merges\[3\] "Ġ zzz" joins a token that is not in model\.vocab/],
      [[[["model", "merges"], [...merges.slice(0, 3), merges[4], merges[3], ...merges.slice(5)]]], /model\.merges\[3\] .* must make token 265/],
      [[[["model", "merges"], merges.slice(0, -1)]], /model\.vocab has 400 tokens, but 262 \+ 137 merges make 399/],
      [[[["pre_tokenizer", "add_prefix_space"], true]], /pre_tokenizer\.add_prefix_space must be false/],
      [[[["pre_tokenizer"], { type: "Whitespace" }]], /pre_tokenizer\.type must be "ByteLevel"/],
      [[[["decoder"], { type: "Fuse" }]], /decoder\.type must be "ByteLevel"/],
      [[[["normalizer"], { type: "NFC" }]], /normalizer must be null/],
      [[[["model", "end_of_word_suffix"], "</w>"]], /model\.end_of_word_suffix must be null, got "<\/w>"/],
    ];
    for (const [edits, message] of cases) expect(() => loadTokenizerJson(edited(json, edits), "tokenizer.json")).toThrow(message);
    expect(() => loadTokenizerJson([], "x.json")).toThrow(/^x\.json: the top level must be an object, got \[\]$/);

    const charJson = chars.toTokenizerJson();
    const { a, b } = charJson.model.vocab;
    const charCases: Array<[Edit[], RegExp]> = [
      [[[["model", "merges"], ["a b"]]], /model\.merges must be empty for a character tokenizer/],
      [[[["model", "unk_token"], null]], /model\.unk_token must be "<unk>"/],
      [[[["model", "vocab", "ab"], 6 + chars.chars.length]], /model\.vocab\["ab"\] \(id \d+\) must be one character/],
      [[[["model", "vocab", "a"], b], [["model", "vocab", "b"], a]], /code-point order/],
    ];
    for (const [edits, message] of charCases) expect(() => loadTokenizerJson(edited(charJson, edits), "chars.json")).toThrow(message);

    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    await expect(readTokenizerFile(broken)).rejects.toThrow(/broken\.json: not valid JSON/);
  });
});

import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { trainByteLevelBpe } from "../../../src/data/text/tokenizer/byte-level-bpe.js";
import { trainCharTokenizer } from "../../../src/data/text/tokenizer/char.js";
import { readTokenizerFile } from "../../../src/data/text/tokenizer/tokenizer-file.js";
import type { BadInput } from "../bad-input.js";

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const bpe = (): Json => clone(trainByteLevelBpe("the cat sat on the mat, the cat ran", { vocabSize: 270 }).toTokenizerJson()) as unknown as Json;
const chars = (): Json => clone(trainCharTokenizer("abc").toTokenizerJson()) as unknown as Json;
const model = (j: Json) => j.model as { vocab: Record<string, number>; merges: unknown[]; [k: string]: unknown };

/** A damaged tokenizer.json: `readTokenizerFile` names the file and the field. */
function tokCase(name: string, contents: () => string | Json, message: RegExp, cli = false): BadInput {
  const write = (dir: string) => {
    const c = contents();
    writeFileSync(join(dir, "tokenizer.json"), typeof c === "string" ? c : JSON.stringify(c));
  };
  return {
    reader: "tokenizer",
    name,
    files: cli
      ? (dir, ctx) => {
          cpSync(ctx.goodTextRun, join(dir, "run"), { recursive: true });
          write(join(dir, "run"));
          write(dir);
        }
      : write,
    ...(cli ? { cli: (dir: string) => ["generate", join(dir, "run"), "--max-tokens", "2"] } : {}),
    library: (dir) => readTokenizerFile(join(dir, "tokenizer.json")),
    message: new RegExp(`tokenizer\\.json: ${message.source}`),
  };
}

const edit = (base: () => Json, change: (j: Json) => void) => () => {
  const j = base();
  change(j);
  return j;
};

export const tokenizerCases: readonly BadInput[] = [
  tokCase("not JSON", () => "{ model: BPE }", /not valid JSON/, true),
  tokCase("an empty file", () => "", /not valid JSON/, true),
  tokCase("a JSON array", () => "[]", /the top level must be an object/, true),
  tokCase("no model", edit(bpe, (j) => delete j.model), /model is missing/),
  tokCase("a WordPiece model", edit(bpe, (j) => (model(j).type = "WordPiece")), /model\.type must be "BPE", got "WordPiece"/),
  tokCase("merges that are not a list", edit(bpe, (j) => ((j.model as Json).merges = "a b")), /model\.merges must be an array/),
  tokCase("a vocabulary id out of range", edit(bpe, (j) => (model(j).vocab["the"] = 99999)), /model\.vocab\["the"\] must be an id in 0 … \d+, got 99999/),
  tokCase("two tokens with one id", edit(bpe, (j) => (model(j).vocab["<pad>"] = 1)), /model\.vocab (gives id 1 to both|must give id)/),
  tokCase("specials out of place", edit(bpe, (j) => { const v = model(j).vocab; [v["<pad>"], v["<unk>"]] = [v["<unk>"] as number, v["<pad>"] as number]; }), /model\.vocab must give id 0 to "<pad>", got "<unk>"/),
  tokCase("a merge of a token not in the vocabulary", edit(bpe, (j) => (model(j).merges[0] = "zz qq")), /model\.merges\[0\] "zz qq" joins a token that is not in model\.vocab/),
  tokCase("a merge of one part", edit(bpe, (j) => (model(j).merges[0] = "the")), /model\.merges\[0\] must be "left right"/),
  tokCase("a merge named by prototype keys", edit(bpe, (j) => (model(j).merges[0] = "constructor __proto__")), /model\.merges\[0\] .* joins a token that is not in model\.vocab/),
  tokCase("a dropout", edit(bpe, (j) => (model(j).dropout = 0.1)), /model\.dropout must be null, got 0\.1/),
  tokCase("a normalizer", edit(bpe, (j) => (j.normalizer = { type: "NFC" })), /normalizer must be null/),
  tokCase("added tokens missing", edit(bpe, (j) => delete j.added_tokens), /added_tokens is missing/),
  tokCase("a wrong added token", edit(bpe, (j) => ((j.added_tokens as Json[])[2] = { id: 2, content: "[MASK]" })), /added_tokens\[2\] must be id 2, content "<mask>"/),
  tokCase("a Metaspace pre-tokenizer", edit(bpe, (j) => (j.pre_tokenizer = { type: "Metaspace" })), /pre_tokenizer\.type must be "ByteLevel"/),
  tokCase("a character vocabulary out of order", edit(chars, (j) => { const v = model(j).vocab; [v.a, v.c] = [v.c as number, v.a as number]; }), /model\.vocab must list characters in code-point order/),
  tokCase("a character token of two characters", edit(chars, (j) => { const v = model(j).vocab; v.ab = v.a as number; delete v.a; }), /model\.vocab\["ab"\] \(id 6\) must be one character/),
];

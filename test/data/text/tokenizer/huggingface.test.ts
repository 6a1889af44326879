import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { describe, expect, it } from "vitest";
import { type Tokenizer, loadTokenizerJson, trainByteLevelBpe, trainCharTokenizer } from "../../../../src/data/text/tokenizer/index.js";
import { Rng } from "../../../../src/random/rng.js";
import { mobyDickChapters, randomText } from "./corpus.js";

// Hugging Face's tokenizers.js is the oracle: it must read our tokenizer.json and agree with us.
const training = mobyDickChapters([1, 2, 3, 4, 5, 6]);
const unseen = mobyDickChapters([40, 41, 42, 133]);
const rng = new Rng(11);
const randomTexts = Array.from({ length: 100 }, () => randomText(rng, 1 + rng.int(30)));

/** Our tokenizer as tokenizers.js sees it, after a trip through JSON text. */
function throughHuggingFace(tokenizer: Tokenizer): HfTokenizer {
  const json: unknown = JSON.parse(JSON.stringify(tokenizer.toTokenizerJson()));
  // NOTE: clean_up_tokenization_spaces would turn " ." into "." on decoding, a BERT-era habit.
  return new HfTokenizer(json as object, { clean_up_tokenization_spaces: false });
}

function expectAgreement(ours: Tokenizer, texts: readonly string[]): void {
  const theirs = throughHuggingFace(ours);
  for (const text of texts) {
    // tokenizers.js always parses added tokens, which is our allowSpecial.
    const ids = Array.from(ours.encode(text, { allowSpecial: true }));
    expect(theirs.encode(text, { add_special_tokens: false }).ids).toEqual(ids);
    if (ids.length > 0) expect(theirs.decode(ids)).toBe(ours.decode(ids));
  }
  const loaded = loadTokenizerJson(JSON.parse(JSON.stringify(ours.toTokenizerJson())), "tokenizer.json");
  for (const text of texts) expect(loaded.encode(text)).toEqual(ours.encode(text));
}

describe("tokenizer.json read by @huggingface/tokenizers", () => {
  it("byte-level BPE: same ids and text on unseen chapters and random Unicode", () => {
    const bpe = trainByteLevelBpe(training, { vocabSize: 2000 });
    expectAgreement(bpe, [...unseen, ...randomTexts, "<mask> the whale<eos>"]);
    const theirs = throughHuggingFace(bpe);
    expect(theirs.tokenize(" whale\n")).toEqual(["Ġwhale", "Ċ"]);
    expect(theirs.token_to_id("Ġwhale")).toBe(bpe.encode(" whale")[0]);
    expect(theirs.decode([2, 3], { skip_special_tokens: true })).toBe("");
  });

  it("characters: same ids (unknown characters as <unk>) and text", () => {
    const chars = trainCharTokenizer(training);
    expectAgreement(chars, [...unseen, ...randomTexts]);
    expect(throughHuggingFace(chars).encode("~🐳", { add_special_tokens: false }).ids).toEqual([1, 1]);
  });
});

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { trainByteLevelBpe } from "../../../src/data/text/tokenizer/byte-level-bpe.js";
import { trainCharTokenizer } from "../../../src/data/text/tokenizer/char.js";
import { readTokenizerFile } from "../../../src/data/text/tokenizer/tokenizer-file.js";
import type { FuzzTarget } from "../fuzz-target.js";
import { mutatedText } from "../mutate.js";
import { type Json, editedJson } from "./json-edits.js";

const bpe = JSON.parse(JSON.stringify(trainByteLevelBpe("the cat sat on the mat, the cat ran", { vocabSize: 268 }).toTokenizerJson())) as Json;
const chars = JSON.parse(JSON.stringify(trainCharTokenizer("abc é").toTokenizerJson())) as Json;

const documents = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(editedJson(bpe), editedJson(chars)) },
  mutatedText(fc.constant(JSON.stringify(bpe)), ['"', "{", "}", "[", ",", ":", "\\", "0", " "]),
  fc.string({ maxLength: 40 }),
);

/**
 * tokenizer.json through `readTokenizerFile`; a tokenizer it accepts must then encode and decode
 * without throwing, so the validation leaves nothing for use to trip over.
 */
export const tokenizerTarget: FuzzTarget<{ document: string; text: string }> = {
  name: "tokenizer",
  arbitrary: fc.record({ document: documents, text: fc.oneof(fc.constant("the cat ran, abc é"), fc.string({ maxLength: 12, unit: "binary" })) }),
  prepare: ({ document, text }, dir) => {
    const file = join(dir, "tokenizer.json");
    writeFileSync(file, document);
    return {
      source: file,
      read: async () => {
        const tokenizer = await readTokenizerFile(file);
        tokenizer.decode(tokenizer.encode(text));
      },
    };
  },
};

// NOTE: only tokenizer-file.ts touches node:fs; an entry point for browsers can leave it out.
export { ByteLevelBpeTokenizer, type ByteLevelBpeTrainOptions, FIRST_BYTE_ID, FIRST_MERGE_ID, trainByteLevelBpe, trainByteLevelBpeOnWordCounts } from "./byte-level-bpe.js";
export { BYTE_TO_UNICODE } from "./bytes-to-unicode.js";
export { CharTokenizer, trainCharTokenizer } from "./char.js";
export { countWords, GPT2_SPLIT_PATTERN } from "./pretokenize.js";
export {
  type DecodeOptions,
  type EncodeOptions,
  type EncodingWithOffsets,
  SPECIAL_IDS,
  SPECIAL_TOKENS,
  type SpecialName,
  type StreamDecoder,
  type Tokenizer,
} from "./tokenizer.js";
export { readTokenizerFile, writeTokenizerFile } from "./tokenizer-file.js";
export { loadTokenizerJson } from "./tokenizer-json.js";
export type { TokenizerJson } from "./tokenizer-json-format.js";
export { utf8ByteLength } from "./utf8.js";

import { BYTE_TO_UNICODE } from "./bytes-to-unicode.js";
import { ByteLevelBpeTokenizer, FIRST_BYTE_ID, FIRST_MERGE_ID } from "./byte-level-bpe.js";
import { CharTokenizer } from "./char.js";
import { NUM_SPECIAL_TOKENS, SPECIAL_IDS, SPECIAL_TOKEN_LIST, type Tokenizer } from "./tokenizer.js";

/**
 * A tokenizer from a parsed `tokenizer.json` that pretext wrote (or one laid out the same way):
 * byte-level BPE when the pre-tokenizer is ByteLevel, characters when there is none. The file is
 * checked against the layout exactly — specials at 0 … 5, then the 256 bytes in byte order (or
 * the characters in code-point order), then one token per merge in rank order — since any other
 * layout would encode differently from the tokenizer that wrote it. Errors are one line naming
 * `source` and the field: `tokenizer.json: model.vocab is missing`.
 */
export function loadTokenizerJson(json: unknown, source: string): Tokenizer {
  const fail = (message: string): never => {
    throw new Error(`${source}: ${message}`);
  };
  const root = objectAt(json, "the top level", fail);
  if (root.normalizer !== undefined && root.normalizer !== null) fail("normalizer must be null (pretext tokenizers do not normalize text)");
  const model = objectAt(root.model, "model", fail);
  if (model.type !== "BPE") fail(`model.type must be "BPE", got ${show(model.type)}`);
  const vocabObject = objectAt(model.vocab, "model.vocab", fail);
  if (!Array.isArray(model.merges)) fail(model.merges === undefined ? "model.merges is missing" : "model.merges must be an array");
  const merges = model.merges as unknown[];
  // NOTE: each of these would make Hugging Face encode differently from the tokenizer that wrote the file.
  for (const field of ["dropout", "continuing_subword_prefix", "end_of_word_suffix"]) {
    if (model[field] !== undefined && model[field] !== null && model[field] !== "") fail(`model.${field} must be null, got ${show(model[field])}`);
  }
  checkAddedTokens(root.added_tokens, fail);

  const vocabSize = Object.keys(vocabObject).length;
  const strings = new Array<string>(vocabSize);
  for (const [token, id] of Object.entries(vocabObject)) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize) fail(`model.vocab[${JSON.stringify(token)}] must be an id in 0 … ${vocabSize - 1}, got ${show(id)}`);
    if (strings[id as number] !== undefined) fail(`model.vocab gives id ${show(id)} to both ${JSON.stringify(strings[id as number])} and ${JSON.stringify(token)}`);
    strings[id as number] = token;
  }
  SPECIAL_TOKEN_LIST.forEach((special, id) => {
    if (strings[id] !== special) fail(`model.vocab must give id ${id} to ${JSON.stringify(special)}, got ${JSON.stringify(strings[id])}`);
  });

  const preTokenizer = root.pre_tokenizer;
  const decoder = objectAt(root.decoder, "decoder", fail);
  if (preTokenizer === null || preTokenizer === undefined) {
    if (decoder.type !== "Fuse") fail(`decoder.type must be "Fuse" for a character tokenizer (no pre_tokenizer), got ${show(decoder.type)}`);
    if (merges.length > 0) fail(`model.merges must be empty for a character tokenizer (no pre_tokenizer), got ${merges.length}`);
    if (model.unk_token !== SPECIAL_TOKEN_LIST[SPECIAL_IDS.unk]) fail(`model.unk_token must be "<unk>" for a character tokenizer, got ${show(model.unk_token)}`);
    return charTokenizer(strings, fail);
  }
  const pre = objectAt(preTokenizer, "pre_tokenizer", fail);
  if (pre.type !== "ByteLevel") fail(`pre_tokenizer.type must be "ByteLevel" or pre_tokenizer null, got ${show(pre.type)}`);
  if (pre.add_prefix_space === true) fail("pre_tokenizer.add_prefix_space must be false");
  if (pre.use_regex === false) fail("pre_tokenizer.use_regex must be true");
  if (decoder.type !== "ByteLevel") fail(`decoder.type must be "ByteLevel" with a ByteLevel pre_tokenizer, got ${show(decoder.type)}`);
  return byteLevelBpe(strings, merges, vocabObject, fail);
}

function byteLevelBpe(strings: string[], merges: unknown[], vocab: Record<string, unknown>, fail: (message: string) => never): Tokenizer {
  for (let b = 0; b < 256; b++) {
    const id = FIRST_BYTE_ID + b;
    if (strings[id] !== BYTE_TO_UNICODE[b]) fail(`model.vocab must give id ${id} to byte 0x${b.toString(16).padStart(2, "0")} (${JSON.stringify(BYTE_TO_UNICODE[b])}), got ${JSON.stringify(strings[id])}`);
  }
  if (strings.length !== FIRST_MERGE_ID + merges.length) fail(`model.vocab has ${strings.length} tokens, but 262 + ${merges.length} merges make ${FIRST_MERGE_ID + merges.length}`);
  const pairs = merges.map((merge, k): [number, number] => {
    const parts = typeof merge === "string" ? merge.split(" ") : merge;
    if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== "string" || typeof parts[1] !== "string") {
      return fail(`model.merges[${k}] must be "left right" or ["left", "right"], got ${show(merge)}`);
    }
    const [left, right] = parts as [string, string];
    const a = vocab[left];
    const b = vocab[right];
    if (typeof a !== "number" || typeof b !== "number") return fail(`model.merges[${k}] ${show(merge)} joins a token that is not in model.vocab`);
    const id = FIRST_MERGE_ID + k;
    if (vocab[left + right] !== id) fail(`model.merges[${k}] ${show(merge)} must make token ${id}, but model.vocab[${JSON.stringify(left + right)}] is ${show(vocab[left + right])}`);
    if (a >= id || b >= id) fail(`model.merges[${k}] ${show(merge)} joins a token made by a later merge`);
    return [a, b];
  });
  return new ByteLevelBpeTokenizer(pairs);
}

function charTokenizer(strings: string[], fail: (message: string) => never): Tokenizer {
  const codePoints = strings.slice(NUM_SPECIAL_TOKENS).map((s, i) => {
    const cp = s.codePointAt(0);
    if (cp === undefined || String.fromCodePoint(cp) !== s) fail(`model.vocab[${JSON.stringify(s)}] (id ${NUM_SPECIAL_TOKENS + i}) must be one character`);
    return cp as number;
  });
  codePoints.forEach((cp, i) => {
    if (i > 0 && cp <= (codePoints[i - 1] as number)) fail(`model.vocab must list characters in code-point order (id ${NUM_SPECIAL_TOKENS + i}, ${JSON.stringify(strings[NUM_SPECIAL_TOKENS + i])}, comes after a larger one)`);
  });
  return new CharTokenizer(codePoints);
}

function checkAddedTokens(value: unknown, fail: (message: string) => never): void {
  if (!Array.isArray(value)) fail(value === undefined ? "added_tokens is missing" : "added_tokens must be an array");
  const tokens = value as unknown[];
  if (tokens.length !== NUM_SPECIAL_TOKENS) fail(`added_tokens must hold the ${NUM_SPECIAL_TOKENS} special tokens, got ${tokens.length} entries`);
  tokens.forEach((entry, i) => {
    const token = objectAt(entry, `added_tokens[${i}]`, fail);
    if (token.id !== i || token.content !== SPECIAL_TOKEN_LIST[i]) fail(`added_tokens[${i}] must be id ${i}, content ${JSON.stringify(SPECIAL_TOKEN_LIST[i])}; got id ${show(token.id)}, content ${show(token.content)}`);
  });
}

function objectAt(value: unknown, field: string, fail: (message: string) => never): Record<string, unknown> {
  if (value === undefined) fail(`${field} is missing`);
  if (value === null || typeof value !== "object" || Array.isArray(value)) fail(`${field} must be an object, got ${show(value)}`);
  return value as Record<string, unknown>;
}

/** A value for an error message, cut short. */
function show(value: unknown): string {
  const s = value === undefined ? "nothing" : JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

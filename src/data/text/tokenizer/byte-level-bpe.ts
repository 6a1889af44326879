import { BpeWordEncoder } from "./bpe-encode.js";
import { learnBpeMerges, MAX_VOCAB_SIZE, type WordTable } from "./bpe-training.js";
import { BYTE_TO_UNICODE, bytesToByteLevel } from "./bytes-to-unicode.js";
import { IdBuffer } from "./id-buffer.js";
import { countWords, forEachWord } from "./pretokenize.js";
import { splitOnSpecialTokens } from "./special-split.js";
import { type DecodeOptions, type EncodeOptions, type EncodingWithOffsets, NUM_SPECIAL_TOKENS, SPECIAL_IDS, SPECIAL_TOKEN_LIST, type StreamDecoder, type Tokenizer, checkTokenId } from "./tokenizer.js";
import { bpeModelJson, byteLevelJson, specialAddedTokens, type TokenizerJson } from "./tokenizer-json-format.js";
import { describeUtf8, encodeUtf8Into, utf8Decoder, utf8Length } from "./utf8.js";

/** Id of byte 0; byte b is token FIRST_BYTE_ID + b. */
export const FIRST_BYTE_ID = NUM_SPECIAL_TOKENS;
/** Id of the first merge (6 specials + 256 bytes); merge k is token FIRST_MERGE_ID + k. */
export const FIRST_MERGE_ID = FIRST_BYTE_ID + 256;

export interface ByteLevelBpeTrainOptions {
  /** Tokens in the vocabulary: 6 specials + 256 bytes + merges, so at least 262. */
  vocabSize: number;
  /** Merge only pairs occurring at least this often. Default 1 (Hugging Face's default, 0, means the same). */
  minFrequency?: number;
}

/** NOTE: words longer than this (in UTF-16 units) are not cached: rare, and each would pin its own ids. */
const MAX_CACHED_WORD_LENGTH = 256;
/** NOTE: the word cache is cleared when it reaches this many words, which bounds its memory on an endless stream of new words. */
const MAX_CACHED_WORDS = 1 << 17;

/**
 * GPT-2's byte-level BPE (Radford et al. 2019, openai/gpt-2 `encoder.py`): text is split into
 * words by GPT-2's split pattern (`GPT2_SPLIT_PATTERN`), each word's UTF-8 bytes are the starting
 * symbols, and learned merges join adjacent symbols by rank. Every string encodes (no `<unk>`) and
 * decodes back exactly (a lone surrogate, not being UTF-8, comes back as U+FFFD).
 *
 * Vocabulary: specials 0 … 5, byte b at 6 + b, merge k at 262 + k.
 */
export class ByteLevelBpeTokenizer implements Tokenizer {
  readonly kind = "byte-bpe";
  readonly vocabSize: number;
  readonly specials = SPECIAL_IDS;
  /** `[left, right]` ids of each merge in rank order; merge k made token 262 + k. */
  readonly merges: ReadonlyArray<readonly [number, number]>;
  /** All tokens' bytes back to back; token t is `#bytes[#byteStart[t] … #byteStart[t + 1])`. */
  readonly #bytes: Uint8Array;
  readonly #byteStart: Int32Array;
  readonly #wordEncoder: BpeWordEncoder;
  readonly #cache = new Map<string, Int32Array>();
  #utf8 = new Uint8Array(256);
  #symbols = new Int32Array(256);

  /** Builds the tokenizer from merges; each merge's parts must be older tokens and no two tokens may have the same bytes. */
  constructor(merges: ReadonlyArray<readonly [number, number]>) {
    this.vocabSize = FIRST_MERGE_ID + merges.length;
    if (this.vocabSize > MAX_VOCAB_SIZE) throw new RangeError(`ByteLevelBpeTokenizer: ${merges.length} merges exceed the largest vocabulary (${MAX_VOCAB_SIZE})`);
    const byteStart = new Int32Array(this.vocabSize + 1);
    for (let id = FIRST_BYTE_ID; id < FIRST_MERGE_ID; id++) byteStart[id + 1] = (byteStart[id] as number) + 1;
    const left = new Int32Array(merges.length);
    const right = new Int32Array(merges.length);
    merges.forEach(([a, b], k) => {
      const id = FIRST_MERGE_ID + k;
      for (const part of [a, b]) {
        if (!Number.isInteger(part) || part < FIRST_BYTE_ID || part >= id) throw new RangeError(`ByteLevelBpeTokenizer: merge ${k} (token ${id}) joins ${part}, which is not a byte or an earlier merge`);
      }
      left[k] = a;
      right[k] = b;
      byteStart[id + 1] = (byteStart[id] as number) + (byteStart[a + 1] as number) - (byteStart[a] as number) + (byteStart[b + 1] as number) - (byteStart[b] as number);
    });
    const bytes = new Uint8Array(byteStart[this.vocabSize] as number);
    for (let b = 0; b < 256; b++) bytes[b] = b;
    const seen = new Set<string>();
    merges.forEach(([a, b], k) => {
      const at = byteStart[FIRST_MERGE_ID + k] as number;
      const partA = bytes.subarray(byteStart[a] as number, byteStart[a + 1] as number);
      bytes.set(partA, at);
      bytes.set(bytes.subarray(byteStart[b] as number, byteStart[b + 1] as number), at + partA.length);
      const key = bytesToByteLevel(bytes.subarray(at, byteStart[FIRST_MERGE_ID + k + 1] as number));
      if (seen.has(key)) throw new Error(`ByteLevelBpeTokenizer: merge ${k} (token ${FIRST_MERGE_ID + k}) repeats the bytes of an earlier token ("${key}")`);
      seen.add(key);
    });
    this.merges = merges.map(([a, b]) => [a, b] as const);
    this.#bytes = bytes;
    this.#byteStart = byteStart;
    this.#wordEncoder = new BpeWordEncoder(left, right, FIRST_MERGE_ID);
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    const ids = new IdBuffer((text.length >> 2) + 16);
    splitOnSpecialTokens(
      text,
      options.allowSpecial ?? false,
      (start, end) => forEachWord(text.slice(start, end), (word) => ids.pushAll(this.#wordIds(word))),
      (id) => ids.push(id),
    );
    return ids.toArray();
  }

  /**
   * NOTE: a token that holds only part of a character's UTF-8 bytes (an emoji split in two) gets
   * the whole character's range, as Hugging Face's byte-level offsets do; so offsets may overlap
   * but always slice out whole characters.
   */
  encodeWithOffsets(text: string, options: EncodeOptions = {}): EncodingWithOffsets {
    const ids = new IdBuffer((text.length >> 2) + 16);
    const offsets = new IdBuffer((text.length >> 1) + 16);
    splitOnSpecialTokens(
      text,
      options.allowSpecial ?? false,
      (start, end) =>
        forEachWord(text.slice(start, end), (word, at) => {
          const wordIds = this.#wordIds(word);
          ids.pushAll(wordIds);
          this.#wordOffsets(word, start + at, wordIds, offsets);
        }),
      (id, start, end) => {
        ids.push(id);
        offsets.push(start);
        offsets.push(end);
      },
    );
    return { ids: ids.toArray(), offsets: offsets.toArray() };
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      checkTokenId(id, this.vocabSize, "ByteLevelBpeTokenizer.decode");
      total += (this.#byteStart[id + 1] as number) - (this.#byteStart[id] as number);
    }
    const bytes = new Uint8Array(total);
    const decoder = utf8Decoder();
    let text = "";
    let from = 0;
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id < FIRST_BYTE_ID) {
        // NOTE: bytes before a special token are decoded on their own, as Hugging Face's ByteLevel decoder does.
        text += decoder.decode(bytes.subarray(from, n));
        from = n;
        if (!options.skipSpecial) text += SPECIAL_TOKEN_LIST[id] as string;
        continue;
      }
      bytes.set(this.#bytes.subarray(this.#byteStart[id] as number, this.#byteStart[id + 1] as number), n);
      n += (this.#byteStart[id + 1] as number) - (this.#byteStart[id] as number);
    }
    return text + decoder.decode(bytes.subarray(from, n));
  }

  /** NOTE: `TextDecoder` in stream mode holds back an unfinished UTF-8 sequence until its last byte arrives. */
  streamDecoder(options: DecodeOptions = {}): StreamDecoder {
    const decoder = utf8Decoder();
    return {
      push: (id) => {
        checkTokenId(id, this.vocabSize, "ByteLevelBpeTokenizer.streamDecoder");
        if (id >= FIRST_BYTE_ID) return decoder.decode(this.#tokenBytes(id), { stream: true });
        return decoder.decode() + (options.skipSpecial ? "" : (SPECIAL_TOKEN_LIST[id] as string));
      },
      flush: () => decoder.decode(),
    };
  }

  byteLength(id: number): number {
    checkTokenId(id, this.vocabSize, "ByteLevelBpeTokenizer.byteLength");
    return (this.#byteStart[id + 1] as number) - (this.#byteStart[id] as number);
  }

  tokenText(id: number): string {
    checkTokenId(id, this.vocabSize, "ByteLevelBpeTokenizer.tokenText");
    return id < FIRST_BYTE_ID ? (SPECIAL_TOKEN_LIST[id] as string) : describeUtf8(this.#tokenBytes(id));
  }

  /** GPT-2's tokenizer.json layout: ByteLevel pre-tokenizer and decoder, tokens as byte-level strings ("Ġthe"). */
  toTokenizerJson(): TokenizerJson {
    const strings: string[] = [...SPECIAL_TOKEN_LIST, ...BYTE_TO_UNICODE];
    for (let id = FIRST_MERGE_ID; id < this.vocabSize; id++) strings.push(bytesToByteLevel(this.#tokenBytes(id)));
    const vocab: Record<string, number> = {};
    strings.forEach((s, id) => (vocab[s] = id));
    const merges = this.merges.map(([a, b]) => `${strings[a] as string} ${strings[b] as string}`);
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: specialAddedTokens(SPECIAL_TOKEN_LIST),
      normalizer: null,
      pre_tokenizer: byteLevelJson(true),
      post_processor: byteLevelJson(false),
      decoder: byteLevelJson(true),
      model: bpeModelJson(vocab, merges, null),
    };
  }

  #tokenBytes(id: number): Uint8Array {
    return this.#bytes.subarray(this.#byteStart[id] as number, this.#byteStart[id + 1] as number);
  }

  /** The ids of one pre-tokenized word, from the cache or by merging its bytes. */
  #wordIds(word: string): Int32Array {
    const cached = this.#cache.get(word);
    if (cached !== undefined) return cached;
    if (this.#utf8.length < 3 * word.length) {
      this.#utf8 = new Uint8Array(6 * word.length);
      this.#symbols = new Int32Array(6 * word.length);
    }
    const n = encodeUtf8Into(word, 0, word.length, this.#utf8);
    const symbols = this.#symbols;
    for (let i = 0; i < n; i++) symbols[i] = FIRST_BYTE_ID + (this.#utf8[i] as number);
    const ids = symbols.slice(0, this.#wordEncoder.encode(symbols, n));
    if (word.length <= MAX_CACHED_WORD_LENGTH) {
      if (this.#cache.size >= MAX_CACHED_WORDS) this.#cache.clear();
      this.#cache.set(word, ids);
    }
    return ids;
  }

  /** Appends `[start, end)` for each token of a word at `wordStart` in the text (see encodeWithOffsets). */
  #wordOffsets(word: string, wordStart: number, ids: Int32Array, offsets: IdBuffer): void {
    let unit = 0; // UTF-16 index of the current character in `word`
    let units = 0; // its UTF-16 length
    let charByte = 0; // byte offset of the current character in the word
    let charBytes = 0; // its UTF-8 length
    const nextChar = (): void => {
      unit += units;
      charByte += charBytes;
      const cp = word.codePointAt(unit) as number;
      units = cp > 0xffff ? 2 : 1;
      charBytes = utf8Length(cp);
    };
    nextChar();
    let tokenByte = 0;
    for (let t = 0; t < ids.length; t++) {
      const end = tokenByte + this.byteLength(ids[t] as number);
      while (charByte + charBytes <= tokenByte) nextChar();
      offsets.push(wordStart + unit);
      while (charByte + charBytes < end) nextChar();
      offsets.push(wordStart + unit + units);
      tokenByte = end;
    }
  }
}

/** Trains byte-level BPE on `texts` (a string or strings, each pre-tokenized on its own): counts words, then {@link trainByteLevelBpeOnWordCounts}. */
export function trainByteLevelBpe(texts: string | Iterable<string>, options: ByteLevelBpeTrainOptions): ByteLevelBpeTokenizer {
  checkTrainOptions(options);
  return trainByteLevelBpeOnWordCounts(countWords(texts), options);
}

/**
 * Trains byte-level BPE on counts of pre-tokenized words (a word repeated in `wordCounts` adds up).
 * The merges depend only on the counts, not on their order: see {@link learnBpeMerges} for the
 * order of merges and the tie-break (highest count, then the smallest pair of ids).
 * Throws if the words cannot give `vocabSize − 262` merges, saying how many they can.
 */
export function trainByteLevelBpeOnWordCounts(wordCounts: Iterable<readonly [string, number]>, options: ByteLevelBpeTrainOptions): ByteLevelBpeTokenizer {
  const { vocabSize, minFrequency = 1 } = checkTrainOptions(options);
  const counts = new Map<string, number>();
  for (const [word, count] of wordCounts) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`trainByteLevelBpe: the count of word ${JSON.stringify(word)} must be a positive integer, got ${count}`);
    counts.set(word, (counts.get(word) ?? 0) + count);
  }
  const table = wordTable(counts);
  const wanted = vocabSize - FIRST_MERGE_ID;
  const merges = learnBpeMerges(table, { firstMergeId: FIRST_MERGE_ID, maxMerges: wanted, minFrequency });
  if (merges.length < wanted) {
    const which = minFrequency > 1 ? `pairs occurring at least ${minFrequency} times` : "pairs";
    throw new RangeError(`trainByteLevelBpe: vocabSize ${vocabSize} needs ${wanted} merges, but the data gives only ${merges.length} (no ${which} left); use vocabSize ≤ ${FIRST_MERGE_ID + merges.length} or more text`);
  }
  return new ByteLevelBpeTokenizer(merges);
}

function checkTrainOptions(options: ByteLevelBpeTrainOptions): ByteLevelBpeTrainOptions {
  const { vocabSize, minFrequency = 1 } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < FIRST_MERGE_ID || vocabSize > MAX_VOCAB_SIZE) {
    throw new RangeError(`trainByteLevelBpe: vocabSize must be an integer in [${FIRST_MERGE_ID}, ${MAX_VOCAB_SIZE}] (6 special tokens + 256 bytes + merges), got ${vocabSize}`);
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 0) throw new RangeError(`trainByteLevelBpe: minFrequency must be a non-negative integer, got ${minFrequency}`);
  return options;
}

/** Each distinct word as its UTF-8 byte ids, with its count. */
function wordTable(counts: Map<string, number>): WordTable {
  let total = 0;
  let longest = 0;
  for (const word of counts.keys()) {
    total += word.length;
    longest = Math.max(longest, word.length);
  }
  const utf8 = new Uint8Array(3 * longest);
  const symbols = new Int32Array(3 * total);
  const starts = new Int32Array(counts.size + 1);
  const wordCounts = new Float64Array(counts.size);
  let w = 0;
  let n = 0;
  for (const [word, count] of counts) {
    const length = encodeUtf8Into(word, 0, word.length, utf8);
    for (let i = 0; i < length; i++) symbols[n++] = FIRST_BYTE_ID + (utf8[i] as number);
    wordCounts[w++] = count;
    starts[w] = n;
  }
  return { symbols: symbols.subarray(0, n), starts, counts: wordCounts };
}

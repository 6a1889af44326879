import { IdBuffer } from "./id-buffer.js";
import { splitOnSpecialTokens } from "./special-split.js";
import { type DecodeOptions, type EncodeOptions, type EncodingWithOffsets, NUM_SPECIAL_TOKENS, SPECIAL_IDS, SPECIAL_TOKEN_LIST, type StreamDecoder, type Tokenizer, checkTokenId } from "./tokenizer.js";
import { bpeModelJson, specialAddedTokens, type TokenizerJson } from "./tokenizer-json-format.js";
import { utf8Length } from "./utf8.js";

/**
 * Character-level tokenizer (nanoGPT's Shakespeare setting): one token per code point seen in
 * training, ids 6 … in ascending code-point order after the specials; any other character is
 * `<unk>`.
 * NOTE: characters are code points, not UTF-16 units, so an emoji is one token and never half a
 * surrogate pair; an emoji ZWJ sequence is several (one per code point).
 */
export class CharTokenizer implements Tokenizer {
  readonly kind = "char";
  readonly vocabSize: number;
  readonly specials = SPECIAL_IDS;
  /** The characters, in id order from id 6. */
  readonly chars: readonly string[];
  readonly #idOf: ReadonlyMap<number, number>;

  /** @param codePoints distinct code points in strictly ascending order. */
  constructor(codePoints: readonly number[]) {
    codePoints.forEach((cp, i) => {
      if (!Number.isInteger(cp) || cp < 0 || cp > 0x10ffff) throw new RangeError(`CharTokenizer: ${cp} is not a code point`);
      if (i > 0 && cp <= (codePoints[i - 1] as number)) throw new RangeError(`CharTokenizer: code points must be distinct and ascending (${cp} after ${codePoints[i - 1]})`);
    });
    this.chars = codePoints.map((cp) => String.fromCodePoint(cp));
    this.#idOf = new Map(codePoints.map((cp, i) => [cp, NUM_SPECIAL_TOKENS + i]));
    this.vocabSize = NUM_SPECIAL_TOKENS + codePoints.length;
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    const ids = new IdBuffer(text.length);
    this.#walk(text, options, (id) => ids.push(id));
    return ids.toArray();
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): EncodingWithOffsets {
    const ids = new IdBuffer(text.length);
    const offsets = new IdBuffer(2 * text.length);
    this.#walk(text, options, (id, start, end) => {
      ids.push(id);
      offsets.push(start);
      offsets.push(end);
    });
    return { ids: ids.toArray(), offsets: offsets.toArray() };
  }

  /** `<unk>` and the other specials come out as their strings unless `skipSpecial`. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    let text = "";
    for (let i = 0; i < ids.length; i++) text += this.#text(ids[i] as number, options, "CharTokenizer.decode");
    return text;
  }

  streamDecoder(options: DecodeOptions = {}): StreamDecoder {
    return { push: (id) => this.#text(id, options, "CharTokenizer.streamDecoder"), flush: () => "" };
  }

  /** NOTE: `<unk>` counts 0 bytes like the other specials, so bits per byte leaves unknown characters out. */
  byteLength(id: number): number {
    checkTokenId(id, this.vocabSize, "CharTokenizer.byteLength");
    return id < NUM_SPECIAL_TOKENS ? 0 : utf8Length(this.chars[id - NUM_SPECIAL_TOKENS]?.codePointAt(0) as number);
  }

  tokenText(id: number): string {
    return this.#text(id, {}, "CharTokenizer.tokenText");
  }

  /**
   * A BPE model with no merges and no pre-tokenizer: the whole text is one word, split into its
   * characters, each unknown one `<unk>`; the Fuse decoder joins the characters back.
   */
  toTokenizerJson(): TokenizerJson {
    const vocab: Record<string, number> = {};
    [...SPECIAL_TOKEN_LIST, ...this.chars].forEach((s, id) => (vocab[s] = id));
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: specialAddedTokens(SPECIAL_TOKEN_LIST),
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: "Fuse" },
      model: bpeModelJson(vocab, [], SPECIAL_TOKEN_LIST[SPECIAL_IDS.unk] as string),
    };
  }

  #walk(text: string, options: EncodeOptions, onToken: (id: number, start: number, end: number) => void): void {
    const unk = SPECIAL_IDS.unk;
    splitOnSpecialTokens(
      text,
      options.allowSpecial ?? false,
      (start, end) => {
        for (let i = start; i < end; ) {
          const cp = text.codePointAt(i) as number;
          const units = cp > 0xffff ? 2 : 1;
          onToken(this.#idOf.get(cp) ?? unk, i, i + units);
          i += units;
        }
      },
      onToken,
    );
  }

  #text(id: number, options: DecodeOptions, where: string): string {
    checkTokenId(id, this.vocabSize, where);
    if (id >= NUM_SPECIAL_TOKENS) return this.chars[id - NUM_SPECIAL_TOKENS] as string;
    return options.skipSpecial ? "" : (SPECIAL_TOKEN_LIST[id] as string);
  }
}

/**
 * A character tokenizer over the distinct code points of `text` (a string or strings).
 * NOTE: sorted by code point, not by JS string order, which puts astral characters (UTF-16
 * surrogates, D800–DFFF) before U+E000 … U+FFFF.
 */
export function trainCharTokenizer(text: string | Iterable<string>): CharTokenizer {
  const seen = new Set<number>();
  for (const part of typeof text === "string" ? [text] : text) {
    for (const char of part) seen.add(char.codePointAt(0) as number);
  }
  return new CharTokenizer([...seen].sort((a, b) => a - b));
}

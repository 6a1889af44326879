import type { TokenizerJson } from "./tokenizer-json-format.js";

/** The special tokens every pretext tokenizer has, in id order (pad 0 … eos 5). */
export const SPECIAL_TOKENS = { pad: "<pad>", unk: "<unk>", mask: "<mask>", cls: "<cls>", sep: "<sep>", eos: "<eos>" } as const;

export type SpecialName = keyof typeof SPECIAL_TOKENS;

/**
 * Ids of the special tokens, fixed at the start of every vocabulary.
 * NOTE: pad = 0 so a zero-filled batch is already padded, and pad ≠ eos so masking padding out
 * of a loss never erases the end-of-sequence labels (transformers#23530).
 */
export const SPECIAL_IDS: Readonly<Record<SpecialName, number>> = Object.freeze({ pad: 0, unk: 1, mask: 2, cls: 3, sep: 4, eos: 5 });

/** How many ids the special tokens take (0 … NUM_SPECIAL_TOKENS − 1). */
export const NUM_SPECIAL_TOKENS = 6;

/** The special-token strings indexed by id. */
export const SPECIAL_TOKEN_LIST: readonly string[] = Object.values(SPECIAL_TOKENS);

export interface EncodeOptions {
  /** Parse special-token strings in the text ("<mask>" → 2); otherwise they are plain text. Default false. */
  allowSpecial?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens out of the text instead of writing their strings. Default false. */
  skipSpecial?: boolean;
}

/** Token ids with each token's `[start, end)` UTF-16 offsets into the encoded text. */
export interface EncodingWithOffsets {
  /** `[n]` token ids. */
  ids: Int32Array;
  /** `[2·n]`: token i covers `text.slice(offsets[2i], offsets[2i + 1])`. */
  offsets: Int32Array;
}

/** Decodes ids pushed one at a time, for streamed generation. */
export interface StreamDecoder {
  /** The text that `id` completes: only whole characters, never half a UTF-8 sequence. */
  push(id: number): string;
  /** What is still held back (an unfinished UTF-8 sequence comes out as U+FFFD); the decoder can then start again. */
  flush(): string;
}

/**
 * A trained tokenizer: text ↔ token ids. Vocabularies start with the special tokens at ids 0 … 5
 * ({@link SPECIAL_IDS}); everything else is the kind's own.
 */
export interface Tokenizer {
  readonly kind: "byte-bpe" | "char";
  readonly vocabSize: number;
  /** Ids of the special tokens: pad 0, unk 1, mask 2, cls 3, sep 4, eos 5. */
  readonly specials: Readonly<Record<SpecialName, number>>;
  /** `[n]` token ids of `text`; special-token strings are plain text unless `allowSpecial`. */
  encode(text: string, options?: EncodeOptions): Int32Array;
  /** Ids plus offsets, for whole-word masking and highlighting. */
  encodeWithOffsets(text: string, options?: EncodeOptions): EncodingWithOffsets;
  /** The text of `ids`; special tokens come out as their strings unless `skipSpecial`. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  /** A decoder for ids arriving one at a time. */
  streamDecoder(options?: DecodeOptions): StreamDecoder;
  /** UTF-8 bytes token `id` stands for (0 for special tokens): bits per byte = nats / ln 2 / Σ byteLength. */
  byteLength(id: number): number;
  /** The token's surface string for reports ("Ġthe" shown as " the"); bytes that are not whole characters as `<0xE2>`. */
  tokenText(id: number): string;
  /** Hugging Face `tokenizer.json` (an object; `JSON.stringify` it to save). */
  toTokenizerJson(): TokenizerJson;
}

/** Throws a RangeError unless `id` is an id of a vocabulary of `vocabSize` tokens. */
export function checkTokenId(id: number, vocabSize: number, where: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RangeError(`${where}: id ${id} is not in the vocabulary (0 … ${vocabSize - 1})`);
}

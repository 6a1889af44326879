/**
 * The parts of Hugging Face's `tokenizer.json` that pretext writes, field names as the Rust
 * `tokenizers` crate serializes them (GPT-2's `tokenizer.json` is the model for the byte-level
 * settings).
 */
export interface TokenizerJson {
  version: "1.0";
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: null;
  /** ByteLevel for byte-level BPE; null for characters (the BPE model then sees the whole text as one word). */
  pre_tokenizer: ByteLevelJson | null;
  post_processor: ByteLevelJson | null;
  /** ByteLevel turns byte characters back into UTF-8; Fuse concatenates characters. */
  decoder: ByteLevelJson | FuseDecoderJson;
  model: BpeModelJson;
}

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface ByteLevelJson {
  type: "ByteLevel";
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

export interface FuseDecoderJson {
  type: "Fuse";
}

export interface BpeModelJson {
  type: "BPE";
  dropout: null;
  unk_token: string | null;
  continuing_subword_prefix: string | null;
  end_of_word_suffix: string | null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  /** Token string → id, specials included. */
  vocab: Record<string, number>;
  /** "left right" in rank order (the format GPT-2's file uses; byte-level strings never contain a space). */
  merges: string[];
}

/** `added_tokens` for the six special tokens (ids 0 … 5), matched in raw text before anything else. */
export function specialAddedTokens(specials: readonly string[]): AddedTokenJson[] {
  return specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
}

/**
 * GPT-2's byte-level settings: no space added before the text, the GPT-2 split pattern.
 * NOTE: `add_prefix_space: false` matters — true would encode "Hello" as "ĠHello".
 */
export function byteLevelJson(trimOffsets: boolean): ByteLevelJson {
  return { type: "ByteLevel", add_prefix_space: false, trim_offsets: trimOffsets, use_regex: true };
}

/** A BPE `model` section with no unknown-token fallbacks beyond `unkToken`. */
export function bpeModelJson(vocab: Record<string, number>, merges: string[], unkToken: string | null): BpeModelJson {
  return {
    type: "BPE",
    dropout: null,
    unk_token: unkToken,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab,
    merges,
  };
}

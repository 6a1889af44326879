import type { Rng } from "../../random/rng.js";
import { NUM_SPECIAL_TOKENS, type Tokenizer } from "./tokenizer/tokenizer.js";

export interface MlmMaskingOptions {
  /** The share of each sequence's real tokens that is predicted: BERT's 15%. */
  readonly maskProbability: number;
  /** Of the predicted tokens, the share replaced by `<mask>` (80%), by a random token (10%); the rest (10%) stay as they are. */
  readonly maskTokenFraction: number;
  readonly randomTokenFraction: number;
  /** Choose whole words (all their pieces together) instead of single tokens. */
  readonly wholeWord: boolean;
}

/** BERT's (Devlin et al. 2019, §3.1): 15% of tokens, of which 80% → `<mask>`, 10% → random, 10% unchanged. */
export const BERT_MASKING: MlmMaskingOptions = { maskProbability: 0.15, maskTokenFraction: 0.8, randomTokenFraction: 0.1, wholeWord: false };

/**
 * What an MLM step is fed for a batch `[B, T]`: the corrupted ids, and for each sequence `P`
 * prediction slots (BERT's `max_predictions_per_seq`: static shapes, so the step gathers only
 * those positions' states instead of scoring all B·T): their positions, original ids and weights
 * (1 for a real prediction, 0 for an unused slot).
 */
export interface MlmBatch {
  /** `[B, T]` */
  readonly input: BigInt64Array;
  /** `[B, P]` positions in 0..T−1 */
  readonly positions: BigInt64Array;
  /** `[B, P]` the ids to predict */
  readonly targets: BigInt64Array;
  /** `[B, P]` 1 or 0 */
  readonly weights: Float32Array;
}

/** Prediction slots per sequence of length T: ⌈maskProbability · T⌉, at least 1. */
export function predictionSlots(length: number, maskProbability: number): number {
  if (!(maskProbability > 0 && maskProbability <= 1)) throw new Error(`masking: maskProbability must lie in (0, 1], got ${maskProbability}`);
  return Math.max(1, Math.ceil(maskProbability * length));
}

/**
 * Where each token id starts a new word, for whole-word masking with any tokenizer: a token
 * starts a word when its text begins with whitespace, when the token before it ends with
 * whitespace or is special, or when it passes between letters-and-digits and anything else
 * ("walk"+"ing" is one word, "Hello"+"," two). A byte-level token that holds only part of a
 * character ("é" as the bytes C3 + A9) never ends or starts a word there. Tables per id: the
 * first and last character's class.
 */
export interface WordBoundaries {
  /** Per id: 0 whitespace, 1 letter or digit, 2 other, 3 a special token, 4 part of a character's bytes. */
  readonly first: Uint8Array;
  readonly last: Uint8Array;
}

/** How a tokenizer shows bytes that are not a whole character (`tokenText`): `<0xC3>`. */
const PARTIAL_BYTE = /^<0x[0-9A-F]{2}>/;
const PARTIAL_BYTE_AT_END = /<0x[0-9A-F]{2}>$/;

export function wordBoundaries(tokenizer: Tokenizer): WordBoundaries {
  const first = new Uint8Array(tokenizer.vocabSize);
  const last = new Uint8Array(tokenizer.vocabSize);
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    if (id < NUM_SPECIAL_TOKENS) {
      first[id] = last[id] = 3;
      continue;
    }
    const text = tokenizer.tokenText(id);
    const chars = Array.from(text);
    first[id] = PARTIAL_BYTE.test(text) ? 4 : charClass(chars[0] ?? " ");
    last[id] = PARTIAL_BYTE_AT_END.test(text) ? 4 : charClass(chars[chars.length - 1] ?? " ");
  }
  return { first, last };
}

function charClass(ch: string): number {
  if (/\s/u.test(ch)) return 0;
  return /[\p{L}\p{N}]/u.test(ch) ? 1 : 2;
}

function startsWord(boundaries: WordBoundaries, previous: number, id: number): boolean {
  const f = boundaries.first[id] as number;
  const l = boundaries.last[previous] as number;
  if (f === 4 || l === 4) return false; // inside one character's bytes
  return f === 0 || l === 0 || l === 3 || f === 3 || (l === 1) !== (f === 1);
}

/**
 * BERT's masking of a batch of token ids on the host, drawn from `rng` (so a resumed run masks
 * exactly as the uninterrupted one). In each sequence, exactly max(1, round(p · n)) of its n real
 * tokens are chosen (padding and special tokens never), as BERT's `create_masked_lm_predictions`;
 * each chosen token becomes `<mask>`, a random non-special token or stays, with the given odds.
 * With `wholeWord`, words (see `wordBoundaries`) are chosen in random order and taken whole
 * while they fit in the count.
 */
export function maskTokens(
  tokens: BigInt64Array,
  length: number,
  tokenizer: Pick<Tokenizer, "vocabSize" | "specials">,
  options: MlmMaskingOptions,
  rng: Rng,
  boundaries?: WordBoundaries,
): MlmBatch {
  const { maskProbability, maskTokenFraction, randomTokenFraction, wholeWord } = options;
  if (!(maskTokenFraction >= 0 && randomTokenFraction >= 0 && maskTokenFraction + randomTokenFraction <= 1)) {
    throw new Error(`masking: maskTokenFraction ${maskTokenFraction} + randomTokenFraction ${randomTokenFraction} must lie in [0, 1]`);
  }
  if (wholeWord && boundaries === undefined) throw new Error("masking: whole-word masking needs the tokenizer's word boundaries");
  if (tokenizer.vocabSize <= NUM_SPECIAL_TOKENS) throw new Error(`masking: a vocabulary of ${tokenizer.vocabSize} has no ordinary tokens`);
  const rows = tokens.length / length;
  const slots = predictionSlots(length, maskProbability);
  const input = tokens.slice();
  const positions = new BigInt64Array(rows * slots);
  const targets = new BigInt64Array(rows * slots);
  const weights = new Float32Array(rows * slots);
  const maskId = BigInt(tokenizer.specials.mask);
  for (let r = 0; r < rows; r++) {
    // Candidate units (single tokens, or words) of real tokens, in position order.
    const units: number[][] = [];
    for (let t = 0; t < length; t++) {
      const id = Number(tokens[r * length + t]);
      if (id < NUM_SPECIAL_TOKENS) continue;
      const previous = t > 0 ? Number(tokens[r * length + t - 1]) : tokenizer.specials.pad;
      const unit = units[units.length - 1];
      if (wholeWord && unit !== undefined && unit[unit.length - 1] === t - 1 && !startsWord(boundaries as WordBoundaries, previous, id)) unit.push(t);
      else units.push([t]);
    }
    const real = units.reduce((n, u) => n + u.length, 0);
    if (real === 0) continue;
    const count = Math.min(slots, Math.max(1, Math.round(maskProbability * real)));
    const chosen: number[] = [];
    for (const u of rng.permutation(units.length)) {
      const unit = units[u] as number[];
      if (chosen.length + unit.length > count) continue;
      chosen.push(...unit);
      if (chosen.length === count) break;
    }
    chosen.sort((a, b) => a - b);
    chosen.forEach((t, k) => {
      const at = r * length + t;
      positions[r * slots + k] = BigInt(t);
      targets[r * slots + k] = tokens[at] as bigint;
      weights[r * slots + k] = 1;
      const u = rng.uniform();
      if (u < maskTokenFraction) input[at] = maskId;
      else if (u < maskTokenFraction + randomTokenFraction) input[at] = BigInt(NUM_SPECIAL_TOKENS + rng.int(tokenizer.vocabSize - NUM_SPECIAL_TOKENS));
    });
  }
  return { input, positions, targets, weights };
}

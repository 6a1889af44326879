import { describe, expect, it } from "vitest";
import { BERT_MASKING, type MlmBatch, type MlmMaskingOptions, maskTokens, predictionSlots, wordBoundaries } from "../../../src/data/text/masking.js";
import { trainByteLevelBpe } from "../../../src/data/text/tokenizer/byte-level-bpe.js";
import { NUM_SPECIAL_TOKENS, SPECIAL_IDS } from "../../../src/data/text/tokenizer/tokenizer.js";
import { Rng } from "../../../src/random/rng.js";
import { mobyDickChapters } from "./tokenizer/corpus.js";

const { pad, cls, sep, eos, mask } = SPECIAL_IDS;

/**
 * `rows` sequences of length `t`: `<cls>`, a seeded number of ordinary ids (0 to t − 2, so some
 * rows are all special), `<sep>`, an `<eos>` now and then, then padding.
 */
function batchOf(rows: number, t: number, vocabSize: number, seed: number): BigInt64Array {
  const rng = new Rng(seed);
  const out = new BigInt64Array(rows * t).fill(BigInt(pad));
  for (let r = 0; r < rows; r++) {
    const n = rng.int(t - 1);
    out[r * t] = BigInt(cls);
    for (let k = 1; k <= n; k++) out[r * t + k] = BigInt(rng.uniform() < 0.05 ? eos : NUM_SPECIAL_TOKENS + rng.int(vocabSize - NUM_SPECIAL_TOKENS));
    if (n + 1 < t) out[r * t + n + 1] = BigInt(sep);
  }
  return out;
}

/** A row's chosen positions, in slot order (the slots with weight 1). */
function chosenOf(m: MlmBatch, r: number, slots: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < slots; k++) if (m.weights[r * slots + k] === 1) out.push(Number(m.positions[r * slots + k]));
  return out;
}

const realCount = (tokens: BigInt64Array, r: number, t: number): number => {
  let n = 0;
  for (let k = 0; k < t; k++) if (Number(tokens[r * t + k]) >= NUM_SPECIAL_TOKENS) n++;
  return n;
};

const sameBytes = (a: BigInt64Array | Float32Array, b: BigInt64Array | Float32Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** |observed − n·p| within 4 binomial standard deviations. */
function expectBinomial(observed: number, n: number, p: number, what: string): void {
  const sigma = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p), `${what}: ${observed} of ${n}, expected ${(n * p).toFixed(1)} ± ${sigma.toFixed(1)}`).toBeLessThanOrEqual(4 * sigma);
}

describe("maskTokens (BERT's masking)", () => {
  const vocab = { vocabSize: 40, specials: SPECIAL_IDS };
  const [rows, t] = [3000, 48];
  const tokens = batchOf(rows, t, vocab.vocabSize, 1);
  const slots = predictionSlots(t, 0.15);
  const m = maskTokens(tokens, t, vocab, BERT_MASKING, new Rng(2));

  it("feeds ⌈0.15·T⌉ prediction slots per sequence (at least 1)", () => {
    expect(slots).toBe(8);
    expect(m.positions).toHaveLength(rows * slots);
    expect(predictionSlots(128, 0.15)).toBe(20); // BERT's max_predictions_per_seq at 128
    expect(predictionSlots(3, 0.15)).toBe(1);
    expect(() => predictionSlots(10, 0)).toThrow("maskProbability must lie in (0, 1]");
  });

  it("chooses exactly max(1, round(0.15·n)) of a sequence's n real tokens, none of an all-special row", () => {
    let empty = 0;
    for (let r = 0; r < rows; r++) {
      const n = realCount(tokens, r, t);
      if (n === 0) empty++;
      expect(chosenOf(m, r, slots).length).toBe(n === 0 ? 0 : Math.max(1, Math.round(0.15 * n)));
    }
    expect(empty).toBeGreaterThan(10); // the case is exercised
  });

  it("positions, targets and weights agree with the input: distinct ascending real positions, their original ids, unused slots zero, the rest unchanged", () => {
    const problems: string[] = [];
    for (let r = 0; r < rows; r++) {
      const chosen = chosenOf(m, r, slots);
      chosen.forEach((p, k) => {
        if (k > 0 && p <= (chosen[k - 1] as number)) problems.push(`row ${r}: positions not ascending`);
        if (Number(tokens[r * t + p]) < NUM_SPECIAL_TOKENS) problems.push(`row ${r}: padding or a special token chosen at ${p}`);
        if (m.targets[r * slots + k] !== tokens[r * t + p]) problems.push(`row ${r}: target ${k} is not the id at ${p}`);
      });
      for (let k = chosen.length; k < slots; k++) {
        if (m.weights[r * slots + k] !== 0 || m.positions[r * slots + k] !== 0n || m.targets[r * slots + k] !== 0n) problems.push(`row ${r}: unused slot ${k} not zero`);
      }
      const picked = new Set(chosen);
      for (let k = 0; k < t; k++) if (!picked.has(k) && m.input[r * t + k] !== tokens[r * t + k]) problems.push(`row ${r}: unchosen token ${k} changed`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(sameBytes(tokens, batchOf(rows, t, vocab.vocabSize, 1))).toBe(true); // the batch itself is not written
  });

  it("of the chosen tokens 80% become <mask>, 10% a random ordinary token, 10% stay (within 4σ)", () => {
    const ordinary = vocab.vocabSize - NUM_SPECIAL_TOKENS;
    let total = 0;
    let masked = 0;
    let replaced = 0;
    const randomIds = new Array<number>(vocab.vocabSize).fill(0);
    for (let r = 0; r < rows; r++) {
      for (const p of chosenOf(m, r, slots)) {
        const shown = Number(m.input[r * t + p]);
        total++;
        if (shown === mask) masked++;
        else if (shown !== Number(tokens[r * t + p])) {
          replaced++;
          randomIds[shown] = (randomIds[shown] as number) + 1;
        }
      }
    }
    expect(total).toBeGreaterThan(9000);
    expectBinomial(masked, total, 0.8, "<mask>");
    // a random token equal to the original looks kept: 1 in `ordinary` of the random ones
    expectBinomial(replaced, total, 0.1 * (1 - 1 / ordinary), "random");
    expectBinomial(total - masked - replaced, total, 0.1 + 0.1 / ordinary, "kept");
    // random tokens are never special, and every ordinary id is drawn, about equally often
    expect(randomIds.slice(0, NUM_SPECIAL_TOKENS)).toEqual([0, 0, 0, 0, 0, 0]);
    for (const count of randomIds.slice(NUM_SPECIAL_TOKENS)) expectBinomial(count, replaced, 1 / ordinary, "one random id");
  });

  it("every real position is as likely to be chosen as any other", () => {
    // one row of 20 real tokens between <cls> and <sep>, masked 4000 times
    const row = BigInt64Array.from([cls, ...Array.from({ length: 20 }, (_, i) => 10 + i), sep, pad, pad].map(BigInt));
    const hits = new Array<number>(row.length).fill(0);
    const rng = new Rng(5);
    const draws = 4000;
    for (let d = 0; d < draws; d++) {
      const one = maskTokens(row, row.length, vocab, BERT_MASKING, rng);
      for (let k = 0; k < one.positions.length; k++) if (one.weights[k] === 1) {
          const at = Number(one.positions[k]);
          hits[at] = (hits[at] as number) + 1;
        }
    }
    expect([hits[0], hits[21], hits[22], hits[23]]).toEqual([0, 0, 0, 0]);
    for (const h of hits.slice(1, 21)) expectBinomial(h as number, draws, 3 / 20, "a position");
  });

  it("never draws a special token as the random replacement, even from a vocabulary of two ordinary ids", () => {
    const tiny = { vocabSize: NUM_SPECIAL_TOKENS + 2, specials: SPECIAL_IDS };
    const ids = batchOf(500, 20, tiny.vocabSize, 3);
    const all: MlmMaskingOptions = { ...BERT_MASKING, maskTokenFraction: 0, randomTokenFraction: 1 };
    const out = maskTokens(ids, 20, tiny, all, new Rng(4));
    for (let i = 0; i < ids.length; i++) {
      const shown = Number(out.input[i]);
      if (Number(ids[i]) >= NUM_SPECIAL_TOKENS) expect([6, 7]).toContain(shown);
      else expect(shown).toBe(Number(ids[i]));
    }
    expect(() => maskTokens(ids, 20, { vocabSize: NUM_SPECIAL_TOKENS, specials: SPECIAL_IDS }, BERT_MASKING, new Rng(0))).toThrow("has no ordinary tokens");
    expect(() => maskTokens(ids, 20, tiny, { ...BERT_MASKING, maskTokenFraction: 0.95 }, new Rng(0))).toThrow("must lie in [0, 1]");
  });

  it("is a function of the generator: the same seed masks the same, another seed differently", () => {
    const again = maskTokens(tokens, t, vocab, BERT_MASKING, new Rng(2));
    for (const key of ["input", "positions", "targets", "weights"] as const) expect(sameBytes(again[key], m[key]), key).toBe(true);
    const other = maskTokens(tokens, t, vocab, BERT_MASKING, new Rng(3));
    expect(sameBytes(other.positions, m.positions)).toBe(false);
    expect(sameBytes(other.input, m.input)).toBe(false);
  });
});

describe("whole-word masking with a BPE tokenizer trained on real text", () => {
  const tokenizer = trainByteLevelBpe(mobyDickChapters([1, 2, 3]), { vocabSize: 512 });
  const boundaries = wordBoundaries(tokenizer);
  const t = 64;
  // Held-out chapters in sequences of 64 tokens, each with its tokens' character offsets.
  const sequences = mobyDickChapters([4, 5, 6, 7, 8, 9, 10]).flatMap((text) => {
    const { ids, offsets } = tokenizer.encodeWithOffsets(text);
    const out: { ids: Int32Array; offsets: Int32Array; text: string }[] = [];
    for (let s = 0; s + t <= ids.length; s += t) out.push({ ids: ids.subarray(s, s + t), offsets: offsets.subarray(2 * s, 2 * (s + t)), text });
    return out;
  });
  const tokens = BigInt64Array.from(sequences.flatMap((s) => Array.from(s.ids, BigInt)));
  const slots = predictionSlots(t, 0.15);

  /** Per token of a sequence, the index of the word (a run of letters and digits of the text) it overlaps, or −1. */
  function wordOf(s: { offsets: Int32Array; text: string }): number[] {
    const words: [number, number][] = [...s.text.matchAll(/[\p{L}\p{N}]+/gu)].map((w) => [w.index as number, (w.index as number) + w[0].length]);
    return Array.from({ length: t }, (_, k) => {
      const [a, b] = [s.offsets[2 * k] as number, s.offsets[2 * k + 1] as number];
      const hits = words.flatMap(([x, y], i) => (a < y && x < b ? [i] : []));
      expect(hits.length).toBeLessThanOrEqual(1); // no token spans two words
      return hits[0] ?? -1;
    });
  }
  const words = sequences.map(wordOf);

  /** Words of sequences cut by the choice (some pieces chosen, not all), and words of several pieces chosen whole. */
  function wordsCut(m: MlmBatch): { cut: number; wholeMultiPiece: number } {
    let cut = 0;
    let wholeMultiPiece = 0;
    sequences.forEach((_, r) => {
      const chosen = new Set(chosenOf(m, r, slots));
      const byWord = new Map<number, boolean[]>();
      (words[r] as number[]).forEach((w, k) => {
        // a word cut by the window's edges is not whole in the sequence either
        if (w < 0 || w === words[r]?.[0] || w === words[r]?.[t - 1]) return;
        byWord.set(w, [...(byWord.get(w) ?? []), chosen.has(k)]);
      });
      for (const picks of byWord.values()) {
        if (picks.some((p) => p) && !picks.every((p) => p)) cut++;
        if (picks.length > 1 && picks.every((p) => p)) wholeMultiPiece++;
      }
    });
    return { cut, wholeMultiPiece };
  }

  it("takes a word's pieces all or none, and still fills nearly every sequence's count", () => {
    expect(sequences.length).toBeGreaterThan(200);
    const m = maskTokens(tokens, t, tokenizer, { ...BERT_MASKING, wholeWord: true }, new Rng(7), boundaries);
    const { cut, wholeMultiPiece } = wordsCut(m);
    expect(cut).toBe(0);
    expect(wholeMultiPiece).toBeGreaterThan(100); // words of several pieces were chosen, whole
    let short = 0;
    sequences.forEach((_, r) => {
      const chosen = chosenOf(m, r, slots).length;
      const count = Math.max(1, Math.round(0.15 * realCount(tokens, r, t)));
      expect(chosen).toBeLessThanOrEqual(count);
      if (chosen < count) short++;
    });
    expect(short).toBeLessThan(0.02 * sequences.length);
    // the same choice by token cuts words: the check above can fail
    expect(wordsCut(maskTokens(tokens, t, tokenizer, BERT_MASKING, new Rng(7))).cut).toBeGreaterThan(100);
  });

  it("keeps a word whole when a non-ASCII letter of it is split into byte tokens", () => {
    // "é", "ï", "ü" are not in the vocabulary: each is two byte tokens shown as <0xC3> <0xA9>
    const text = " café naïve Zürich façade";
    const { ids, offsets } = tokenizer.encodeWithOffsets(text.repeat(4));
    expect(Array.from(ids, (id) => tokenizer.tokenText(id))).toContain("<0xC3>");
    const full = text.repeat(4);
    const n = ids.length;
    // the word (here: run of non-spaces) each token overlaps, or −1 for a space token
    const spans = [...full.matchAll(/\S+/gu)].map((w) => [w.index as number, (w.index as number) + w[0].length] as const);
    const word = Array.from({ length: n }, (_, k) => spans.findIndex(([x, y]) => (offsets[2 * k] as number) < y && x < (offsets[2 * k + 1] as number)));
    const row = BigInt64Array.from(ids, BigInt);
    const cutWords: string[] = [];
    for (let seed = 0; seed < 50; seed++) {
      const m = maskTokens(row, n, tokenizer, { ...BERT_MASKING, wholeWord: true }, new Rng(seed), boundaries);
      const chosen = new Set(chosenOf(m, 0, predictionSlots(n, 0.15)));
      spans.forEach(([x, y], w) => {
        const picks = word.flatMap((v, k) => (v === w ? [chosen.has(k)] : []));
        if (picks.some((p) => p) && !picks.every((p) => p)) cutWords.push(full.slice(x, y));
      });
    }
    expect(cutWords.slice(0, 8), `${cutWords.length} words cut at a byte-split letter`).toEqual([]);
  });

  it("needs the word boundaries", () => {
    expect(() => maskTokens(tokens, t, tokenizer, { ...BERT_MASKING, wholeWord: true }, new Rng(0))).toThrow("whole-word masking needs the tokenizer's word boundaries");
  });
});

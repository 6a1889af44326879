import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KvCacheDecoder } from "../../src/generate/index.js";
import { Linear, TinyGpt, TransformerEncoder } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { fullRecompute, maxAbsDiff, randomIds, randomLm, smallLm } from "./reference.js";

const lm = randomLm(1);
const { vocabSize: V, context: C } = smallLm;
const B = 3;
const rows = [0, 1, 2].map((r) => randomIds(C, V, 10 + r));
let full: Float32Array;

/** Logits of row r at position t from the full recomputation. */
const expected = (r: number, t: number) => full.subarray((r * C + t) * V, (r * C + t + 1) * V);

beforeAll(async () => {
  const reference = await fullRecompute(lm, B);
  full = await reference.run(rows);
  await reference.release();
});

describe("KvCacheDecoder", () => {
  let single: KvCacheDecoder;
  beforeAll(async () => {
    single = await KvCacheDecoder.compile(lm, { batch: B, prefillLength: 1 });
  });
  afterAll(() => single.release());

  it("token by token (batch 3), the logits at every position equal head(transformer(ids))", async () => {
    for (let t = 0; t < C; t++) {
      const logits = await single.feed(rows.map((row) => row[t] as number));
      expect(single.position).toBe(t + 1);
      for (let r = 0; r < B; r++) expect(maxAbsDiff(logits.subarray(r * V, (r + 1) * V), expected(r, t))).toBeLessThan(1e-4);
    }
    await expect(single.feed([0, 0, 0])).rejects.toThrow(/pass the context of 12/);
  });

  it("after reset the stale slots are masked: the same logits again", async () => {
    single.reset();
    for (let t = 0; t < 4; t++) {
      const logits = await single.feed(rows.map((row) => row[t] as number));
      for (let r = 0; r < B; r++) expect(maxAbsDiff(logits.subarray(r * V, (r + 1) * V), expected(r, t))).toBeLessThan(1e-4);
    }
  });

  it("prefill: whole windows, a padded remainder and single tokens give the same logits", async () => {
    const decoder = await KvCacheDecoder.compile(lm, { batch: B, prefillLength: 9 });
    try {
      expect(decoder.prefillLength).toBe(9);
      // [0, 2): one call each; [2, 11): a whole window; [11, 12): one call. Then from 0 again:
      // [0, 3): one call each (3 < 8); [3, 11): 8 tokens padded to 9 (3 + 9 <= 12); [11, 12).
      for (const splits of [[1, 1, 9, 1], [1, 1, 1, 8, 1], [12]]) {
        decoder.reset();
        let start = 0;
        for (const n of splits) {
          const ids = rows.flatMap((row) => row.slice(start, start + n));
          const logits = await decoder.feed(ids, n);
          for (let r = 0; r < B; r++) {
            for (let i = 0; i < n; i++) expect(maxAbsDiff(logits.subarray((r * n + i) * V, (r * n + i + 1) * V), expected(r, start + i))).toBeLessThan(1e-4);
          }
          start += n;
        }
        expect(decoder.position).toBe(C);
      }
    } finally {
      await decoder.release();
    }
  });

  it("decodes TinyGpt as is (its transformer and head)", async () => {
    const gpt = new TinyGpt(new Rng(2), smallLm);
    const reference = await fullRecompute(gpt, 1);
    const decoder = await KvCacheDecoder.compile(gpt, { prefillLength: 4 });
    try {
      const ids = randomIds(7, V, 3);
      const want = await reference.run([ids]);
      const got = await decoder.feed(ids);
      expect(maxAbsDiff(got, want.subarray(0, 7 * V))).toBeLessThan(1e-4);
      expect([decoder.vocabSize, decoder.context, decoder.layers, decoder.heads, decoder.headDim]).toEqual([V, C, 2, 2, 8]);
    } finally {
      await Promise.all([decoder.release(), reference.release()]);
    }
  });

  it("an encoder with a padId: slots holding it are masked as keys, as its padding mask does", async () => {
    const padded = randomLm(6, { ...smallLm, padId: 0 });
    const reference = await fullRecompute(padded, 2);
    const decoder = await KvCacheDecoder.compile(padded, { batch: 2, prefillLength: 4 });
    try {
      // pads in the middle and at the end, never before a real token in a row
      const ids = [
        [3, 0, 5, 0, 0, 7, 1, 2, 0, 9, 4, 0],
        [8, 6, 0, 2, 11, 0, 0, 0, 5, 3, 12, 1],
      ];
      const want = await reference.run(ids);
      decoder.reset();
      const got = new Float32Array(2 * C * V);
      for (const [start, n] of [[0, 1], [1, 4], [5, 1], [6, 6]] as const) {
        const logits = await decoder.feed(ids.flatMap((row) => row.slice(start, start + n)), n);
        for (let r = 0; r < 2; r++) got.set(logits.subarray(r * n * V, (r + 1) * n * V), (r * C + start) * V);
      }
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
      // the padding mask does change the logits: the same weights (same seed) without it differ
      const unmasked = await fullRecompute(randomLm(6, smallLm), 2);
      expect(maxAbsDiff(await unmasked.run(ids), want)).toBeGreaterThan(1e-2);
      await unmasked.release();
    } finally {
      await Promise.all([decoder.release(), reference.release()]);
    }
  });

  it("rejects a bidirectional transformer, token ids out of range and bad shapes", async () => {
    const rng = new Rng(4);
    const bidirectional = { transformer: new TransformerEncoder(rng, smallLm), head: new Linear(16, V, rng, { bias: false }) };
    await expect(KvCacheDecoder.compile(bidirectional)).rejects.toThrow(/not causal/);
    await expect(KvCacheDecoder.compile(lm, { prefillLength: C + 1 })).rejects.toThrow(/prefillLength/);
    single.reset();
    await expect(single.feed([0, V, 1])).rejects.toThrow(/token id 13 is not in \[0, 13\)/);
    await expect(single.feed([0, 1])).rejects.toThrow(/expects \[3, n\] ids/);
    expect(single.position).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import type { Tensor } from "../../src/graph/index.js";
import { TextTransformer, type TextTransformerOptions } from "../../src/nn/encoders/text-transformer.js";
import { TransformerEncoder } from "../../src/nn/encoders/transformer.js";
import { AbstractModule, type BoundContext } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { int64 } from "../../src/runtime/index.js";
import { runModule } from "./run-module.js";

const D = 16;
const T = 12;
const options: TextTransformerOptions = { vocabSize: 40, dModel: D, layers: 2, heads: 2, context: T, padId: 0 };
const make = (extra: Partial<TextTransformerOptions> = {}, seed = 3) => new TextTransformer(new Rng(seed), { ...options, ...extra });

/** The per-token states of a TextTransformer (`tokens`) as a module `runModule` can run. */
class TokenStates extends AbstractModule {
  constructor(readonly inner: TextTransformer | TransformerEncoder) {
    super();
  }

  call(ctx: BoundContext, ids: Tensor): Tensor {
    return this.inner instanceof TextTransformer ? this.inner.tokens(ctx, ids) : this.inner.call(ctx, ids);
  }
}

/** Ids 6…39 (no special token), seeded. */
const realIds = (n: number, seed: number): number[] => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => 6 + rng.int(34));
};
const padTo = (ids: readonly number[], t: number): number[] => [...ids, ...new Array<number>(t - ids.length).fill(0)];

/** Rows of `[B, T, D]` states: row b, position t. */
const stateAt = (values: Float32Array, t: number, b: number, pos: number): number[] => Array.from(values.subarray((b * t + pos) * D, (b * t + pos + 1) * D));

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);
}

describe("TextTransformer and the padding key mask", () => {
  const lengths = [7, 12, 3];
  const rows = lengths.map((n, i) => realIds(n, 10 + i));
  const padded = int64([rows.length, T], rows.flatMap((r) => padTo(r, T)));

  it("a sequence padded at the end gives, at its real positions, the hidden states of the unpadded sequence", async () => {
    const encoder = make();
    const { y } = await runModule(new TokenStates(encoder), padded);
    expect(y.shape).toEqual([3, T, D]);
    for (const [b, row] of rows.entries()) {
      const alone = await runModule(new TokenStates(encoder), int64([1, row.length], row));
      for (let pos = 0; pos < row.length; pos++) expect(maxAbsDiff(stateAt(y.values, T, b, pos), stateAt(alone.y.values, row.length, 0, pos))).toBeLessThan(1e-5);
    }
    // without the mask the real positions attend to the padding: the check above can fail
    const unmasked = new TransformerEncoder(new Rng(3), { ...options, padId: undefined });
    const leaky = await runModule(new TokenStates(unmasked), padded);
    const alone = await runModule(new TokenStates(unmasked), int64([1, 7], rows[0] as number[]));
    expect(maxAbsDiff(stateAt(leaky.y.values, T, 0, 0), stateAt(alone.y.values, 7, 0, 0))).toBeGreaterThan(1e-3);
  });

  it("pools to the mean of the final states over the real tokens only", async () => {
    const encoder = make();
    const states = (await runModule(new TokenStates(encoder), padded)).y.values;
    const { y } = await runModule(encoder, padded);
    expect(y.shape).toEqual([3, D]);
    for (const [b, n] of lengths.entries()) {
      const mean = new Array<number>(D).fill(0);
      for (let pos = 0; pos < n; pos++) stateAt(states, T, b, pos).forEach((v, d) => (mean[d] = (mean[d] as number) + v / n));
      expect(maxAbsDiff(Array.from(y.values.subarray(b * D, (b + 1) * D)), mean)).toBeLessThan(1e-5);
    }
    // and a padded sequence pools as its unpadded self does
    const alone = await runModule(encoder, int64([1, 3], rows[2] as number[]));
    expect(maxAbsDiff(Array.from(y.values.subarray(2 * D)), Array.from(alone.y.values))).toBeLessThan(1e-5);
  });

  it("an all-padding row pools to zeros, not NaN, and leaves the other rows as they are", async () => {
    const encoder = make();
    const withEmpty = int64([2, T], [...padTo(rows[0] as number[], T), ...new Array<number>(T).fill(0)]);
    const { y } = await runModule(encoder, withEmpty);
    expect(Array.from(y.values.subarray(D))).toEqual(new Array<number>(D).fill(0));
    const alone = await runModule(encoder, int64([1, T], padTo(rows[0] as number[], T)));
    expect(maxAbsDiff(Array.from(y.values.subarray(0, D)), Array.from(alone.y.values))).toBeLessThan(1e-6);
    // its token states are finite too (every key masked: a uniform row, not 0/0)
    const states = await runModule(new TokenStates(encoder), withEmpty);
    expect(states.y.values.every(Number.isFinite)).toBe(true);
  });
});

describe("TextTransformer: causal and bidirectional", () => {
  const ids = realIds(T, 20);
  const changedTail = [...ids.slice(0, 6), ...realIds(T - 6, 21)];

  it("a causal encoder's states up to position k do not depend on later tokens; a bidirectional one's do; the two differ", async () => {
    const causal = new TokenStates(make({ causal: true }));
    const bidirectional = new TokenStates(make());
    const [c0, c1, b0, b1] = await Promise.all(
      [
        [causal, ids],
        [causal, changedTail],
        [bidirectional, ids],
        [bidirectional, changedTail],
      ].map(([m, x]) => runModule(m as TokenStates, int64([1, T], x as number[]))),
    );
    for (let pos = 0; pos < 6; pos++) {
      expect(maxAbsDiff(stateAt(c0!.y.values, T, 0, pos), stateAt(c1!.y.values, T, 0, pos))).toBeLessThan(1e-6);
      expect(maxAbsDiff(stateAt(b0!.y.values, T, 0, pos), stateAt(b1!.y.values, T, 0, pos))).toBeGreaterThan(1e-3);
    }
    // same weights (same seed), different attention: even the first position differs
    expect(maxAbsDiff(stateAt(c0!.y.values, T, 0, 0), stateAt(b0!.y.values, T, 0, 0))).toBeGreaterThan(1e-3);
  });
});

describe("TextTransformer dropout", () => {
  const x = int64([2, T], [...padTo(realIds(9, 30), T), ...realIds(T, 31)]);

  it("is the identity in eval: the same outputs as the encoder without dropout, and no noise input", async () => {
    const plain = await runModule(make({ dropout: 0 }), x);
    const dropped = await runModule(make({ dropout: 0.1 }), x);
    expect(Array.from(dropped.y.values)).toEqual(Array.from(plain.y.values));
  });

  it("in training differs between two passes with different noise, repeats with the same noise, and differs from eval", async () => {
    const encoder = make({ dropout: 0.1 });
    const [a, b, again, evaluated] = await Promise.all([
      runModule(encoder, x, { training: true, noiseSeed: 1 }),
      runModule(encoder, x, { training: true, noiseSeed: 2 }),
      runModule(encoder, x, { training: true, noiseSeed: 1 }),
      runModule(encoder, x),
    ]);
    expect(maxAbsDiff(Array.from(a.y.values), Array.from(b.y.values))).toBeGreaterThan(1e-3);
    expect(Array.from(again.y.values)).toEqual(Array.from(a.y.values));
    expect(maxAbsDiff(Array.from(a.y.values), Array.from(evaluated.y.values))).toBeGreaterThan(1e-3);
    // with p = 0 training is the eval pass
    const none = make({ dropout: 0 });
    const [trained, plain] = await Promise.all([runModule(none, x, { training: true, noiseSeed: 1 }), runModule(none, x)]);
    expect(Array.from(trained.y.values)).toEqual(Array.from(plain.y.values));
  });
});

import { describe, expect, it } from "vitest";
import { DataLoader } from "../../../src/data/loader.js";
import { ArrayTokenStream, TokenWindowDataset } from "../../../src/data/text/token-windows.js";

/** Ids 100, 101, …: each window's values say where it starts. */
const stream = (n: number): ArrayTokenStream => new ArrayTokenStream(Int32Array.from({ length: n }, (_, i) => 100 + i));
const windowAt = (start: number, window: number): bigint[] => Array.from({ length: window }, (_, k) => BigInt(100 + start + k));
const tokensOf = (ds: TokenWindowDataset, i: number): bigint[] => Array.from(ds.get(i).fields.tokens as BigInt64Array);

describe("TokenWindowDataset", () => {
  it("at stride 1 (the default) every offset starts a window: N − W + 1 of them, the last ending at the stream's end", () => {
    const ds = new TokenWindowDataset(stream(10), { window: 4 });
    expect(ds.length).toBe(7);
    expect(ds.stride).toBe(1);
    expect(ds.spec).toEqual({ modality: "text", input: "tokens", fields: { tokens: { shape: [4], dtype: "int64" } } });
    for (let i = 0; i < ds.length; i++) expect(tokensOf(ds, i)).toEqual(windowAt(i, 4));
    expect(ds.get(0).label).toBeUndefined();
  });

  it.each([
    // [tokens, window, stride, windows]
    [10, 4, 4, 2], // non-overlapping: the last 2 tokens are left over
    [12, 4, 4, 3], // exactly three
    [10, 4, 3, 3], // 0, 3, 6
    [9, 5, 4, 2], // a causal LM's context + 1 windows at stride context: consecutive windows share a token
    [5, 5, 7, 1], // one window, whatever the stride
  ])("%i tokens in windows of %i at stride %i: %i windows, window i starting at i·stride", (n, window, stride, count) => {
    const ds = new TokenWindowDataset(stream(n), { window, stride });
    expect(ds.length).toBe(count);
    for (let i = 0; i < count; i++) expect(tokensOf(ds, i)).toEqual(windowAt(i * stride, window));
    // the last window fits, the next would not
    expect((count - 1) * stride + window).toBeLessThanOrEqual(n);
    expect(count * stride + window).toBeGreaterThan(n);
  });

  it("a corpus shorter than one window is a clear error saying what to change", () => {
    expect(() => new TokenWindowDataset(stream(7), { window: 8 })).toThrow("the text has 7 tokens, fewer than one window of 8; use a shorter --context or more text");
    expect(() => new TokenWindowDataset(stream(8), { window: 8 })).not.toThrow();
  });

  it("rejects bad windows, strides and indices", () => {
    expect(() => new TokenWindowDataset(stream(10), { window: 1 })).toThrow("window must be an integer >= 2, got 1");
    expect(() => new TokenWindowDataset(stream(10), { window: 3, stride: 0 })).toThrow("stride must be a positive integer, got 0");
    expect(() => new TokenWindowDataset(stream(10), { window: 3, stride: 1.5 })).toThrow("stride must be a positive integer");
    const ds = new TokenWindowDataset(stream(10), { window: 4 });
    expect(() => ds.get(7)).toThrow(RangeError);
    expect(() => ds.get(-1)).toThrow(RangeError);
    expect(() => stream(5).read(3, new BigInt64Array(3))).toThrow("tokens [3, 6) outside [0, 5)");
  });

  it("the loader stacks windows into int64 [B, W] batches in its seeded order", () => {
    const ds = new TokenWindowDataset(stream(40), { window: 6, stride: 2 });
    const loader = new DataLoader(ds, { batchSize: 4, seed: 3 });
    const batch = loader.batch(1, 2);
    expect(batch.fields.tokens?.shape).toEqual([4, 6]);
    expect(batch.labels).toBeNull();
    const order = loader.order(1).subarray(8, 12);
    expect(Array.from(batch.fields.tokens?.data as BigInt64Array)).toEqual(Array.from(order).flatMap((i) => windowAt(2 * i, 6)));
  });
});

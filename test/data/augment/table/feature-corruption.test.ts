import { describe, expect, it } from "vitest";
import { corruptedCount, corruptionMask, marginalCorruption } from "../../../../src/data/augment/table/feature-corruption.js";
import { Rng } from "../../../../src/random/rng.js";

describe("table feature corruption", () => {
  it("SCARF's mask corrupts exactly round(c·D) features of every row, a different subset per row", () => {
    const [n, d] = [200, 10];
    const count = corruptedCount(0.6, d);
    expect(count).toBe(6);
    const mask = corruptionMask(n, d, { count }, new Rng(3));
    const perRow = Array.from({ length: n }, (_, r) => mask.subarray(r * d, (r + 1) * d).reduce((a, b) => a + b, 0));
    expect(new Set(perRow)).toEqual(new Set([6]));
    // every feature is picked ~60% of the time
    for (let j = 0; j < d; j++) {
      let hits = 0;
      for (let r = 0; r < n; r++) hits += mask[r * d + j] as number;
      expect(hits / n).toBeGreaterThan(0.45);
      expect(hits / n).toBeLessThan(0.75);
    }
    expect(corruptedCount(0.01, d)).toBe(1);
    expect(() => corruptedCount(1.5, d)).toThrow("corruption rate must be in [0, 1], got 1.5");
  });

  it("VIME's mask is Bernoulli(p) per feature, and the same seed draws the same mask", () => {
    const mask = corruptionMask(100, 50, { probability: 0.3 }, new Rng(1));
    const rate = mask.reduce((a, b) => a + b, 0) / mask.length;
    expect(rate).toBeGreaterThan(0.27);
    expect(rate).toBeLessThan(0.33);
    expect(corruptionMask(100, 50, { probability: 0.3 }, new Rng(1))).toEqual(mask);
  });

  it("replaces masked features with the same feature of another row and marks what changed", () => {
    const [n, d] = [5, 3];
    // feature j of row r is 10·r + j: a donor's row is recoverable from the value
    const rows = Float32Array.from({ length: n * d }, (_, i) => 10 * Math.floor(i / d) + (i % d));
    rows[4 * d + 2] = rows[0 * d + 2] as number; // a donor may hold the same value
    const mask = new Uint8Array(n * d).fill(1);
    const { corrupted, changed } = marginalCorruption(rows, n, d, mask, new Rng(7));
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < d; j++) {
        const v = corrupted[r * d + j] as number;
        const donors = Array.from({ length: n }, (_, k) => k).filter((k) => k !== r && rows[k * d + j] === v);
        expect(donors.length, `row ${r} feature ${j}`).toBeGreaterThan(0);
        expect(changed[r * d + j]).toBe(v === rows[r * d + j] ? 0 : 1);
      }
    }
    const none = marginalCorruption(rows, n, d, new Uint8Array(n * d), new Rng(7));
    expect(none.corrupted).toEqual(rows);
    expect(none.changed.every((x) => x === 0)).toBe(true);
    expect(() => marginalCorruption(rows.subarray(0, d), 1, d, mask.subarray(0, d), new Rng(0))).toThrow("at least 2 rows");
  });
});

import { describe, expect, it } from "vitest";
import { argmax, sampleToken, tokenDistribution } from "../../src/generate/index.js";
import { Rng } from "../../src/random/rng.js";

/** float32 logits like a model's: N(0, scale²). */
const randomLogits = (rng: Rng, v: number, scale = 3) => rng.normalArray(v, 0, scale);

/** Softmax of logits / temperature in float64, computed directly. */
function softmax(logits: ArrayLike<number>, temperature: number): number[] {
  const z = Array.from(logits, (l) => l / temperature);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);

describe("sampling", () => {
  it("argmax takes the lowest index among ties; temperature 0 is greedy and draws nothing", () => {
    expect(argmax([1, 3, 3, -2])).toBe(1);
    expect(argmax([Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(0);
    const rng = new Rng(5);
    const before = rng.state;
    expect(sampleToken([0.1, 2, 7, 7], { temperature: 0, topK: 1 }, rng)).toBe(2);
    expect(rng.state).toEqual(before);
  });

  it("top-k keeps the k largest logits (property check on random logits)", () => {
    const rng = new Rng(1);
    for (let trial = 0; trial < 200; trial++) {
      const v = 1 + rng.int(60);
      const k = 1 + rng.int(v + 3);
      const logits = randomLogits(rng, v);
      const { ids, probs } = tokenDistribution(logits, { topK: k, temperature: 0.5 + rng.uniform() });
      const byValue = Array.from(logits.keys()).sort((a, b) => (logits[b] as number) - (logits[a] as number));
      expect(new Set(ids)).toEqual(new Set(byValue.slice(0, Math.min(k, v))));
      expect(sum(probs)).toBeCloseTo(1, 12);
      for (let r = 1; r < probs.length; r++) expect(probs[r]).toBeLessThanOrEqual(probs[r - 1] as number);
    }
  });

  it("top-k keeps ties with the k-th logit", () => {
    expect(Array.from(tokenDistribution([1, 5, 3, 3, 0], { topK: 2 }).ids)).toEqual([1, 2, 3]);
  });

  it("top-p keeps the smallest most-likely set reaching p, at least one token (property check)", () => {
    const rng = new Rng(2);
    for (let trial = 0; trial < 200; trial++) {
      const v = 2 + rng.int(60);
      const logits = randomLogits(rng, v);
      const temperature = 0.3 + 2 * rng.uniform();
      const p = trial % 10 === 0 ? 1e-9 : rng.uniform();
      const { ids, probs } = tokenDistribution(logits, { topP: p, temperature });
      const full = softmax(logits, temperature);
      const kept = Array.from(ids, (i) => full[i] as number);
      // the most likely tokens, in order
      const sorted = [...full].sort((a, b) => b - a);
      expect(kept).toEqual(sorted.slice(0, ids.length));
      // they reach p, and without the last one they do not
      expect(sum(kept)).toBeGreaterThanOrEqual(p - 1e-12);
      expect(sum(kept.slice(0, -1))).toBeLessThan(p);
      // renormalized softmax of the kept set
      kept.forEach((q, r) => expect(probs[r]).toBeCloseTo(q / sum(kept), 12));
    }
  });

  it("top-p applies to the survivors of top-k", () => {
    // softmax over the top 2 of [4, 3, 2, 1] at temperature 1: 0.731, 0.269
    expect(Array.from(tokenDistribution([4, 3, 2, 1], { topK: 2, topP: 0.7 }).ids)).toEqual([0]);
    expect(Array.from(tokenDistribution([4, 3, 2, 1], { topK: 2, topP: 0.75 }).ids)).toEqual([0, 1]);
    expect(Array.from(tokenDistribution([4, 3, 2, 1], { topK: 3, topP: 0.75 }).ids)).toEqual([0, 1]);
  });

  it("is numerically stable: huge logits and a tiny temperature give finite probabilities", () => {
    const { ids, probs } = tokenDistribution(Float32Array.of(3e38, 2.9e38, -3e38), { temperature: 1e-3 });
    expect(Array.from(ids)).toEqual([0, 1, 2]);
    expect(Array.from(probs)).toEqual([1, 0, 0]);
    const soft = tokenDistribution([1000, 999], {});
    expect(soft.probs[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });

  it("a fixed seed reproduces the draws; another seed gives others; only kept ids are drawn", () => {
    const logits = randomLogits(new Rng(3), 50, 1);
    const options = { temperature: 0.9, topK: 20, topP: 0.9 };
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 100 }, () => sampleToken(logits, options, rng));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(8)).not.toEqual(draw(7));
    const allowed = new Set(tokenDistribution(logits, options).ids);
    expect(draw(9).every((id) => allowed.has(id))).toBe(true);
  });

  it("draws with the distribution's frequencies", () => {
    const logits = [2, 1, 0, -1];
    const want = softmax(logits, 1);
    const rng = new Rng(11);
    const n = 40_000;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const id = sampleToken(logits, {}, rng);
      counts[id] = (counts[id] as number) + 1;
    }
    // 5 standard errors of a binomial proportion
    counts.forEach((c, i) => expect(Math.abs(c / n - (want[i] as number))).toBeLessThan(5 * Math.sqrt(((want[i] as number) * (1 - (want[i] as number))) / n)));
  });

  it("rejects bad options", () => {
    const rng = new Rng(0);
    expect(() => sampleToken([1, 2], { temperature: -1 }, rng)).toThrow(/temperature/);
    expect(() => sampleToken([1, 2], { topK: 1.5 }, rng)).toThrow(/topK/);
    expect(() => sampleToken([1, 2], { topP: 0 }, rng)).toThrow(/topP/);
    expect(() => sampleToken([1, 2], { temperature: 0, topP: 2 }, rng)).toThrow(/topP/);
    expect(() => tokenDistribution([], {})).toThrow(/empty/);
  });
});

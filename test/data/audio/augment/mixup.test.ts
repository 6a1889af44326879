import { describe, expect, it } from "vitest";
import { type Spectrogram, type ViewContext, MixupBank, logMixupExp, mixupWithBackground } from "../../../../src/data/audio/augment/index.js";
import { Rng } from "../../../../src/random/rng.js";
import { maxAbsDiff, mixupReference, randomClip } from "./helpers.js";

/** A clip of N(0, 1) values, as BYOL-A's normalized log-mel. */
const normalClip = (mels: number, frames: number, seed: number): Spectrogram => ({ data: new Rng(seed).normalArray(mels * frames), mels, frames });

describe("log-mixup-exp", () => {
  it("equals BYOL-A's log_mixup_exp", () => {
    const { x, b, lambda, mixed } = mixupReference;
    const y = logMixupExp({ data: Float32Array.from(x), mels: 3, frames: 5 }, { data: Float32Array.from(b), mels: 3, frames: 5 }, lambda);
    expect(maxAbsDiff(y.data, mixed)).toBeLessThan(1e-5);
  });

  it("is the identity at λ = 0 and the background at λ = 1, above the eps floor", () => {
    // BYOL-A's normalized log-mel (mean 0, std 1): e^x ≥ e^-6 ≫ eps, so the floor moves values < 1e-4
    const clip = normalClip(8, 12, 1);
    const background = normalClip(8, 12, 2);
    expect(Math.min(...clip.data, ...background.data)).toBeGreaterThan(-6);
    expect(maxAbsDiff(logMixupExp(clip, background, 0).data, clip.data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(logMixupExp(clip, background, 1).data, background.data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(logMixupExp(clip, clip, 0.5).data, clip.data)).toBeLessThan(1e-4);
    // far below, the floor shows: log(e^x + eps), never under log(eps) = −15.94
    const quiet = { data: Float32Array.from([-30, -16, -12]), mels: 1, frames: 3 };
    const floored = logMixupExp(quiet, quiet, 0).data;
    expect(Array.from(floored).map((v) => +v.toFixed(3))).toEqual([-15.942, -15.278, -11.981]);
    expect(() => logMixupExp(clip, randomClip(8, 11), 0.2)).toThrow(/background is \[8, 11\]/);
  });
});

describe("the memory bank", () => {
  it("keeps the last `capacity` clips, and its state restores it exactly", () => {
    const bank = new MixupBank(3, 2, 2);
    for (let k = 0; k < 5; k++) bank.push({ data: new Float32Array(4).fill(k), mels: 2, frames: 2 });
    expect(bank.size).toBe(3);
    const state = bank.state();
    expect([state.size, state.next]).toEqual([3, 2]);
    const held = new Set<number>();
    const rng = new Rng(1);
    for (let k = 0; k < 50; k++) held.add((bank.draw(rng)?.data[0]) as number);
    expect([...held].sort()).toEqual([2, 3, 4]);
    const copy = MixupBank.fromState(JSON.parse(JSON.stringify({ ...state, clips: Array.from(state.clips) }), (key, v: unknown) => (key === "clips" ? Float32Array.from(v as number[]) : v)));
    const a = new Rng(5);
    const b = new Rng(5);
    for (let k = 0; k < 10; k++) expect(copy.draw(a)?.data).toEqual(bank.draw(b)?.data);
    copy.push({ data: new Float32Array(4).fill(9), mels: 2, frames: 2 });
    bank.push({ data: new Float32Array(4).fill(9), mels: 2, frames: 2 });
    expect(copy.state()).toEqual(bank.state());
    expect(() => bank.push({ data: new Float32Array(6), mels: 2, frames: 3 })).toThrow(/holds \[2, 2\]/);
    expect(() => MixupBank.fromState({ ...state, next: 3 })).toThrow(/next slot/);
  });
});

describe("mixup with background", () => {
  const clip = normalClip(4, 6, 1);

  it("passes the first clip of a run through and then mixes with a past one, λ ≤ ratio", () => {
    const bank = new MixupBank(4, 4, 6);
    const context: ViewContext = { outFrames: 6, bank };
    expect(mixupWithBackground().apply(clip, new Rng(1), context)).toEqual(clip);
    const background = normalClip(4, 6, 2);
    bank.push(background);
    const rng = new Rng(2);
    for (let k = 0; k < 20; k++) {
      const y = mixupWithBackground({ ratio: 0.4 }).apply(clip, rng, context);
      // find λ back from one value and check that it explains all of them
      const i = 0;
      const lambda = (Math.exp(y.data[i] as number) - Math.exp(clip.data[i] as number)) / (Math.exp(background.data[i] as number) - Math.exp(clip.data[i] as number));
      expect(lambda).toBeGreaterThanOrEqual(-1e-4);
      expect(lambda).toBeLessThanOrEqual(0.4 + 1e-4);
      expect(maxAbsDiff(y.data, logMixupExp(clip, background, Math.min(1, Math.max(0, lambda))).data)).toBeLessThan(1e-3);
    }
    const ratioZero = mixupWithBackground({ ratio: 0 }).apply(clip, new Rng(3), context);
    expect(maxAbsDiff(ratioZero.data, clip.data)).toBeLessThan(1e-4);
  });

  it("needs a bank", () => {
    expect(() => mixupWithBackground().apply(clip, new Rng(1), { outFrames: 6, bank: null })).toThrow(/needs a MixupBank/);
  });
});

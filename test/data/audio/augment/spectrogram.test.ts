import { describe, expect, it } from "vitest";
import {
  NATS_PER_DB,
  type Spectrogram,
  type ViewContext,
  frequencyMasking,
  linearFade,
  maskBand,
  randomLinearFader,
  randomLogGain,
  randomTimeCrop,
  timeMasking,
  windowFrames,
} from "../../../../src/data/audio/augment/index.js";
import { Rng } from "../../../../src/random/rng.js";
import { at, maxAbsDiff, randomClip } from "./helpers.js";

const context: ViewContext = { outFrames: 96, bank: null };

/** Frames (or bands) whose every value equals `value`. */
function maskedLines(clip: Spectrogram, axis: "time" | "frequency", value: number): number[] {
  const lines: number[] = [];
  const size = axis === "time" ? clip.frames : clip.mels;
  const across = axis === "time" ? clip.mels : clip.frames;
  for (let i = 0; i < size; i++) {
    let all = true;
    for (let j = 0; j < across && all; j++) all = (axis === "time" ? at(clip, j, i) : at(clip, i, j)) === value;
    if (all) lines.push(i);
  }
  return lines;
}

describe("time crop", () => {
  const clip = randomClip(4, 101);

  it("windows frames of every band, padding outside", () => {
    const w = windowFrames(clip, 10, 95, -99);
    expect(w.frames).toBe(10);
    for (let m = 0; m < 4; m++) {
      for (let t = 0; t < 6; t++) expect(at(w, m, t)).toBe(at(clip, m, 95 + t));
      for (let t = 6; t < 10; t++) expect(at(w, m, t)).toBe(-99);
    }
  });

  it("crops to the view's frames by default, pads a short clip with its minimum", () => {
    const rng = new Rng(1);
    const starts = new Set<number>();
    for (let k = 0; k < 100; k++) {
      const y = randomTimeCrop().apply(clip, rng, context);
      expect([y.mels, y.frames]).toEqual([4, 96]);
      const start = Array.from({ length: 6 }, (_, s) => s).find((s) => at(clip, 2, s) === at(y, 2, 0) && at(clip, 3, s + 95) === at(y, 3, 95));
      expect(start).toBeDefined();
      starts.add(start as number);
    }
    expect(starts.size).toBe(6);
    const short = randomClip(2, 5, 3);
    const padded = randomTimeCrop({ frames: 8 }).apply(short, new Rng(2), context);
    const low = Math.min(...short.data);
    expect(Array.from(padded.data).filter((v) => v === low).length).toBeGreaterThanOrEqual(2 * 3);
  });
});

describe("log-domain gain and linear fader", () => {
  const clip = randomClip(3, 20);

  it("adds one constant per clip, g · ln(10)/10 for a gain of g dB", () => {
    const y = randomLogGain({ gainDb: [-10, 10] }).apply(clip, new Rng(1), context);
    const offset = (y.data[0] as number) - (clip.data[0] as number);
    expect(Math.abs(offset)).toBeLessThanOrEqual(10 * NATS_PER_DB + 1e-5);
    expect(maxAbsDiff(y.data, clip.data.map((v) => v + offset))).toBeLessThan(1e-5);
    const fixed = randomLogGain({ gainDb: [3, 3], normalizationStd: 2 }).apply(clip, new Rng(1), context);
    expect(maxAbsDiff(fixed.data, clip.data.map((v) => v + (3 * NATS_PER_DB) / 2))).toBeLessThan(1e-5);
  });

  it("adds torch.linspace(head, tail, T) to every band", () => {
    const y = linearFade(clip, -1, 0.5);
    for (let m = 0; m < 3; m++) {
      expect(at(y, m, 0) - at(clip, m, 0)).toBeCloseTo(-1, 5);
      expect(at(y, m, 19) - at(clip, m, 19)).toBeCloseTo(0.5, 5);
      expect(at(y, m, 10) - at(clip, m, 10)).toBeCloseTo(-1 + (1.5 * 10) / 19, 5);
    }
    const rng = new Rng(4);
    for (let k = 0; k < 20; k++) {
      const f = randomLinearFader({ gain: 0.5 }).apply(clip, rng, context);
      expect(Math.abs(at(f, 0, 0) - at(clip, 0, 0))).toBeLessThanOrEqual(0.5 + 1e-6);
      expect(Math.abs(at(f, 0, 19) - at(clip, 0, 19))).toBeLessThanOrEqual(0.5 + 1e-6);
    }
  });
});

describe("SpecAugment masking", () => {
  const clip = randomClip(64, 101);

  it("masks a band of frames or of mel channels with a given value", () => {
    const t = maskBand(clip, "time", 10, 5, 7);
    expect(maskedLines(t, "time", 7)).toEqual([10, 11, 12, 13, 14]);
    const f = maskBand(clip, "frequency", 60, 4, 7);
    expect(maskedLines(f, "frequency", 7)).toEqual([60, 61, 62, 63]);
    expect(() => maskBand(clip, "frequency", 62, 4, 0)).toThrow(/within \[0, 64\)/);
  });

  it("keeps the masks' widths within their bounds and fills them with the clip's mean", () => {
    let sum = 0;
    for (const v of clip.data) sum += v;
    const mean = Math.fround(sum / clip.data.length);
    const rng = new Rng(11);
    let widest = 0;
    for (let k = 0; k < 200; k++) {
      const y = timeMasking({ count: 1, maxWidth: 100, maxFraction: 0.2 }).apply(clip, rng, context);
      const lines = maskedLines(y, "time", mean);
      expect(lines.length).toBeLessThanOrEqual(20); // p · τ = 0.2 · 101
      if (lines.length > 0) expect((lines.at(-1) as number) - (lines[0] as number) + 1).toBe(lines.length); // one contiguous band
      widest = Math.max(widest, lines.length);
      const g = frequencyMasking({ count: 2, maxWidth: 8 }).apply(clip, rng, context);
      expect(maskedLines(g, "frequency", mean).length).toBeLessThanOrEqual(16);
    }
    expect(widest).toBe(20);
    // F = 27 of the paper's 80 bands scales to 22 of 64 by default
    let widestBand = 0;
    for (let k = 0; k < 300; k++) widestBand = Math.max(widestBand, maskedLines(frequencyMasking({ count: 1 }).apply(clip, rng, context), "frequency", mean).length);
    expect(widestBand).toBe(22);
    const zero = frequencyMasking({ count: 1, maxWidth: 64, value: "zero" }).apply(clip, new Rng(3), context);
    expect(maskedLines(zero, "frequency", 0).length).toBeGreaterThan(0);
  });

  it("replays from the seed and does not write its input", () => {
    const before = clip.data.slice();
    const a = timeMasking().apply(clip, new Rng(1), context);
    expect(timeMasking().apply(clip, new Rng(1), context)).toEqual(a);
    expect(maxAbsDiff(timeMasking().apply(clip, new Rng(2), context).data, a.data)).toBeGreaterThan(0);
    expect(clip.data).toEqual(before);
  });
});

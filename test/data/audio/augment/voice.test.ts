import { describe, expect, it } from "vitest";
import { NATS_PER_DB, type Spectrogram, randomVoicePerturbation, shapeSpectrum, warpFrequency } from "../../../../src/data/audio/augment/index.js";
import { BYOL_A_FEATURES } from "../../../../src/data/audio/audio-features.js";
import { logMelSpectrogram } from "../../../../src/data/audio/log-mel.js";
import { Rng } from "../../../../src/random/rng.js";
import { at, maxAbsDiff, randomClip, sine } from "./helpers.js";

const context = { outFrames: 96, bank: null };

/** The log-mel of a 16 kHz tone, as the featurizer computes it. */
function toneClip(hz: number): Spectrogram {
  const { values, mels, frames } = logMelSpectrogram(sine(16000, hz), BYOL_A_FEATURES);
  return { data: values, mels, frames };
}

/** The band of the loudest value in frame t. */
function peakBand(clip: Spectrogram, t: number): number {
  let best = 0;
  for (let m = 1; m < clip.mels; m++) if (at(clip, m, t) > at(clip, best, t)) best = m;
  return best;
}

describe("warpFrequency", () => {
  it("moves a tone to where the scaled tone's features put it", () => {
    for (const [hz, factor] of [[600, 1.2], [1500, 0.85], [3000, 1.15]] as const) {
      const warped = warpFrequency(toneClip(hz), factor);
      expect(Math.abs(peakBand(warped, 50) - peakBand(toneClip(hz * factor), 50)), `${hz} Hz × ${factor}`).toBeLessThanOrEqual(1);
    }
  });

  it("is the identity at factor 1 and holds the edge bands beyond the range", () => {
    const clip = randomClip(64, 20);
    expect(maxAbsDiff(warpFrequency(clip, 1).data, clip.data)).toBeLessThan(1e-4);
    const up = warpFrequency(clip, 1.5);
    for (let t = 0; t < 20; t++) expect(at(up, 0, t)).toBe(at(clip, 0, t));
    const down = warpFrequency(clip, 0.5);
    for (let t = 0; t < 20; t++) expect(at(down, 63, t)).toBe(at(clip, 63, t));
  });

  it("refuses a factor that is not a positive finite number", () => {
    for (const bad of [0, -1, Number.NaN, Infinity]) expect(() => warpFrequency(randomClip(8, 4), bad)).toThrow(/warpFrequency: factor/);
  });
});

describe("shapeSpectrum", () => {
  it("adds each band's gain to all its frames, and needs one gain per band", () => {
    const clip = randomClip(3, 4);
    const out = shapeSpectrum(clip, Float64Array.from([1, 0, -2]));
    for (let t = 0; t < 4; t++) {
      expect(at(out, 0, t)).toBeCloseTo(at(clip, 0, t) + 1, 5);
      expect(at(out, 1, t)).toBe(at(clip, 1, t));
      expect(at(out, 2, t)).toBeCloseTo(at(clip, 2, t) - 2, 5);
    }
    expect(() => shapeSpectrum(clip, new Float64Array(2))).toThrow(/2 gains for 3 bands/);
  });
});

describe("randomVoicePerturbation", () => {
  it("is seeded, leaves its input alone, and keeps the equalizer within its gains", () => {
    const clip = randomClip(64, 30);
    const copy = clip.data.slice();
    const transform = randomVoicePerturbation({ warp: [1, 1], peaks: 2, peakGainDb: 6, tiltDb: 3 });
    const a = transform.apply(clip, new Rng(4), context);
    expect(maxAbsDiff(a.data, transform.apply(clip, new Rng(4), context).data)).toBe(0);
    expect(maxAbsDiff(a.data, transform.apply(clip, new Rng(5), context).data)).toBeGreaterThan(0.01);
    expect(maxAbsDiff(clip.data, copy)).toBe(0);
    // with no warp, the change is one gain per band, the same in every frame, within tilt + peaks
    for (let m = 0; m < 64; m++) {
      const gain = at(a, m, 0) - at(clip, m, 0);
      for (let t = 1; t < 30; t++) expect(at(a, m, t) - at(clip, m, t)).toBeCloseTo(gain, 4);
      expect(Math.abs(gain)).toBeLessThanOrEqual((3 + 2 * 6) * NATS_PER_DB + 1e-6);
    }
  });

  it("scales its gains by the normalization's standard deviation", () => {
    const clip = randomClip(64, 5);
    const plain = randomVoicePerturbation({ warp: [1, 1] }).apply(clip, new Rng(2), context);
    const normalized = randomVoicePerturbation({ warp: [1, 1], normalizationStd: 4 }).apply(clip, new Rng(2), context);
    for (let m = 0; m < 64; m++) expect(at(normalized, m, 0) - at(clip, m, 0)).toBeCloseTo((at(plain, m, 0) - at(clip, m, 0)) / 4, 5);
  });

  it("refuses options out of range, naming them", () => {
    expect(() => randomVoicePerturbation({ warp: [0, 1.2] })).toThrow(/warp must be above 0/);
    expect(() => randomVoicePerturbation({ peaks: 1.5 })).toThrow(/peaks must be an integer/);
    expect(() => randomVoicePerturbation({ tiltDb: -1 })).toThrow(/tiltDb/);
    expect(() => randomVoicePerturbation({ normalizationStd: 0 })).toThrow(/normalizationStd/);
  });
});

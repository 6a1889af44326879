import { describe, expect, it } from "vitest";
import {
  type AudioAugmentationPreset,
  type SpectrogramBatchShape,
  MixupBank,
  audioViews,
  byolABankCapacity,
  byolAPreset,
  colaPreset,
  specAugmentPreset,
  voicePreset,
} from "../../../../src/data/audio/augment/index.js";
import { Rng } from "../../../../src/random/rng.js";
import { maxAbsDiff } from "./helpers.js";

const [n, mels, frames, outFrames] = [6, 64, 101, 96];
const shape: SpectrogramBatchShape = [n, 1, mels, frames];
/** BYOL-A's input: normalized log-mel, N(0, 1) here. */
const batch = new Rng(42).normalArray(n * mels * frames);
const clipSize = mels * frames;
const viewSize = mels * outFrames;

const presets: readonly AudioAugmentationPreset[] = [byolAPreset(), byolAPreset({ version: 2 }), colaPreset(), specAugmentPreset(), voicePreset()];
const bankFor = (preset: AudioAugmentationPreset): MixupBank | null => (preset.needsBank ? new MixupBank(byolABankCapacity(), mels, outFrames) : null);

describe("audioViews", () => {
  it("makes two [N, 1, M, outFrames] views with every preset, replays from the seed, and leaves the batch alone", () => {
    const before = batch.slice();
    for (const preset of presets) {
      const a = audioViews(batch, shape, preset, new Rng(1), outFrames, bankFor(preset));
      expect(a, preset.name).toHaveLength(2);
      for (const v of a) {
        expect(v.length).toBe(n * viewSize);
        expect(v.every(Number.isFinite), preset.name).toBe(true);
      }
      expect(maxAbsDiff(a[0] as Float32Array, a[1] as Float32Array), preset.name).toBeGreaterThan(0.1);
      const again = audioViews(batch, shape, preset, new Rng(1), outFrames, bankFor(preset));
      expect(again, preset.name).toEqual(a);
      const other = audioViews(batch, shape, preset, new Rng(2), outFrames, bankFor(preset));
      expect(maxAbsDiff(other[0] as Float32Array, a[0] as Float32Array), preset.name).toBeGreaterThan(0.1);
    }
    expect(batch).toEqual(before);
  });

  it("draws per sample in order: sample i's views do not depend on the samples after it", () => {
    for (const preset of presets) {
      const all = audioViews(batch, shape, preset, new Rng(3), outFrames, bankFor(preset));
      const head = audioViews(batch.subarray(0, 4 * clipSize), [4, 1, mels, frames], preset, new Rng(3), outFrames, bankFor(preset));
      head.forEach((v, k) => expect(v, preset.name).toEqual((all[k] as Float32Array).subarray(0, 4 * viewSize)));
    }
  });

  it("resumes exactly from the generator's and the bank's saved state", () => {
    const preset = byolAPreset();
    const rng = new Rng(9);
    const bank = new MixupBank(8, mels, outFrames);
    audioViews(batch, shape, preset, rng, outFrames, bank);
    const saved = { rng: rng.state, bank: bank.state() };
    const second = audioViews(batch, shape, preset, rng, outFrames, bank);
    const resumed = audioViews(batch, shape, preset, new Rng(saved.rng), outFrames, MixupBank.fromState(saved.bank));
    expect(resumed).toEqual(second);
    // and the bank mattered: a fresh one gives other views
    const fresh = audioViews(batch, shape, preset, new Rng(saved.rng), outFrames, new MixupBank(8, mels, outFrames));
    expect(maxAbsDiff(fresh[0] as Float32Array, second[0] as Float32Array)).toBeGreaterThan(0.01);
  });

  it("COLA's views are two crops of the clip, SpecAugment's two maskings of one crop", () => {
    const [a, b] = audioViews(batch, shape, colaPreset(), new Rng(4), outFrames) as [Float32Array, Float32Array];
    for (let s = 0; s < n; s++) {
      for (const view of [a, b]) {
        const first = view[s * viewSize] as number;
        const start = batch.subarray(s * clipSize, s * clipSize + frames).indexOf(first);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(start).toBeLessThanOrEqual(frames - outFrames);
        for (let m = 0; m < mels; m += 9) {
          const row = batch.subarray(s * clipSize + m * frames + start, s * clipSize + m * frames + start + outFrames);
          expect(view.subarray(s * viewSize + m * outFrames, s * viewSize + (m + 1) * outFrames)).toEqual(row);
        }
      }
    }
    const [x, y] = audioViews(batch, shape, specAugmentPreset(), new Rng(4), outFrames) as [Float32Array, Float32Array];
    let same = 0;
    for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
    expect(same / x.length).toBeGreaterThan(0.3); // the unmasked parts of one crop
    expect(same / x.length).toBeLessThan(1);
  });

  it("asks for a bank when a view mixes, and checks shapes", () => {
    expect(() => audioViews(batch, shape, byolAPreset(), new Rng(1), outFrames)).toThrow(/needs a MixupBank/);
    expect(() => audioViews(batch, [n, 1, mels, 100], colaPreset(), new Rng(1), outFrames)).toThrow(/do not fill/);
    const wrongBank = new MixupBank(4, mels, frames);
    expect(() => audioViews(batch, shape, byolAPreset(), new Rng(1), outFrames, wrongBank)).toThrow(/holds \[64, 101\]/);
  });
});

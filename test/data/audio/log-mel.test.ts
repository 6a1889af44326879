import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BYOL_A_FEATURES, clipFrames } from "../../../src/data/audio/audio-features.js";
import { logMelSpectrogram } from "../../../src/data/audio/log-mel.js";
import { hzToMel, melFilterbank, melToHz } from "../../../src/data/audio/mel-scale.js";

// Made by test/fixtures/audio/make-log-mel-golden.py with torchaudio 0.13.1 (float64).
const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "audio");
const index = JSON.parse(readFileSync(join(FIXTURES, "log-mel-golden.json"), "utf8")) as {
  arrays: Record<string, { offset: number; length: number; shape?: number[] }>;
};
const bytes = readFileSync(join(FIXTURES, "log-mel-golden.f32"));
const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

function golden(name: string): Float32Array {
  const entry = index.arrays[name];
  if (entry === undefined) throw new Error(`no array ${name} in the fixture`);
  return all.subarray(entry.offset, entry.offset + entry.length);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe("log-mel spectrogram", () => {
  it.each(["htk", "slaney"] as const)("matches torchaudio's MelSpectrogram + log(x + eps) to 1e-3 (natural log) on the %s scale", (melScale) => {
    const wave = golden("wave");
    const reference = golden(`logmel_${melScale}`);
    const spectrogram = logMelSpectrogram(wave, { ...BYOL_A_FEATURES, melScale });
    expect([spectrogram.mels, spectrogram.frames]).toEqual(index.arrays[`logmel_${melScale}`]?.shape);
    expect([spectrogram.mels, spectrogram.frames]).toEqual([64, 1 + Math.floor(4800 / 160)]);
    // measured 1.3e-5 (htk) and 2.8e-5 (slaney): torchaudio builds its filterbank in float32; 1e-3 is the bar
    expect(maxAbsDiff(spectrogram.values, reference)).toBeLessThan(1e-3);
    // and the two scales differ by far more than that, so the check can tell them apart
    const other = golden(`logmel_${melScale === "htk" ? "slaney" : "htk"}`);
    expect(maxAbsDiff(spectrogram.values, other)).toBeGreaterThan(0.1);
  });

  it("has 101 frames for BYOL-A's 1 s clip, and log(eps) for silence", () => {
    expect(clipFrames(BYOL_A_FEATURES)).toBe(101);
    const silent = logMelSpectrogram(new Float32Array(16000), BYOL_A_FEATURES);
    expect([silent.mels, silent.frames]).toEqual([64, 101]);
    expect(silent.values.every((v) => v === Math.fround(Math.log(BYOL_A_FEATURES.logEpsilon)))).toBe(true);
  });

  it("puts a tone's energy in the band around its frequency, frame-minor", () => {
    const rate = 16000;
    const wave = Float32Array.from({ length: rate }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / rate));
    const { values, mels, frames } = logMelSpectrogram(wave, BYOL_A_FEATURES);
    const middle = Math.floor(frames / 2);
    let loudest = 0;
    for (let m = 1; m < mels; m++) if ((values[m * frames + middle] as number) > (values[loudest * frames + middle] as number)) loudest = m;
    const edges = Array.from({ length: mels + 2 }, (_, i) => melToHz(hzToMel(60, "htk") + ((hzToMel(7800, "htk") - hzToMel(60, "htk")) * i) / (mels + 1), "htk"));
    expect(edges[loudest] as number).toBeLessThan(1000);
    expect(edges[loudest + 2] as number).toBeGreaterThan(1000);
  });

  it("reflects a wave shorter than half a window again at each end instead of failing", () => {
    const short = Float32Array.from([0.1, -0.2, 0.3, 0.05]);
    const { values, frames } = logMelSpectrogram(short, BYOL_A_FEATURES);
    expect(frames).toBe(1);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(() => logMelSpectrogram(new Float32Array(0), BYOL_A_FEATURES)).toThrow("no samples");
  });
});

describe("mel filterbank", () => {
  it.each([
    ["htk", null],
    ["slaney", "slaney"],
    ["htk", "slaney"],
    ["slaney", null],
  ] as const)("matches torchaudio's melscale_fbanks (scale %s, norm %s)", (scale, norm) => {
    const reference = golden(`fbank_${scale}_${norm ?? "none"}`);
    const fb = melFilterbank({ sampleRate: 8000, nFft: 256, mels: 16, fMin: 20, fMax: 3900, scale, norm });
    expect(fb.length).toBe(129 * 16);
    const peak = Math.max(...reference);
    expect(maxAbsDiff(fb, reference) / peak).toBeLessThan(1e-5);
  });

  it("converts Hz to mel and back on both scales", () => {
    for (const scale of ["htk", "slaney"] as const) {
      for (const hz of [0, 60, 700, 999, 1000, 4321, 7800]) expect(melToHz(hzToMel(hz, scale), scale)).toBeCloseTo(hz, 8);
    }
    expect(hzToMel(1000, "slaney")).toBeCloseTo(15, 12);
    expect(hzToMel(700, "htk")).toBeCloseTo(2595 * Math.log10(2), 10);
  });
});

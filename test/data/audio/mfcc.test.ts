import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { computeDeltas, dctMatrix, mfccFromLogMel, mfccWithDeltas } from "../../../src/data/audio/mfcc.js";

interface Clip {
  readonly frames: number;
  readonly dynamicRangeDb: number;
  readonly logmel: number[];
  readonly mfcc13: number[];
  readonly mfcc20: number[];
  readonly mfcc13NoTopDb: number[];
  readonly mfcc13Lifter22: number[];
  readonly deltas13: number[];
  readonly deltaDeltas13: number[];
  readonly mfcc13FromWave: number[];
}

/** Written by test/fixtures/audio/mfcc/torchaudio_mfcc.py (torch 1.13, torchaudio 0.13.1). */
const fixture = JSON.parse(readFileSync(new URL("../../fixtures/audio/mfcc/torchaudio-mfcc.json", import.meta.url), "utf8")) as {
  mels: number;
  clips: Record<"loud" | "quiet", Clip>;
};
const M = fixture.mels;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe.each(["loud", "quiet"] as const)("MFCC of the %s fixture clip against torchaudio", (name) => {
  const clip = fixture.clips[name];
  const logMel = Float32Array.from(clip.logmel);
  const T = clip.frames;

  // measured: ≤ 5e-6 (≤ 5e-5 with the lifter, whose c1 reaches ~6,000), the fixture's 8 digits
  it("13 and 20 coefficients, with and without top_db, match transforms.MFCC's steps to 1e-3", () => {
    expect(maxAbsDiff(mfccFromLogMel(logMel, M, T), clip.mfcc13)).toBeLessThan(1e-3);
    expect(maxAbsDiff(mfccFromLogMel(logMel, M, T, { coefficients: 20 }), clip.mfcc20)).toBeLessThan(1e-3);
    expect(maxAbsDiff(mfccFromLogMel(logMel, M, T, { topDb: null }), clip.mfcc13NoTopDb)).toBeLessThan(1e-3);
  });

  it("liftering matches librosa's formula, deltas match compute_deltas", () => {
    expect(maxAbsDiff(mfccFromLogMel(logMel, M, T, { lifter: 22 }), clip.mfcc13Lifter22)).toBeLessThan(1e-3);
    const mfcc = mfccFromLogMel(logMel, M, T);
    const deltas = computeDeltas(mfcc, 13, T);
    expect(maxAbsDiff(deltas, clip.deltas13)).toBeLessThan(1e-3);
    expect(maxAbsDiff(computeDeltas(deltas, 13, T), clip.deltaDeltas13)).toBeLessThan(1e-3);
    const stacked = mfccWithDeltas(logMel, M, T, 2);
    expect(maxAbsDiff(stacked, [...clip.mfcc13, ...clip.deltas13, ...clip.deltaDeltas13])).toBeLessThan(1e-3);
  });
});

describe("the epsilon caveat", () => {
  it("the quiet clip, where top_db clamps nothing, differs from MFCC on the waveform by the floor ε", () => {
    const clip = fixture.clips.quiet;
    // 61.8 dB of range: the ε floor (−69.2 dB) against torchaudio's amin (−100 dB) moves the silent bands
    expect(clip.dynamicRangeDb).toBeLessThan(80);
    expect(maxAbsDiff(mfccFromLogMel(Float32Array.from(clip.logmel), M, clip.frames), clip.mfcc13FromWave)).toBeGreaterThan(100); // measured: 135
  });

  it("the loud clip, whose top_db floor is far above ε, agrees with MFCC on the waveform", () => {
    const clip = fixture.clips.loud;
    expect(clip.dynamicRangeDb).toBeGreaterThan(80);
    expect(maxAbsDiff(mfccFromLogMel(Float32Array.from(clip.logmel), M, clip.frames), clip.mfcc13FromWave)).toBeLessThan(0.05); // measured: 0.044
  });
});

describe("mfcc properties and errors", () => {
  it("the ortho DCT-II has orthonormal rows", () => {
    const d = dctMatrix(64, 64);
    for (const [i, j] of [[0, 0], [1, 1], [0, 1], [5, 63], [63, 63]] as const) {
      let s = 0;
      for (let m = 0; m < 64; m++) s += (d[i * 64 + m] as number) * (d[j * 64 + m] as number);
      expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
    }
  });

  it("a spectrum flat over mel bands has only c0", () => {
    const flat = new Float32Array(8 * 3).fill(Math.log(10)); // 10 dB in every bin
    const c = mfccFromLogMel(flat, 8, 3, { coefficients: 4 });
    expect(c[0]).toBeCloseTo(10 * Math.sqrt(8), 4);
    for (let i = 3; i < c.length; i++) expect(Math.abs(c[i] as number)).toBeLessThan(1e-5);
  });

  it("deltas of a ramp are its slope, replicate edges halve them at the ends", () => {
    const ramp = Float32Array.from({ length: 10 }, (_, t) => 3 * t);
    const d = computeDeltas(ramp, 1, 10);
    for (let t = 2; t < 8; t++) expect(d[t]).toBeCloseTo(3, 5);
    expect(d[0]).toBeCloseTo((1 * 3 + 2 * 6) / 10, 5);
  });

  it("bad input is a one-line error naming the function and the place", () => {
    expect(() => mfccFromLogMel(new Float32Array(10), 4, 3)).toThrow(/^mfccFromLogMel: 10 values are not \[4, 3\]/);
    const nan = new Float32Array(12);
    nan[7] = Number.NaN;
    expect(() => mfccFromLogMel(nan, 4, 3, { coefficients: 2 })).toThrow("mfccFromLogMel: log-mel value at (mel 2, frame 1) is NaN");
    expect(() => mfccFromLogMel(new Float32Array(12), 4, 3, { coefficients: 5 })).toThrow(/^mfccFromLogMel: coefficients must be an integer in \[1, 4\]/);
    expect(() => computeDeltas(new Float32Array(4), 1, 4, 2)).toThrow(/winLength must be an integer ≥ 3/);
  });
});

import { afterAll, describe, expect, it } from "vitest";
import { mfccWithDeltas } from "../../src/data/audio/mfcc.js";
import { releaseLinearProbes } from "../../src/eval/index.js";
import { linearProbe } from "../../src/eval/linear-probe.js";
import { dtwBaseline, mfccDim, mfccFrameDim, mfccSequences, mfccStatistics } from "../../src/eval/mfcc-baseline.js";
import { Rng } from "../../src/random/rng.js";

const M = 16;
const T = 20;

/**
 * Clips whose log-mel falls or rises across the bands (class 0: −2 nepers from the lowest band to
 * the highest, class 1: +2), at a random loudness, with per-bin noise of half the tilt.
 */
function tiltedClips(count: number, seed: number): { logMels: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const logMels = new Float32Array(count * M * T);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    const tilt = label === 0 ? -2 : 2;
    const gain = rng.uniformIn(-3, 3);
    for (let m = 0; m < M; m++) for (let t = 0; t < T; t++) logMels[(i * M + m) * T + t] = gain + (tilt * m) / (M - 1) + rng.normal();
    labels[i] = label;
  }
  return { logMels, labels };
}

afterAll(releaseLinearProbes);

describe("mfccStatistics", () => {
  it("is the mean then the standard deviation over frames of every MFCC and delta row", () => {
    const { logMels } = tiltedClips(3, 1);
    const options = { coefficients: 6, deltas: 1 } as const;
    const stats = mfccStatistics(logMels, 3, M, T, options);
    const rows = mfccFrameDim(options);
    expect(rows).toBe(12);
    expect(mfccDim(options)).toBe(24);
    expect(mfccDim()).toBe(78); // 13 MFCCs, Δ, ΔΔ: mean and std each
    expect(stats.length).toBe(3 * 24);
    const clip = mfccWithDeltas(logMels.subarray(2 * M * T, 3 * M * T), M, T, 1, options);
    for (const r of [0, 5, 11]) {
      const row = Array.from(clip.subarray(r * T, (r + 1) * T));
      const mean = row.reduce((a, b) => a + b, 0) / T;
      const std = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / T);
      expect(stats[2 * 24 + r]).toBeCloseTo(mean, 4);
      expect(stats[2 * 24 + 12 + r]).toBeCloseTo(std, 4);
    }
  });

  it("with the linear probe, separates two classes of spectral tilt", async () => {
    // 120 clips: with 40 the probe's 78 standardized features fit the noise (92.5% on test)
    const train = tiltedClips(120, 2);
    const test = tiltedClips(40, 3);
    const dim = mfccDim();
    const probe = await linearProbe(
      { features: mfccStatistics(train.logMels, 120, M, T), labels: train.labels },
      { features: mfccStatistics(test.logMels, 40, M, T), labels: test.labels },
      dim,
      2,
      { steps: 200 },
    );
    expect(probe.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("bad input is one line naming the clip", () => {
    expect(() => mfccStatistics(new Float32Array(10), 2, M, T)).toThrow(`mfccStatistics: 10 values are not 2 clips of [${M}, ${T}] (640)`);
    const bad = new Float32Array(2 * M * T);
    bad[M * T + 3] = Number.NaN;
    expect(() => mfccStatistics(bad, 2, M, T)).toThrow("mfccStatistics: clip 1: mfccFromLogMel: log-mel value at (mel 0, frame 3) is NaN");
  });
});

/**
 * Clips of a bright band of mels sweeping up (class 0) or down (class 1) at a random rate and
 * loudness, with noise: the class is in how the spectrum moves, which CMVN keeps.
 */
function sweepClips(count: number, seed: number): { logMels: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const logMels = new Float32Array(count * M * T);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    const gain = rng.uniformIn(-3, 3);
    const rate = rng.uniformIn(0.6, 1.4);
    for (let t = 0; t < T; t++) {
      const u = Math.min(1, (rate * t) / (T - 1));
      const centre = 2 + 11 * (label === 0 ? u : 1 - u);
      for (let m = 0; m < M; m++) logMels[(i * M + m) * T + t] = gain - ((m - centre) / 3) ** 2 + 0.5 * rng.normal();
    }
    labels[i] = label;
  }
  return { logMels, labels };
}

describe("dtwBaseline", () => {
  it("matches the label subsets' templates and scores the toy sweep task", async () => {
    const train = sweepClips(12, 4);
    const test = sweepClips(10, 5);
    const options = { coefficients: 8, deltas: 1 } as const;
    const sequences = mfccSequences(train.logMels, 12, M, T, options);
    expect(sequences[0]?.length).toBe(T * 16);
    const result = await dtwBaseline(
      { sequences, labels: train.labels },
      { sequences: mfccSequences(test.logMels, 10, M, T, options), labels: test.labels },
      mfccFrameDim(options),
      2,
      { perClass: [1, 3], draws: 2, dtw: { threads: 1 } },
    );
    expect(result.perClass.map((p) => p.perClass)).toEqual([1, 3]);
    expect(result.perClass.map((p) => p.accuracy.values.length)).toEqual([2, 2]);
    expect(result.all).toBe(1);
    for (const p of result.perClass) expect(p.accuracy.mean).toBe(1);
  });
});

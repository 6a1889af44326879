import { describe, expect, it } from "vitest";
import {
  BYOL_A_FEATURES,
  checkFeatures,
  clipFrames,
  clipSamples,
  featuresKey,
  fitClip,
  logMelStats,
  loudestWindow,
  normalizeLogMel,
} from "../../../src/data/audio/audio-features.js";

describe("audio features", () => {
  it("BYOL-A's defaults: 16 kHz, 1 s, 64 x 101", () => {
    expect(clipSamples(BYOL_A_FEATURES)).toBe(16000);
    expect(clipFrames(BYOL_A_FEATURES)).toBe(101);
    expect(BYOL_A_FEATURES.melScale).toBe("htk");
    expect(clipFrames({ ...BYOL_A_FEATURES, clipSeconds: 0.96 })).toBe(97);
  });

  it("fits a longer wave to its loudest window and pads a shorter one on both sides", () => {
    const features = { ...BYOL_A_FEATURES, sampleRate: 10, clipSeconds: 1 }; // 10-sample clips
    const long = new Float32Array(40);
    for (let i = 23; i < 30; i++) long[i] = 1; // a burst of 7 samples at 23..29
    long[5] = 0.9;
    const start = loudestWindow(long, 10);
    expect(start).toBe(20); // the earliest window holding the whole burst
    const fitted = fitClip(long, features);
    expect(Array.from(fitted)).toEqual(Array.from(long.subarray(20, 30)));

    const short = Float32Array.from([1, 2, 3]);
    expect(Array.from(fitClip(short, features))).toEqual([0, 0, 0, 1, 2, 3, 0, 0, 0, 0]);
    const exact = new Float32Array(10);
    expect(fitClip(exact, features)).toBe(exact);
  });

  it("keys features stably, and differently for any change", () => {
    const key = featuresKey(BYOL_A_FEATURES);
    expect(key).toBe("logmel-v1_sr16000_nfft1024_win1024_hop160_mels64_f60-7800_htk_eps1.1920929e-7_clip1");
    expect(featuresKey({ ...BYOL_A_FEATURES })).toBe(key);
    const changes = [{ mels: 80 }, { hopLength: 320 }, { melScale: "slaney" as const }, { fMax: 8000 }, { clipSeconds: 2 }, { logEpsilon: 1e-6 }];
    const keys = new Set(changes.map((c) => featuresKey({ ...BYOL_A_FEATURES, ...c })));
    expect(keys.size).toBe(changes.length);
    expect(keys.has(key)).toBe(false);
  });

  it("refuses features it cannot compute, naming the field", () => {
    expect(() => checkFeatures({ ...BYOL_A_FEATURES, nFft: 1000 })).toThrow("nFft must be a power of two");
    expect(() => checkFeatures({ ...BYOL_A_FEATURES, winLength: 2048 })).toThrow("winLength");
    expect(() => checkFeatures({ ...BYOL_A_FEATURES, fMax: 9000 })).toThrow("fMax ≤ sampleRate / 2 = 8000");
  });

  it("normalizes by one dataset mean and std", () => {
    const a = Float32Array.from([1, 2, 3]);
    const b = Float32Array.from([4, 5]);
    const stats = logMelStats([a, b]);
    expect(stats.mean).toBeCloseTo(3, 12);
    expect(stats.std).toBeCloseTo(Math.sqrt(2), 12);
    const z = normalizeLogMel(Float32Array.from([1, 2, 3, 4, 5]), stats);
    expect(logMelStats(z).mean).toBeCloseTo(0, 6);
    expect(logMelStats(z).std).toBeCloseTo(1, 6);
    normalizeLogMel(a, stats, a);
    expect(a[0]).toBeCloseTo(-2 / Math.sqrt(2), 6);
    expect(Array.from(normalizeLogMel(Float32Array.from([7, 7]), { mean: 7, std: 0 }))).toEqual([0, 0]);
    expect(() => normalizeLogMel(a, { mean: Number.NaN, std: 1 })).toThrow("finite mean");
  });
});

import libsamplerate from "@alexanderolsen/libsamplerate-js";
import { describe, expect, it } from "vitest";
import { Resampler, resample } from "../../../src/data/audio/resample.js";

function tone(seconds: number, rate: number, hz: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
}

/** RMS level in dB relative to a sine of `amplitude`, over the middle 80% (away from the edges' transients). */
function levelDb(y: Float32Array, amplitude = 0.5): number {
  const start = Math.floor(y.length * 0.1);
  const end = Math.floor(y.length * 0.9);
  let sum = 0;
  for (let i = start; i < end; i++) sum += (y[i] as number) ** 2;
  return 20 * Math.log10(Math.sqrt(sum / (end - start)) / (amplitude / Math.SQRT2));
}

describe("resampling", () => {
  it("44.1 kHz → 16 kHz: a 9 kHz tone (above the new Nyquist) ≤ −60 dB, 1 kHz and 7 kHz within 0.1 dB", () => {
    expect(levelDb(resample(tone(0.5, 44100, 9000), 44100, 16000))).toBeLessThan(-60);
    expect(Math.abs(levelDb(resample(tone(0.5, 44100, 1000), 44100, 16000)))).toBeLessThan(0.1);
    expect(Math.abs(levelDb(resample(tone(0.5, 44100, 7000), 44100, 16000)))).toBeLessThan(0.1);
  });

  it("22.05 kHz and 48 kHz → 16 kHz reject 8.5 kHz; 8 kHz → 16 kHz keeps 1 kHz and makes no image at 7 kHz", () => {
    for (const rate of [22050, 48000]) {
      expect(levelDb(resample(tone(0.5, rate, 8500), rate, 16000))).toBeLessThan(-60);
      expect(Math.abs(levelDb(resample(tone(0.5, rate, 3000), rate, 16000)))).toBeLessThan(0.1);
    }
    const up = resample(tone(0.5, 8000, 1000), 8000, 16000);
    expect(Math.abs(levelDb(up))).toBeLessThan(0.1);
    // what is left after removing the 1 kHz tone (least squares on sin and cos) is the image
    const n = up.length;
    let c = 0;
    let s = 0;
    for (let i = 0; i < n; i++) {
      c += (up[i] as number) * Math.cos((2 * Math.PI * 1000 * i) / 16000);
      s += (up[i] as number) * Math.sin((2 * Math.PI * 1000 * i) / 16000);
    }
    const residual = up.map((v, i) => v - (2 / n) * (c * Math.cos((2 * Math.PI * 1000 * i) / 16000) + s * Math.sin((2 * Math.PI * 1000 * i) / 16000)));
    expect(levelDb(residual)).toBeLessThan(-60);
  });

  it("has round(n · to / from) samples, keeps a constant constant and copies an equal rate", () => {
    for (const [from, to] of [
      [44100, 16000],
      [22050, 16000],
      [8000, 16000],
      [11025, 16000],
      [16001, 16000],
      [96000, 16000],
    ] as const) {
      for (const n of [1, 2, 99, 1000, 4410]) expect(resample(new Float32Array(n), from, to).length).toBe(Math.round((n * to) / from));
      const constant = resample(new Float32Array(4000).fill(0.25), from, to);
      const middle = constant.subarray(Math.floor(constant.length * 0.3), Math.floor(constant.length * 0.7));
      for (const v of middle) expect(v).toBeCloseTo(0.25, 6);
    }
    const x = tone(0.01, 16000, 440);
    const same = resample(x, 16000, 16000);
    expect(same).toEqual(x);
    expect(same).not.toBe(x);
  });

  it("interpolates its taps for ratios with many phases (16001 Hz) with the same passband", () => {
    expect(Math.abs(levelDb(resample(tone(0.5, 16001, 1000), 16001, 16000)))).toBeLessThan(0.1);
    expect(Math.abs(levelDb(resample(tone(0.5, 44056, 6000), 44056, 16000)))).toBeLessThan(0.1);
    expect(levelDb(resample(tone(0.5, 44056, 9000), 44056, 16000))).toBeLessThan(-60);
  });

  it("agrees with libsamplerate's SRC_SINC_BEST_QUALITY to −80 dB on tones below 6 kHz", async () => {
    const from = 44100;
    const x = Float32Array.from({ length: from / 2 }, (_, i) => [300, 1234, 2500, 4100, 5900].reduce((sum, hz, k) => sum + 0.15 * Math.sin((2 * Math.PI * hz * i) / from + k), 0));
    const src = await libsamplerate.create(1, from, 16000, { converterType: libsamplerate.ConverterType.SRC_SINC_BEST_QUALITY });
    const reference = src.simple(x);
    src.destroy();
    const ours = resample(x, from, 16000);
    let error = 0;
    let power = 0;
    for (let i = 1000; i < 7000; i++) {
      error += ((reference[i] as number) - (ours[i] as number)) ** 2;
      power += (ours[i] as number) ** 2;
    }
    // measured −105 dB
    expect(10 * Math.log10(error / power)).toBeLessThan(-80);
  });

  it("refuses rates that are not positive integers", () => {
    expect(() => new Resampler(0, 16000)).toThrow("fromRate must be a positive integer");
    expect(() => resample(new Float32Array(4), 44100, 16000.5)).toThrow("toRate must be a positive integer");
  });
});

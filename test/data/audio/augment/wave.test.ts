import { describe, expect, it } from "vitest";
import {
  addNoiseAtSnr,
  additiveNoise,
  applyGain,
  augmentWaves,
  changeSpeed,
  power,
  randomApply,
  randomGain,
  randomTimeShift,
  randomWaveCrop,
  shiftWave,
  speedPerturbation,
  waveViews,
  windowWave,
} from "../../../../src/data/audio/augment/index.js";
import { Rng } from "../../../../src/random/rng.js";
import { maxAbsDiff, reference, sine } from "./helpers.js";

const snrOf = (clean: Float32Array, noisy: Float32Array): number => {
  const noise = noisy.map((v, i) => v - (clean[i] as number));
  return 10 * Math.log10(power(clean) / power(noise));
};

describe("waveform crop", () => {
  it("windows a clip: crops inside, zero-pads outside", () => {
    const x = Float32Array.from([1, 2, 3, 4, 5]);
    expect(Array.from(windowWave(x, 3, 1))).toEqual([2, 3, 4]);
    expect(Array.from(windowWave(x, 7, -1))).toEqual([0, 1, 2, 3, 4, 5, 0]);
    expect(Array.from(windowWave(x, 3, 4))).toEqual([5, 0, 0]);
  });

  it("crops a long clip to a contiguous segment and places a short one whole, at every offset", () => {
    const long = Float32Array.from({ length: 20 }, (_, i) => i + 1);
    const crop = randomWaveCrop({ length: 16 });
    const starts = new Set<number>();
    const rng = new Rng(3);
    for (let k = 0; k < 200; k++) {
      const y = crop.apply(long, rng);
      expect(y.length).toBe(16);
      const first = y[0] as number;
      expect(Array.from(y)).toEqual(Array.from({ length: 16 }, (_, i) => first + i));
      starts.add(first - 1);
    }
    expect([...starts].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    const short = Float32Array.from([1, 2, 3]);
    const placed = randomWaveCrop({ length: 5 }).apply(short, new Rng(1));
    expect(placed.length).toBe(5);
    expect(Array.from(placed).filter((v) => v !== 0)).toEqual([1, 2, 3]);
    expect(randomWaveCrop().options).toEqual({ length: 16000 });
  });
});

describe("gain", () => {
  it("scales by exactly 10^(dB/20)", () => {
    const x = sine(1000);
    const y = applyGain(x, 6);
    const factor = 10 ** (6 / 20);
    expect(y).toEqual(Float32Array.from(x, (v) => v * factor));
    expect(applyGain(x, 0)).toEqual(x);
  });

  it("draws one gain per clip within its range", () => {
    const x = sine(1000);
    const rng = new Rng(5);
    for (let k = 0; k < 20; k++) {
      const y = randomGain({ gainDb: [-12, 3] }).apply(x, rng);
      const db = 20 * Math.log10((y[100] as number) / (x[100] as number));
      expect(db).toBeGreaterThanOrEqual(-12 - 1e-4);
      expect(db).toBeLessThanOrEqual(3 + 1e-4);
      expect(maxAbsDiff(y, applyGain(x, db))).toBeLessThan(1e-6);
    }
  });
});

describe("additive noise", () => {
  const clean = sine(4 * 16000, 440, 0.3);

  it("adds white noise at the SNR asked for, measured on a long sine", () => {
    for (const snr of [0, 7.5, 20]) {
      const noisy = addNoiseAtSnr(clean, new Rng(snr).normalArray(clean.length), snr);
      expect(Math.abs(snrOf(clean, noisy) - snr)).toBeLessThan(0.01);
    }
    const fixed = additiveNoise({ snrDb: [12, 12] }).apply(clean, new Rng(1));
    expect(Math.abs(snrOf(clean, fixed) - 12)).toBeLessThan(0.5);
    for (const seed of [1, 2, 3]) {
      const drawnSnr = new Rng(seed).uniformIn(0, 15); // the transform's first draw
      expect(Math.abs(snrOf(clean, additiveNoise().apply(clean, new Rng(seed))) - drawnSnr)).toBeLessThan(0.5);
    }
  });

  it("draws the SNR from its range, and uses a given noise clip looped from a random offset", () => {
    const rng = new Rng(2);
    const seen: number[] = [];
    for (let k = 0; k < 10; k++) seen.push(snrOf(clean, additiveNoise().apply(clean, rng)));
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...seen)).toBeLessThanOrEqual(15.5);
    expect(Math.max(...seen) - Math.min(...seen)).toBeGreaterThan(3);
    const hum = sine(1000, 50, 1);
    const noisy = additiveNoise({ snrDb: [6, 6], noises: [hum] }).apply(clean, new Rng(4));
    expect(Math.abs(snrOf(clean, noisy) - 6)).toBeLessThan(0.01);
    const residual = noisy.map((v, i) => v - (clean[i] as number));
    // the residual is the 50 Hz hum scaled, looped every 1000 samples
    expect(maxAbsDiff(residual.subarray(0, 1000), residual.subarray(1000, 2000))).toBeLessThan(1e-6);
  });

  it("leaves silence silent", () => {
    expect(addNoiseAtSnr(new Float32Array(10), new Rng(1).normalArray(10), 10)).toEqual(new Float32Array(10));
  });
});

describe("time shift", () => {
  it("rolls or zero-fills", () => {
    const x = Float32Array.from([1, 2, 3, 4, 5]);
    expect(Array.from(shiftWave(x, 2, "circular"))).toEqual([4, 5, 1, 2, 3]);
    expect(Array.from(shiftWave(x, -1, "circular"))).toEqual([2, 3, 4, 5, 1]);
    expect(Array.from(shiftWave(x, 2, "zero"))).toEqual([0, 0, 1, 2, 3]);
    expect(Array.from(shiftWave(x, -2, "zero"))).toEqual([3, 4, 5, 0, 0]);
  });

  it("shifts by at most the maximum, keeping the length", () => {
    const impulse = new Float32Array(8000);
    impulse[4000] = 1;
    const shift = randomTimeShift({ maxShiftSeconds: 0.05 });
    const rng = new Rng(9);
    const shifts = new Set<number>();
    for (let k = 0; k < 50; k++) {
      const y = shift.apply(impulse, rng);
      expect(y.length).toBe(8000);
      const d = y.indexOf(1) - 4000;
      expect(Math.abs(d)).toBeLessThanOrEqual(800);
      shifts.add(d);
    }
    expect(shifts.size).toBeGreaterThan(40);
  });
});

describe("speed perturbation", () => {
  it("changes the length by the factor, and the pitch with it", () => {
    const x = sine(16000, 1000);
    for (const factor of [0.9, 1.1, 1.05]) {
      for (const mode of ["sinc", "linear"] as const) {
        const y = changeSpeed(x, factor, mode);
        expect(y.length).toBe(Math.ceil(16000 / factor));
      }
    }
    // a 1 kHz tone played 1.1 times as fast is a 1.1 kHz tone: count upward zero crossings in the middle
    const y = changeSpeed(x, 1.1);
    let crossings = 0;
    for (let i = 1000; i < 13000; i++) if ((y[i - 1] as number) < 0 && (y[i] as number) >= 0) crossings++;
    expect(crossings / (12000 / 16000)).toBeCloseTo(1100, -1);
  });

  it("equals torchaudio's sinc resampling when the factor is a ratio of rates", () => {
    const input = Float32Array.from(reference("speed_input"));
    expect(maxAbsDiff(changeSpeed(input, 11 / 10), reference("speed_11_10"))).toBeLessThan(1e-5);
    expect(maxAbsDiff(changeSpeed(input, 9 / 10), reference("speed_9_10"))).toBeLessThan(1e-5);
    expect(changeSpeed(input, 1)).toEqual(input);
  });

  it("draws a factor from the range or the choices", () => {
    const x = sine(16000);
    const rng = new Rng(1);
    for (let k = 0; k < 10; k++) {
      const ratio = 16000 / speedPerturbation().apply(x, rng).length;
      expect(ratio).toBeGreaterThan(0.9 - 1e-3);
      expect(ratio).toBeLessThan(1.1 + 1e-3);
    }
    const lengths = new Set<number>();
    for (let k = 0; k < 30; k++) lengths.add(speedPerturbation({ factorChoices: [0.9, 1, 1.1] }).apply(x, rng).length);
    expect([...lengths].sort((a, b) => a - b)).toEqual([14546, 16000, 17778]);
  });
});

describe("waveform pipelines", () => {
  const pipeline = [speedPerturbation(), randomWaveCrop({ length: 8000 }), randomGain(), additiveNoise(), randomApply(randomTimeShift(), 0.5)];
  const waves = [sine(9000, 300), sine(12000, 500), sine(7000, 700), sine(16000, 900)];

  it("replays from the seed, differs across seeds, and leaves the clips alone", () => {
    const before = waves.map((w) => w.slice());
    const a = augmentWaves(waves, pipeline, new Rng(1));
    expect(augmentWaves(waves, pipeline, new Rng(1))).toEqual(a);
    const b = augmentWaves(waves, pipeline, new Rng(2));
    a.forEach((w, k) => {
      expect(w.length).toBe(8000);
      expect(maxAbsDiff(w, b[k] as Float32Array)).toBeGreaterThan(0.01);
    });
    expect(waves).toEqual(before);
  });

  it("draws per clip in order: a clip's result does not depend on the clips after it", () => {
    const all = augmentWaves(waves, pipeline, new Rng(7));
    const firstTwo = augmentWaves(waves.slice(0, 2), pipeline, new Rng(7));
    expect(firstTwo).toEqual(all.slice(0, 2));
    const views = waveViews(waves, [pipeline, [randomGain()]], new Rng(3));
    expect(views).toHaveLength(2);
    expect(views[0]).toHaveLength(4);
    expect(waveViews(waves.slice(0, 3), [pipeline, [randomGain()]], new Rng(3))[1]).toEqual((views[1] as Float32Array[]).slice(0, 3));
  });
});

import { describe, expect, it } from "vitest";
import { cmvn, dtwDistance, dtwNearestNeighbour, frameMajor } from "../../src/eval/dtw.js";
import { Rng } from "../../src/random/rng.js";

type Kind = "euclidean" | "cosine";

/** DTW written out plainly: the full (n+1)×(m+1) matrix, an optional band mask on the longer axis. */
function bruteForceDtw(a: Float32Array, b: Float32Array, dim: number, kind: Kind, band = Number.POSITIVE_INFINITY): number {
  const [x, y] = a.length >= b.length ? [a, b] : [b, a];
  const n = x.length / dim;
  const m = y.length / dim;
  const local = (i: number, j: number): number => {
    const p = Array.from({ length: dim }, (_, k) => x[i * dim + k] as number);
    const q = Array.from({ length: dim }, (_, k) => y[j * dim + k] as number);
    if (kind === "euclidean") return Math.sqrt(p.reduce((s, v, k) => s + (v - (q[k] as number)) ** 2, 0));
    const np = Math.hypot(...p);
    const nq = Math.hypot(...q);
    if (np === 0 || nq === 0) return np === nq ? 0 : 1;
    return Math.max(0, 1 - p.reduce((s, v, k) => s + (v / np) * ((q[k] as number) / nq), 0));
  };
  const radius = Math.max(1, band * n);
  const slope = n > 1 ? (m - 1) / (n - 1) : 0;
  const cost = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(Number.POSITIVE_INFINITY));
  const len = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  (cost[0] as number[])[0] = 0;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      if (Math.abs(j - 1 - (i - 1) * slope) > radius) continue;
      const options = [
        [cost[i - 1]?.[j - 1], len[i - 1]?.[j - 1]],
        [cost[i - 1]?.[j], len[i - 1]?.[j]],
        [cost[i]?.[j - 1], len[i]?.[j - 1]],
      ] as [number, number][];
      options.sort((u, v) => u[0] - v[0] || u[1] - v[1]);
      const [c, l] = options[0] as [number, number];
      (cost[i] as number[])[j] = c + local(i - 1, j - 1);
      (len[i] as number[])[j] = l + 1;
    }
  }
  return (cost[n]?.[m] as number) / (len[n]?.[m] as number);
}

function randomSequence(rng: Rng, frames: number, dim: number): Float32Array {
  return Float32Array.from({ length: frames * dim }, () => rng.normal());
}

/** A smooth sequence: per coefficient a random sum of two slow sinusoids over [0, 1]. */
function smoothShape(rng: Rng, dim: number): (u: number) => number[] {
  const terms = Array.from({ length: dim }, () => [rng.uniformIn(0.5, 3), rng.uniformIn(0, 6.3), rng.uniformIn(1, 4), rng.uniformIn(0, 6.3)] as const);
  return (u) => terms.map(([f1, p1, f2, p2]) => Math.sin(2 * Math.PI * f1 * u + p1) + 0.5 * Math.sin(2 * Math.PI * f2 * u + p2));
}

function sample(shape: (u: number) => number[], frames: number, dim: number, noise = 0, rng?: Rng): Float32Array {
  const out = new Float32Array(frames * dim);
  for (let t = 0; t < frames; t++) shape(t / (frames - 1)).forEach((v, k) => (out[t * dim + k] = v + (rng === undefined ? 0 : noise * rng.normal())));
  return out;
}

describe("dtwDistance", () => {
  it("is 0 between a sequence and itself", () => {
    const a = randomSequence(new Rng(1), 30, 13);
    expect(dtwDistance(a, a, 13)).toBe(0);
    // cosine frames are unit vectors in float32: a·a is 1 to ~1e-8
    expect(dtwDistance(a, a, 13, { distance: "cosine" })).toBeCloseTo(0, 7);
  });

  it("a time-stretched copy is closer than another sequence", () => {
    const rng = new Rng(2);
    const word = smoothShape(rng, 13);
    const other = smoothShape(rng, 13);
    const a = sample(word, 60, 13);
    for (const kind of ["euclidean", "cosine"] as const) {
      const stretched = dtwDistance(a, sample(word, 84, 13), 13, { distance: kind });
      const different = dtwDistance(a, sample(other, 60, 13), 13, { distance: kind });
      expect(stretched).toBeLessThan(different / 5);
    }
  });

  it("agrees with the brute-force recurrence when the band is ≥ 1", () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 40; trial++) {
      const dim = 1 + rng.int(4);
      const a = randomSequence(rng, 1 + rng.int(12), dim);
      const b = randomSequence(rng, 1 + rng.int(12), dim);
      if (trial % 5 === 0) a.fill(0, 0, dim); // a zero frame, for the cosine case
      for (const kind of ["euclidean", "cosine"] as const) {
        expect(dtwDistance(a, b, dim, { band: 1, distance: kind })).toBeCloseTo(bruteForceDtw(a, b, dim, kind), kind === "cosine" ? 6 : 10);
      }
    }
  });

  it("the band limits the path: equal to the masked brute force, and a far warp costs more", () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 20; trial++) {
      const a = randomSequence(rng, 5 + rng.int(30), 2);
      const b = randomSequence(rng, 5 + rng.int(30), 2);
      for (const band of [0.05, 0.1, 0.3]) expect(dtwDistance(a, b, 2, { band })).toBeCloseTo(bruteForceDtw(a, b, 2, "euclidean", band), 10);
    }
    // one pulse early in a, late in b: only a path far off the diagonal lines the pulses up
    const a = new Float32Array(40);
    const b = new Float32Array(40);
    a.fill(1, 4, 8);
    b.fill(1, 30, 34);
    expect(dtwDistance(a, b, 1, { band: 1 })).toBe(0);
    expect(dtwDistance(a, b, 1, { band: 0.1 })).toBeGreaterThan(0.05);
  });

  it("is symmetric, also with unequal lengths and a band", () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const a = randomSequence(rng, 3 + rng.int(40), 5);
      const b = randomSequence(rng, 3 + rng.int(40), 5);
      for (const distance of ["euclidean", "cosine"] as const) {
        const options = { band: 0.1, distance };
        expect(dtwDistance(a, b, 5, options)).toBe(dtwDistance(b, a, 5, options));
      }
    }
  });

  it("bad input is a one-line error naming the place", () => {
    expect(() => dtwDistance(new Float32Array(10), new Float32Array(9), 3)).toThrow("dtwDistance: a has 10 values, not one or more frames of 3");
    const nan = new Float32Array(6);
    nan[4] = Number.NaN;
    expect(() => dtwDistance(new Float32Array(6), nan, 3)).toThrow("dtwDistance: b has NaN at frame 1, coefficient 1");
    expect(() => dtwDistance(new Float32Array(3), new Float32Array(3), 3, { band: 0 })).toThrow(/band must be a fraction > 0/);
  });
});

describe("dtwNearestNeighbour", () => {
  /** Three "words": smooth shapes spoken at random rates, with an offset (channel) and noise. */
  function toySet(seed: number, perClass: number) {
    const shapes = new Rng(100); // the same three words in every set
    const words = [0, 1, 2].map(() => smoothShape(shapes, 13));
    const rng = new Rng(seed);
    const sequences: Float32Array[] = [];
    const labels: number[] = [];
    for (let i = 0; i < perClass; i++) {
      words.forEach((word, c) => {
        const s = sample(word, 40 + rng.int(40), 13, 0.3, rng);
        const offset = rng.uniformIn(-5, 5);
        for (let j = 0; j < s.length; j += 13) s[j] = (s[j] as number) + offset;
        sequences.push(s);
        labels.push(c);
      });
    }
    return { sequences, labels: Int32Array.from(labels) };
  }
  it("classifies a toy set of stretched, shifted, noisy words, the same with two threads", async () => {
    const train = toySet(1, 3);
    const test = toySet(2, 10);
    const predicted = await dtwNearestNeighbour(train, test.sequences, 13, { threads: 1 });
    expect(Array.from(predicted)).toEqual(Array.from(test.labels));
    const parallel = await dtwNearestNeighbour(train, test.sequences, 13, { threads: 2, distance: "cosine" });
    const serial = await dtwNearestNeighbour(train, test.sequences, 13, { threads: 1, distance: "cosine" });
    expect(Array.from(parallel)).toEqual(Array.from(serial));
  });

  it("CMVN removes a per-utterance offset", () => {
    const a = sample(smoothShape(new Rng(7), 4), 20, 4);
    const shifted = Float32Array.from(a, (v, i) => (i % 4 === 0 ? 2 * v + 10 : v));
    expect(dtwDistance(cmvn(a, 4), cmvn(shifted, 4), 4)).toBeCloseTo(0, 5);
  });

  it("frameMajor transposes coefficient-major MFCCs", () => {
    expect(Array.from(frameMajor(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it("bad input names the sequence", async () => {
    const train = { sequences: [new Float32Array(6)], labels: Int32Array.of(0) };
    await expect(dtwNearestNeighbour(train, [new Float32Array(5)], 3)).rejects.toThrow("dtwNearestNeighbour: test sequence 0 has 5 values, not one or more frames of 3");
    await expect(dtwNearestNeighbour({ ...train, labels: Int32Array.of(0, 1) }, [], 3)).rejects.toThrow("1 train sequences but 2 labels");
  });
});

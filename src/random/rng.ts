/**
 * A seeded, serializable pseudo-random generator (xoshiro128**, seeded through splitmix32).
 * All randomness in pretext — initialization, augmentations, masks, shuffles — is drawn from one
 * of these on the host, so that a run is a pure function of its seed and its state can be
 * checkpointed and restored exactly.
 */
export class Rng {
  #s: Uint32Array;

  constructor(seed: number | readonly number[]) {
    this.#s = new Uint32Array(4);
    if (typeof seed === "number") {
      let x = seed >>> 0;
      for (let i = 0; i < 4; i++) {
        // splitmix32 spreads one seed over the four words of state
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        this.#s[i] = (z ^ (z >>> 16)) >>> 0;
      }
    } else {
      if (seed.length !== 4) throw new Error(`Rng state must have 4 words, got ${seed.length}`);
      this.#s.set(seed);
    }
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
  }

  /** The state, to save in a checkpoint; `new Rng(state)` resumes the same sequence. */
  get state(): number[] {
    return [...this.#s];
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1] as number, 5), 7), 9) >>> 0;
    const t = (s[1] as number) << 9;
    s[2] = (s[2] as number) ^ (s[0] as number);
    s[3] = (s[3] as number) ^ (s[1] as number);
    s[1] = (s[1] as number) ^ (s[2] as number);
    s[0] = (s[0] as number) ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new Error(`Rng.int needs n >= 1, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /**
   * A standard normal sample (Box–Muller). NOTE: the pair's second value is dropped rather than
   * cached, so that `state` alone resumes the sequence exactly; `normalArray` uses both.
   */
  normal(): number {
    return this.#normalPair()[0];
  }

  #normalPair(): [number, number] {
    let u = 0;
    while (u === 0) u = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.uniform();
    return [r * Math.cos(theta), r * Math.sin(theta)];
  }

  /** Fills a new Float32Array with N(mean, std²) samples. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const [a, b] = this.#normalPair();
      out[i] = mean + std * a;
      if (i + 1 < n) out[i + 1] = mean + std * b;
    }
    return out;
  }

  /** Fills a new Float32Array with uniform samples in [low, high). */
  uniformArray(n: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  /** `n` uniform bytes, four from each 32-bit draw (little end first). */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const x = this.nextUint32();
      out[i] = x & 0xff;
      out[i + 1] = (x >>> 8) & 0xff;
      out[i + 2] = (x >>> 16) & 0xff;
      out[i + 3] = x >>> 24;
    }
    if (i < n) {
      let x = this.nextUint32();
      for (; i < n; i++, x >>>= 8) out[i] = x & 0xff;
    }
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    return p;
  }

  /** An independent generator derived from this one (advances this one by one draw). */
  split(): Rng {
    return new Rng(this.nextUint32() ^ 0x5bd1e995);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

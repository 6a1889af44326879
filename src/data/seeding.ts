import { Rng } from "../random/rng.js";

/**
 * An Rng determined by a seed and a path of integer keys, e.g. `deriveRng(seed, SHUFFLE, epoch)`.
 * Any point of a run (an epoch's shuffle, one batch's augmentation) gets its own generator
 * without replaying the draws before it, which is what makes mid-epoch resume and prefetching
 * exact. Different key paths give unrelated streams.
 *
 * Each of the four state words is an independent hash lane (murmur3's fmix32 chained over
 * seed and keys, with a different start constant per lane), so nearby inputs (epoch 3 vs 4)
 * land on unrelated xoshiro states.
 */
export function deriveRng(seed: number, ...keys: readonly number[]): Rng {
  const words = [seed, ...keys];
  for (const w of words) {
    if (!Number.isSafeInteger(w)) throw new Error(`deriveRng needs integer seed and keys, got ${w}`);
  }
  const state: number[] = [];
  for (let lane = 0; lane < 4; lane++) {
    let h = Math.imul(0x9e3779b9, lane + 1) >>> 0;
    for (const w of words) {
      // Both 32-bit halves of the integer, so seeds and epochs beyond 2^32 stay distinct.
      h = fmix32((h ^ (w >>> 0)) + 0x85ebca6b);
      h = fmix32((h ^ (Math.floor(w / 4294967296) >>> 0)) + 0xc2b2ae35);
    }
    state.push(h);
  }
  return new Rng(state);
}

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

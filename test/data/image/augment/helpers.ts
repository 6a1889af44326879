import { Rng } from "../../../../src/random/rng.js";
import type { ImageShape } from "../../../../src/data/image/augment/index.js";

/** A batch of uniform [0, 1) values. */
export function randomBatch(shape: ImageShape, seed = 1): Float32Array {
  return new Rng(seed).uniformArray(shape[0] * shape[1] * shape[2] * shape[3]);
}

export function maxAbsDiff(a: Float32Array, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

export function inUnitRange(a: Float32Array): boolean {
  return a.every((v) => v >= 0 && v <= 1);
}

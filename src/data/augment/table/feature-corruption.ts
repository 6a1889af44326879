import type { Rng } from "../../../random/rng.js";

/**
 * Which features of each row are corrupted: exactly `count` of the D features, chosen uniformly
 * without replacement (SCARF, Bahri et al. 2022, §3: "a random subset of the features of size
 * c·M"), or each feature independently with `probability` (VIME, Yoon et al. 2020, §4.1: the mask
 * vector m ~ Bernoulli(p_m)).
 */
export type CorruptionMask = { readonly count: number } | { readonly probability: number };

/**
 * `[N, D]` 0/1 bytes, 1 where a feature is to be replaced, drawn from `rng` row by row.
 */
export function corruptionMask(n: number, d: number, which: CorruptionMask, rng: Rng): Uint8Array {
  const mask = new Uint8Array(n * d);
  if ("count" in which) {
    const { count } = which;
    if (!Number.isInteger(count) || count < 0 || count > d) throw new Error(`corruptionMask: count must be an integer in [0, ${d}], got ${count}`);
    const order = new Int32Array(d);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < d; j++) order[j] = j;
      // partial Fisher–Yates: the first `count` slots are a uniform subset
      for (let j = 0; j < count; j++) {
        const k = j + rng.int(d - j);
        const t = order[j] as number;
        order[j] = order[k] as number;
        order[k] = t;
        mask[r * d + (order[j] as number)] = 1;
      }
    }
    return mask;
  }
  const { probability } = which;
  if (!(probability >= 0 && probability <= 1)) throw new Error(`corruptionMask: probability must be in [0, 1], got ${probability}`);
  for (let i = 0; i < n * d; i++) mask[i] = rng.uniform() < probability ? 1 : 0;
  return mask;
}

/** How many of D features SCARF corrupts at `rate`: round(rate · D), at least 1 when the rate is positive. */
export function corruptedCount(rate: number, d: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`corruption rate must be in [0, 1], got ${rate}`);
  return rate === 0 ? 0 : Math.min(d, Math.max(1, Math.round(rate * d)));
}

/**
 * Replaces the masked features of each row with draws from each feature's empirical marginal:
 * feature j of row r becomes feature j of a donor row drawn uniformly, independently per feature
 * (SCARF's x̃ and VIME's x̄ column draws). The donors are the other rows of `rows` (a batch): a
 * loader's batch is a uniform sample of the training set, so a random other row of it is a draw
 * from the training marginal, and every step's views stay a function of its batch and generator
 * (no copy of the whole set inside the method, nothing outside the checkpoint).
 *
 * @param rows `[N, D]` row-major, N ≥ 2
 * @param mask `[N, D]` from `corruptionMask`
 * @returns the corrupted `[N, D]` rows, and `[N, D]` 0/1 floats where the value actually changed (a donor may hold the same value: VIME's target is the change, `1 * (x != x̃)`)
 */
export function marginalCorruption(rows: Float32Array, n: number, d: number, mask: Uint8Array, rng: Rng): { corrupted: Float32Array; changed: Float32Array } {
  if (rows.length !== n * d || mask.length !== n * d) throw new Error(`marginalCorruption: rows and mask must hold ${n} × ${d} values, got ${rows.length} and ${mask.length}`);
  if (n < 2) throw new Error("marginalCorruption: the batch needs at least 2 rows to draw donors from");
  const corrupted = Float32Array.from(rows);
  const changed = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      const i = r * d + j;
      if (mask[i] === 0) continue;
      let donor = rng.int(n - 1);
      if (donor >= r) donor++; // another row
      const v = rows[donor * d + j] as number;
      corrupted[i] = v;
      changed[i] = v === rows[i] ? 0 : 1;
    }
  }
  return { corrupted, changed };
}

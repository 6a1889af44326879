import { Rng } from "../random/rng.js";

export interface StratifiedSplitOptions {
  /** Number of examples in the test part (exactly). */
  testSize: number;
  seed?: number;
}

/** Indices of the two parts of a split, each sorted ascending. */
export interface SplitIndices {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/**
 * A seeded split that keeps class proportions: class c gets round(n_c · testSize / N) test
 * examples, rounded by largest remainder so the counts sum to exactly `testSize` (each within
 * 1 of its proportional share). Ties in the remainder go to the larger class, then the lower
 * class id — deterministic, where scikit-learn's `train_test_split(stratify=...)` breaks them at
 * random. Within each class, `Rng(seed).permutation(n_c)` picks the test members, classes in
 * ascending order from one generator.
 *
 * @param labels `[N]` class ids ≥ 0.
 */
export function stratifiedSplitIndices(labels: Int32Array, options: StratifiedSplitOptions): SplitIndices {
  const { testSize, seed = 0 } = options;
  const n = labels.length;
  if (!Number.isInteger(testSize) || testSize < 0 || testSize > n) {
    throw new Error(`stratifiedSplitIndices: testSize must be an integer in [0, ${n}], got ${testSize}`);
  }
  const members: number[][] = [];
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    if (!Number.isInteger(y) || y < 0) throw new Error(`stratifiedSplitIndices: label ${y} at index ${i} is not a class id`);
    while (members.length <= y) members.push([]);
    (members[y] as number[]).push(i);
  }

  // Exact integer arithmetic: share_c = n_c·testSize / N = quota_c + remainder_c / N.
  const quotas = members.map((m) => Math.floor((m.length * testSize) / n));
  const remainders = members.map((m) => (m.length * testSize) % n);
  let left = testSize - quotas.reduce((a, b) => a + b, 0);
  const order = members
    .map((_, c) => c)
    .sort((a, b) => (remainders[b] as number) - (remainders[a] as number) || (members[b] as number[]).length - (members[a] as number[]).length || a - b);
  for (const c of order) {
    if (left === 0) break;
    if ((remainders[c] as number) === 0) continue;
    quotas[c] = (quotas[c] as number) + 1;
    left--;
  }

  const rng = new Rng(seed);
  const isTest = new Uint8Array(n);
  members.forEach((m, c) => {
    if (m.length === 0) return;
    const perm = rng.permutation(m.length);
    for (let k = 0; k < (quotas[c] as number); k++) isTest[m[perm[k] as number] as number] = 1;
  });
  const train = new Int32Array(n - testSize);
  const test = new Int32Array(testSize);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (isTest[i] === 1) test[b++] = i;
    else train[a++] = i;
  }
  return { train, test };
}

import { PAIR_BASE } from "./bpe-training.js";

/** 2^31: heap keys are mergedId · POSITION_BASE + position, exact while ids stay below 2^22. */
const POSITION_BASE = 2 ** 31;

/**
 * Applies learned merges to one word by rank, the result of GPT-2's `bpe()` loop: repeatedly
 * merge the lowest-ranked adjacent pair, occurrences left to right.
 *
 * Merge k made token `firstMergeId + k`, so a pair's rank is its merged id's order. Instead of
 * rescanning the word for each merge (quadratic in the word's length, which hurts on a long run
 * of spaces or a line of base64), candidate pairs wait in a min-heap keyed by (merged id,
 * position) over a linked list of symbols.
 * NOTE: this equals GPT-2's loop because every merge's parts are older than the merge: merging
 * pair k only creates pairs of rank > k, so all occurrences of k, leftmost first, are merged
 * before any later rank, exactly GPT-2's left-to-right pass ("aaa" → "aa" + "a").
 */
export class BpeWordEncoder {
  readonly #merged: ReadonlyMap<number, number>;
  readonly #left: Int32Array;
  readonly #right: Int32Array;
  readonly #firstMergeId: number;
  #next = new Int32Array(64);
  #prev = new Int32Array(64);
  readonly #heap: number[] = [];

  /** @param left `[merges]` left part of each merge; @param right `[merges]` right part. */
  constructor(left: Int32Array, right: Int32Array, firstMergeId: number) {
    this.#left = left;
    this.#right = right;
    this.#firstMergeId = firstMergeId;
    const merged = new Map<number, number>();
    for (let k = 0; k < left.length; k++) merged.set((left[k] as number) * PAIR_BASE + (right[k] as number), firstMergeId + k);
    this.#merged = merged;
  }

  /** Merges `symbols[0 … n)` in place and returns how many symbols remain. */
  encode(symbols: Int32Array, n: number): number {
    if (n < 2 || this.#left.length === 0) return n;
    if (this.#next.length < n) {
      this.#next = new Int32Array(2 * n);
      this.#prev = new Int32Array(2 * n);
    }
    const next = this.#next;
    const prev = this.#prev;
    const heap = this.#heap;
    heap.length = 0;
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
      if (i + 1 < n) this.#offer(symbols[i] as number, symbols[i + 1] as number, i);
    }
    const dead = -1;
    while (heap.length > 0) {
      const key = popMin(heap);
      const id = Math.floor(key / POSITION_BASE);
      const i = key - id * POSITION_BASE;
      const j = next[i] as number;
      const k = id - this.#firstMergeId;
      // Stale if either side has been merged since this pair was offered.
      if (j < 0 || symbols[i] !== this.#left[k] || symbols[j] !== this.#right[k]) continue;
      symbols[i] = id;
      symbols[j] = dead;
      const after = next[j] as number;
      next[i] = after;
      if (after >= 0) prev[after] = i;
      const before = prev[i] as number;
      if (before >= 0) this.#offer(symbols[before] as number, id, before);
      if (after >= 0) this.#offer(id, symbols[after] as number, i);
    }
    let out = 0;
    for (let i = 0; i >= 0; i = next[i] as number) symbols[out++] = symbols[i] as number;
    return out;
  }

  #offer(a: number, b: number, position: number): void {
    const id = this.#merged.get(a * PAIR_BASE + b);
    if (id !== undefined) pushMin(this.#heap, id * POSITION_BASE + position);
  }
}

function pushMin(heap: number[], key: number): void {
  let i = heap.length;
  heap.push(key);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = heap[parent] as number;
    if (p <= key) break;
    heap[i] = p;
    i = parent;
  }
  heap[i] = key;
}

function popMin(heap: number[]): number {
  const top = heap[0] as number;
  const last = heap.pop() as number;
  const n = heap.length;
  if (n === 0) return top;
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && (heap[child + 1] as number) < (heap[child] as number)) child++;
    if ((heap[child] as number) >= last) break;
    heap[i] = heap[child] as number;
    i = child;
  }
  heap[i] = last;
  return top;
}

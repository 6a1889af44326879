/**
 * The BPE training loop on word counts (Sennrich et al. 2016, as GPT-2 uses it at the byte level).
 *
 * Words are counted once and pair counts are kept up to date **incrementally**: merging (a, b)
 * visits only the words that contain it (an index pair → words) and adjusts the counts of the
 * pairs next to each occurrence, rather than recounting every pair for every merge, which is
 * O(corpus × merges) (minbpe #65; arXiv 2306.16837).
 */

/** Words to train on: each distinct word's symbols and how often it occurs. */
export interface WordTable {
  /** All words' symbols (token ids), word after word; training merges them in place. */
  symbols: Int32Array;
  /** `[words + 1]`: word w is `symbols[starts[w] … starts[w + 1])`. */
  starts: Int32Array;
  /** `[words]` occurrences of each word. */
  counts: Float64Array;
}

export interface LearnMergesOptions {
  /** Id of the first merged token; merge k makes token firstMergeId + k. */
  firstMergeId: number;
  /** Stop after this many merges. */
  maxMerges: number;
  /** Only merge pairs that occur at least this often. */
  minFrequency: number;
}

/** Pair (a, b) as one number: a · PAIR_BASE + b; keys sort as the pairs do lexicographically. */
export const PAIR_BASE = 2 ** 22;

/** Most token ids a vocabulary can have here (pair keys must stay exact doubles). */
export const MAX_VOCAB_SIZE = PAIR_BASE;

/**
 * Learns up to `maxMerges` merges, each returned as the `[left, right]` ids it joins. Fewer come
 * back when no pair occurs `minFrequency` times any more.
 *
 * Each step merges the pair with the **highest count; ties go to the smallest (left, right) ids**,
 * so training is a function of the word counts alone, not of the order words arrive in (minbpe #90).
 * Pairs are counted at every position, overlaps included ("aaa" has (a, a) twice), and an
 * occurrence is merged left to right ("aaa" → "aa" + "a"), as GPT-2 and Hugging Face do.
 * NOTE: no two merges can make the same bytes (Hugging Face's trainer guards against it by
 * reusing the id). A stretch of a word that starts and ends on token boundaries is merged exactly
 * as its bytes would be on their own, so once some stretch of bytes became token C, every other
 * stretch of the same bytes with boundaries at both ends is C as well, never A + B.
 * `ByteLevelBpeTokenizer` checks it anyway.
 */
export function learnBpeMerges(words: WordTable, options: LearnMergesOptions): Array<[number, number]> {
  const { firstMergeId, maxMerges, minFrequency } = options;
  const symbols = words.symbols;
  const starts = words.starts;
  const wordCounts = words.counts;
  const numWords = wordCounts.length;
  const lengths = new Int32Array(numWords);
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const heap = new PairHeap();

  for (let w = 0; w < numWords; w++) {
    const s = starts[w] as number;
    const n = (starts[w + 1] as number) - s;
    lengths[w] = n;
    const count = wordCounts[w] as number;
    for (let i = s; i < s + n - 1; i++) {
      const pair = (symbols[i] as number) * PAIR_BASE + (symbols[i + 1] as number);
      pairCount.set(pair, (pairCount.get(pair) ?? 0) + count);
      addWord(pairWords, pair, w);
    }
  }
  for (const [pair, count] of pairCount) heap.push(count, pair);

  const merges: Array<[number, number]> = [];
  // Pairs whose count rose during the current merge (all contain the new token).
  const grown = new Set<number>();
  while (merges.length < maxMerges && heap.size > 0) {
    const count = heap.topCount();
    const pair = heap.pop();
    const current = pairCount.get(pair) ?? 0;
    // NOTE: heap entries may be stale, but only ever too high: a pair's count rises only in the
    // merge that creates its newer token, and is pushed after that merge. So an entry whose count
    // is current is the true maximum, and a stale one is pushed back with its current count.
    if (current !== count) {
      if (current > 0) heap.push(current, pair);
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(pair / PAIR_BASE);
    const b = pair - a * PAIR_BASE;
    const c = firstMergeId + merges.length;
    merges.push([a, b]);

    const add = (p: number, delta: number): void => {
      pairCount.set(p, (pairCount.get(p) ?? 0) + delta);
    };
    const gain = (p: number, delta: number, w: number): void => {
      add(p, delta);
      grown.add(p);
      addWord(pairWords, p, w);
    };
    for (const w of pairWords.get(pair) ?? []) {
      const s = starts[w] as number;
      const n = lengths[w] as number;
      const k = wordCounts[w] as number;
      // Compact the word in place, left to right; `out` trails `i`, and symbols[s + out − 1] is
      // already final, so a left neighbour that was merged a moment ago is seen as c.
      let out = 0;
      let i = 0;
      while (i < n) {
        const x = symbols[s + i] as number;
        if (x === a && i + 1 < n && (symbols[s + i + 1] as number) === b) {
          add(pair, -k);
          if (out > 0) {
            const left = symbols[s + out - 1] as number;
            add(left * PAIR_BASE + a, -k);
            gain(left * PAIR_BASE + c, k, w);
          }
          if (i + 2 < n) {
            const right = symbols[s + i + 2] as number;
            add(b * PAIR_BASE + right, -k);
            gain(c * PAIR_BASE + right, k, w);
          }
          symbols[s + out++] = c;
          i += 2;
        } else {
          symbols[s + out++] = x;
          i++;
        }
      }
      lengths[w] = out;
    }
    pairCount.delete(pair);
    pairWords.delete(pair);
    for (const p of grown) {
      const n = pairCount.get(p) ?? 0;
      if (n > 0) heap.push(n, p);
      else pairCount.delete(p);
    }
    grown.clear();
  }
  return merges;
}

/** Appends word `w` to the pair's word list unless it was the last one added (words are visited in order). */
function addWord(pairWords: Map<number, number[]>, pair: number, w: number): void {
  const list = pairWords.get(pair);
  if (list === undefined) pairWords.set(pair, [w]);
  else if (list[list.length - 1] !== w) list.push(w);
}

/** A binary max-heap of (count, pair): higher count first, then smaller pair key. */
class PairHeap {
  readonly #counts: number[] = [];
  readonly #pairs: number[] = [];

  get size(): number {
    return this.#counts.length;
  }

  topCount(): number {
    return this.#counts[0] as number;
  }

  push(count: number, pair: number): void {
    const counts = this.#counts;
    const pairs = this.#pairs;
    let i = counts.length;
    counts.push(count);
    pairs.push(pair);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(count, pair, counts[parent] as number, pairs[parent] as number)) break;
      counts[i] = counts[parent] as number;
      pairs[i] = pairs[parent] as number;
      i = parent;
    }
    counts[i] = count;
    pairs[i] = pair;
  }

  /** Removes the top entry and returns its pair. */
  pop(): number {
    const counts = this.#counts;
    const pairs = this.#pairs;
    const top = pairs[0] as number;
    const count = counts.pop() as number;
    const pair = pairs.pop() as number;
    const n = counts.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(counts[right] as number, pairs[right] as number, counts[child] as number, pairs[child] as number)) child = right;
      if (!before(counts[child] as number, pairs[child] as number, count, pair)) break;
      counts[i] = counts[child] as number;
      pairs[i] = pairs[child] as number;
      i = child;
    }
    counts[i] = count;
    pairs[i] = pair;
    return top;
  }
}

function before(countA: number, pairA: number, countB: number, pairB: number): boolean {
  return countA > countB || (countA === countB && pairA < pairB);
}

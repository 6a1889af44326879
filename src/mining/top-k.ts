/**
 * Selects the k largest values of one similarity row into `outValues`/`outIndices`, largest first,
 * ties to the lower index, skipping index `exclude` (the query itself; −1 for none).
 *
 * A min-heap of the k best so far whose root is the worst kept: a scanned value enters only if it
 * beats the root, so after the first few hundred entries almost every value costs one compare.
 * O(n + m·log k) for m entries, where insertion into a sorted list (knn's top-k) costs O(m·k):
 * mAP@R needs k ≈ 1,000 neighbours per MNIST query, for which that is ~1,000× slower.
 */
export class TopKSelector {
  private readonly heapValues: Float32Array;
  private readonly heapIndices: Int32Array;

  constructor(readonly k: number) {
    this.heapValues = new Float32Array(k);
    this.heapIndices = new Int32Array(k);
  }

  select(row: Float32Array, exclude: number, outValues: Float32Array, outIndices: Int32Array): void {
    const { k, heapValues: hv, heapIndices: hi } = this;
    let size = 0;
    for (let i = 0; i < row.length; i++) {
      if (i === exclude) continue;
      const v = row[i] as number;
      if (size < k) {
        // Sift up: the entry being placed is worse than a parent when its value is lower, or equal
        // with a higher index (every index scanned later is higher).
        let c = size++;
        while (c > 0) {
          const p = (c - 1) >> 1;
          const pv = hv[p] as number;
          if (!(v < pv || (v === pv && i > (hi[p] as number)))) break;
          hv[c] = pv;
          hi[c] = hi[p] as number;
          c = p;
        }
        hv[c] = v;
        hi[c] = i;
        continue;
      }
      // An equal value comes later in the row, so it loses the tie to the kept one.
      if (!(v > (hv[0] as number))) continue;
      siftDown(hv, hi, k, v, i);
    }
    // Pop the worst first into the back of the output: the front ends up the best.
    for (let out = size - 1; out >= 0; out--) {
      outValues[out] = hv[0] as number;
      outIndices[out] = hi[0] as number;
      const lastValue = hv[out] as number;
      const lastIndex = hi[out] as number;
      siftDown(hv, hi, out, lastValue, lastIndex);
    }
  }
}

/** Puts (v, i) at the root of the heap of `size` entries and sinks it to its place. */
function siftDown(hv: Float32Array, hi: Int32Array, size: number, v: number, i: number): void {
  let c = 0;
  for (;;) {
    const l = 2 * c + 1;
    if (l >= size) break;
    let w = l;
    const r = l + 1;
    if (r < size && worse(hv[r] as number, hi[r] as number, hv[l] as number, hi[l] as number)) w = r;
    if (!worse(hv[w] as number, hi[w] as number, v, i)) break;
    hv[c] = hv[w] as number;
    hi[c] = hi[w] as number;
    c = w;
  }
  hv[c] = v;
  hi[c] = i;
}

/** Whether (av, ai) ranks below (bv, bi): a lower similarity, or the same one at a higher index. */
function worse(av: number, ai: number, bv: number, bi: number): boolean {
  return av < bv || (av === bv && ai > bi);
}

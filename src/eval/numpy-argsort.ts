/**
 * `np.argsort(values)` with numpy's default `kind="quicksort"`, tie order included: the introsort
 * of numpy 1.24's `aquicksort_` (numpy/core/src/npysort/quicksort.cpp — median-of-3 partitions,
 * insertion sort below 16 elements, heapsort `aheapsort_` from npysort_heapsort.h once the depth
 * budget 2·⌊log2 n⌋ runs out). It is not stable, so equal values come out in an order only this
 * exact algorithm reproduces; scikit-learn's `max_features` relies on it to choose among terms of
 * equal frequency (`(-tfs[mask]).argsort()[:limit]`).
 * NOTE: numpy ≥ 1.26 sorts 64-bit keys with AVX-512 (x86-simd-sort) when the CPU has it, which
 * orders ties differently; this port matches the scalar path Debian's numpy 1.24 takes.
 *
 * `kind: "heapsort"` is `np.argsort(kind="heapsort")`, the fallback on its own (so it can be
 * checked against numpy: the introsort reaches it only on adversarial inputs).
 *
 * @param values `[n]` keys, compared with `<` (no NaN)
 * @returns `[n]` indices of `values` in ascending order
 */
export function numpyArgsort(values: ArrayLike<number>, kind: "quicksort" | "heapsort" = "quicksort"): Int32Array {
  const n = values.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  if (n < 2) return order;
  if (kind === "heapsort") {
    heapArgsort(values, order, 0, n);
    return order;
  }
  const v = (i: number) => values[order[i] as number] as number;
  const swap = (a: number, b: number) => {
    const t = order[a] as number;
    order[a] = order[b] as number;
    order[b] = t;
  };
  const SMALL_QUICKSORT = 15;
  const stack: number[] = [];
  const depths: number[] = [];
  let pl = 0;
  let pr = n - 1;
  let cdepth = Math.floor(Math.log2(n)) * 2;
  for (;;) {
    if (cdepth < 0) {
      heapArgsort(values, order, pl, pr - pl + 1);
    } else {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        if (v(pm) < v(pl)) swap(pm, pl);
        if (v(pr) < v(pm)) swap(pr, pm);
        if (v(pm) < v(pl)) swap(pm, pl);
        const vp = v(pm);
        let pi = pl;
        let pj = pr - 1;
        swap(pm, pj);
        for (;;) {
          do ++pi;
          while (v(pi) < vp);
          do --pj;
          while (vp < v(pj));
          if (pi >= pj) break;
          swap(pi, pj);
        }
        swap(pi, pr - 1);
        // The larger side waits on the stack, the smaller is sorted next.
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depths.push(--cdepth);
      }
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = order[pi] as number;
        const vp = values[vi] as number;
        let pj = pi;
        while (pj > pl && vp < v(pj - 1)) {
          order[pj] = order[pj - 1] as number;
          pj--;
        }
        order[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop() as number;
    pl = stack.pop() as number;
    cdepth = depths.pop() as number;
  }
  return order;
}

/** numpy's `aheapsort_` on `order[start … start + n)`, with its 1-based heap indexing. */
function heapArgsort(values: ArrayLike<number>, order: Int32Array, start: number, n: number): void {
  const a = (k: number) => order[start + k - 1] as number;
  const set = (k: number, x: number) => {
    order[start + k - 1] = x;
  };
  const key = (x: number) => values[x] as number;
  const siftDown = (top: number, tmp: number, size: number) => {
    let i = top;
    for (let j = top * 2; j <= size; ) {
      if (j < size && key(a(j)) < key(a(j + 1))) j += 1;
      if (!(key(tmp) < key(a(j)))) break;
      set(i, a(j));
      i = j;
      j += j;
    }
    set(i, tmp);
  };
  for (let l = n >> 1; l > 0; --l) siftDown(l, a(l), n);
  for (let size = n; size > 1; ) {
    const tmp = a(size);
    set(size, a(1));
    size -= 1;
    siftDown(1, tmp, size);
  }
}

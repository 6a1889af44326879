/**
 * Feature binning for histogram gradient boosting, as scikit-learn's `_BinMapper` does it
 * (`sklearn/ensemble/_hist_gradient_boosting/binning.py`, 1.2): each feature's thresholds are the
 * midpoints between its distinct training values when there are at most `maxBins` of them, else
 * the `maxBins − 1` inner quantiles of the training values (numpy's "midpoint" percentiles), and
 * a value `x` falls in bin `i` iff `thresholds[i − 1] < x ≤ thresholds[i]`.
 */

/** Per-feature thresholds, in float64 like scikit-learn's (the midpoints of two float32 values are not float32). */
export type BinThresholds = readonly Float64Array[];

/** The most bins a feature may have: a bin index must fit in a byte. */
export const MAX_BINS_LIMIT = 255;

/**
 * Thresholds of every feature of row-major `[rows, dim]` training features.
 * NOTE: scikit-learn subsamples 200,000 rows before sorting; every row is used here, so above that
 * size the thresholds can differ slightly from its own.
 */
export function binThresholds(features: Float32Array, dim: number, maxBins: number): BinThresholds {
  const rows = features.length / dim;
  const column = new Float64Array(rows);
  const out: Float64Array[] = [];
  for (let f = 0; f < dim; f++) {
    for (let r = 0; r < rows; r++) column[r] = features[r * dim + f] as number;
    column.sort();
    out.push(featureThresholds(column, maxBins));
  }
  return out;
}

/** One feature's thresholds from its sorted training values. */
function featureThresholds(sorted: Float64Array, maxBins: number): Float64Array {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || (sorted[i] as number) !== (sorted[i - 1] as number)) distinct.push(sorted[i] as number);
  if (distinct.length <= maxBins) {
    const mids = new Float64Array(Math.max(0, distinct.length - 1));
    // NOTE: (a + b) * 0.5 in this order, as numpy's `(d[:-1] + d[1:]) * 0.5`, so ties with sklearn are exact.
    for (let i = 0; i < mids.length; i++) mids[i] = ((distinct[i] as number) + (distinct[i + 1] as number)) * 0.5;
    return mids;
  }
  // np.percentile(values, np.linspace(0, 100, maxBins + 1)[1:-1], method="midpoint"), step by step
  const step = 100 / maxBins;
  const n = sorted.length;
  const mids = new Float64Array(maxBins - 1);
  for (let i = 1; i < maxBins; i++) {
    const q = (i * step) / 100;
    const position = (n - 1) * q;
    const below = Math.floor(position);
    const a = sorted[below] as number;
    if (below === position || below >= n - 1) {
      mids[i - 1] = a;
    } else {
      // numpy's _lerp at t = 0.5 computes b − (b − a)·0.5, which can differ from (a + b)/2 in the last bit
      const b = sorted[below + 1] as number;
      mids[i - 1] = b - (b - a) * 0.5;
    }
  }
  return mids;
}

/** The bin of `value` among `thresholds`: how many thresholds lie strictly below it. */
export function binOf(value: number, thresholds: Float64Array): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value <= (thresholds[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bins of row-major `[rows, dim]` features, in the same layout. */
export function binRows(features: Float32Array, dim: number, thresholds: BinThresholds): Uint8Array {
  const out = new Uint8Array(features.length);
  for (let i = 0; i < features.length; i++) out[i] = binOf(features[i] as number, thresholds[i % dim] as Float64Array);
  return out;
}

import { type CsrMatrix, checkCsr } from "./csr.js";
import { type LbfgsOptions, type LbfgsStop, minimizeLbfgs } from "./lbfgs.js";

export interface SparseLogisticRegressionOptions {
  /** Inverse regularization strength: the objective is 0.5·‖W‖² + C·Σ cross-entropy (sklearn's C). */
  readonly C?: number;
  /**
   * L-BFGS iterations. sklearn's default is 100; 1,000 (as the PyTorch anchor's probe passes
   * `max_iter=2000`) leaves the gradient test, not the budget, to stop the solver.
   */
  readonly maxIterations?: number;
  /**
   * Stop once the largest gradient entry of Σ CE + ‖W‖² / (2C) is at most this: sklearn's `tol`
   * (default 1e-4) on the same objective, which sklearn 1.2 hands to L-BFGS-B as `gtol`.
   */
  readonly tolerance?: number;
  /** The rest of the solver's settings (memory, evaluation budget, …). */
  readonly lbfgs?: Omit<LbfgsOptions, "maxIterations" | "gradientTolerance">;
}

/** How the fit went. */
export interface LogisticFit {
  /** 0.5·‖W‖² + C·Σ CE at the returned weights (bias not penalized). */
  readonly objective: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly stop: LbfgsStop;
  /** Largest gradient entry of Σ CE + ‖W‖² / (2C) at the end. */
  readonly gradientNorm: number;
}

const DEFAULTS = { C: 1, maxIterations: 1000, tolerance: 1e-4 } as const;

/**
 * Multinomial logistic regression on sparse features, scikit-learn's
 * `LogisticRegression(C, multi_class="multinomial", solver="lbfgs")`: minimizes
 * 0.5·‖W‖² + C·Σᵢ CE(softmax(W xᵢ + b), yᵢ), the bias unpenalized, by L-BFGS from zero (in the
 * scaling sklearn 1.2 hands its solver, Σ CE + ‖W‖² / (2C), so `tolerance` means what `tol`
 * does). Weights of columns no training row touches have zero gradient and stay exactly zero, so
 * the solver only carries the columns the rows use: 400 labelled documents of a 50,000-term
 * vocabulary cost a few thousand columns, not 50,000.
 */
export class SparseLogisticRegression {
  private constructor(
    /** `[dim, classes]` feature-major (sklearn's `coef_.T`), so a nonzero reads one contiguous row. */
    readonly weight: Float64Array,
    /** `[classes]` */
    readonly bias: Float64Array,
    readonly dim: number,
    readonly classes: number,
    readonly fit: LogisticFit,
  ) {}

  /**
   * @param x `[N, dim]` features
   * @param y `[N]` class ids in [0, numClasses)
   */
  static fit(x: CsrMatrix, y: Int32Array, numClasses: number, options: SparseLogisticRegressionOptions = {}): SparseLogisticRegression {
    const C = options.C ?? DEFAULTS.C;
    if (!(C > 0)) throw new Error(`SparseLogisticRegression: C must be positive, got ${C}`);
    if (y.length !== x.rows) throw new Error(`SparseLogisticRegression.fit: ${y.length} labels for ${x.rows} rows`);
    if (x.rows === 0) throw new Error("SparseLogisticRegression.fit: no rows");
    for (let i = 0; i < y.length; i++) {
      const c = y[i] as number;
      if (!(c >= 0 && c < numClasses)) throw new Error(`SparseLogisticRegression.fit: label ${c} at row ${i} is outside [0, ${numClasses})`);
    }
    checkCsr(x, "SparseLogisticRegression.fit");
    const { matrix, columns } = activeColumns(x);
    const K = numClasses;
    const weights = columns.length * K;
    const invC = 1 / C;
    const objective = (params: Float64Array, grad: Float64Array) => crossEntropyAndGradient(matrix, y, K, params, grad) + penaltyAndGradient(params, grad, weights, invC);
    const result = minimizeLbfgs(objective, new Float64Array(weights + K), {
      ...options.lbfgs,
      maxIterations: options.maxIterations ?? DEFAULTS.maxIterations,
      gradientTolerance: options.tolerance ?? DEFAULTS.tolerance,
    });
    const weight = new Float64Array(x.cols * K);
    columns.forEach((col, j) => weight.set(result.x.subarray(j * K, (j + 1) * K), col * K));
    const fit = { objective: C * result.value, iterations: result.iterations, evaluations: result.evaluations, stop: result.stop, gradientNorm: result.gradientNorm };
    return new SparseLogisticRegression(weight, result.x.slice(weights), x.cols, K, fit);
  }

  /** `[N, classes]` scores x·W + b. */
  logits(x: CsrMatrix): Float64Array {
    if (x.cols !== this.dim) throw new Error(`SparseLogisticRegression: ${x.cols} columns, the model has ${this.dim}`);
    const K = this.classes;
    const out = new Float64Array(x.rows * K);
    for (let r = 0; r < x.rows; r++) {
      const z = out.subarray(r * K, (r + 1) * K);
      z.set(this.bias);
      for (let p = x.indptr[r] as number; p < (x.indptr[r + 1] as number); p++) {
        const w = (x.indices[p] as number) * K;
        const v = x.values[p] as number;
        for (let k = 0; k < K; k++) z[k] = (z[k] as number) + v * (this.weight[w + k] as number);
      }
    }
    return out;
  }

  /** `[N, classes]` softmax probabilities. */
  predictProba(x: CsrMatrix): Float64Array {
    const z = this.logits(x);
    const K = this.classes;
    for (let r = 0; r < x.rows; r++) softmaxInPlace(z.subarray(r * K, (r + 1) * K));
    return z;
  }

  /** `[N]` the most probable class of each row (the first on ties, as numpy's argmax). */
  predict(x: CsrMatrix): Int32Array {
    const z = this.logits(x);
    const K = this.classes;
    const out = new Int32Array(x.rows);
    for (let r = 0; r < x.rows; r++) {
      let best = 0;
      for (let k = 1; k < K; k++) if ((z[r * K + k] as number) > (z[r * K + best] as number)) best = k;
      out[r] = best;
    }
    return out;
  }
}

/**
 * Σᵢ CE(softmax(W xᵢ + b), yᵢ) over the rows of `x`, its gradient written into `grad`
 * (d CE / d zᵢ = softmax(zᵢ) − onehot(yᵢ); d / dW = xᵢ ⊗ that, d / db = that).
 *
 * @param params `[dim·K + K]`: W `[dim, K]` feature-major, then b `[K]` (sklearn's raveled `w0`)
 */
export function crossEntropyAndGradient(x: CsrMatrix, y: Int32Array, K: number, params: Float64Array, grad: Float64Array): number {
  const bOffset = x.cols * K;
  grad.fill(0);
  const z = new Float64Array(K);
  let loss = 0;
  for (let r = 0; r < x.rows; r++) {
    const begin = x.indptr[r] as number;
    const end = x.indptr[r + 1] as number;
    for (let k = 0; k < K; k++) z[k] = params[bOffset + k] as number;
    for (let p = begin; p < end; p++) {
      const w = (x.indices[p] as number) * K;
      const v = x.values[p] as number;
      for (let k = 0; k < K; k++) z[k] = (z[k] as number) + v * (params[w + k] as number);
    }
    const label = y[r] as number;
    const zy = z[label] as number;
    // NOTE: log-sum-exp shifted by the largest logit, so exp never overflows; CE = lse − z_y.
    let max = -Infinity;
    for (let k = 0; k < K; k++) if ((z[k] as number) > max) max = z[k] as number;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp((z[k] as number) - max);
      z[k] = e;
      sum += e;
    }
    loss += max + Math.log(sum) - zy;
    for (let k = 0; k < K; k++) {
      const residual = (z[k] as number) / sum - (k === label ? 1 : 0);
      z[k] = residual;
      grad[bOffset + k] = (grad[bOffset + k] as number) + residual;
    }
    for (let p = begin; p < end; p++) {
      const w = (x.indices[p] as number) * K;
      const v = x.values[p] as number;
      for (let k = 0; k < K; k++) grad[w + k] = (grad[w + k] as number) + v * (z[k] as number);
    }
  }
  return loss;
}

/** Adds ‖W‖² / (2C) to the objective and W / C to the gradient of the first `weights` entries. */
function penaltyAndGradient(params: Float64Array, grad: Float64Array, weights: number, invC: number): number {
  let sq = 0;
  for (let i = 0; i < weights; i++) {
    const w = params[i] as number;
    sq += w * w;
    grad[i] = (grad[i] as number) + invC * w;
  }
  return 0.5 * invC * sq;
}

/** `x` with its columns renumbered to those some row uses, and those columns in order. */
function activeColumns(x: CsrMatrix): { matrix: CsrMatrix; columns: Int32Array } {
  const used = new Int32Array(x.cols).fill(-1);
  for (const c of x.indices) used[c] = 0;
  let count = 0;
  for (let c = 0; c < x.cols; c++) if (used[c] === 0) used[c] = count++;
  const columns = new Int32Array(count);
  for (let c = 0; c < x.cols; c++) if ((used[c] as number) >= 0) columns[used[c] as number] = c;
  const indices = Int32Array.from(x.indices, (c) => used[c] as number);
  return { matrix: { rows: x.rows, cols: count, indptr: x.indptr, indices, values: x.values }, columns };
}

function softmaxInPlace(z: Float64Array): void {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    const e = Math.exp((z[k] as number) - max);
    z[k] = e;
    sum += e;
  }
  for (let k = 0; k < z.length; k++) z[k] = (z[k] as number) / sum;
}

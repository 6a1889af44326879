/** A smooth objective: returns f(x) and writes ∇f(x) into `gradient` (length x.length). */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  /** Iterations (accepted steps); scipy's `maxiter`. */
  readonly maxIterations?: number;
  /** Stop once ‖∇f‖∞ ≤ this; scipy's `gtol` (sklearn passes its `tol`, 1e-4). */
  readonly gradientTolerance?: number;
  /**
   * Stop once a step lowers f by at most this relative amount, (f_k − f_{k+1}) / max(|f_k|,
   * |f_{k+1}|, 1); scipy's `ftol`, whose default 1e7 · machine epsilon is kept here.
   */
  readonly functionTolerance?: number;
  /** Correction pairs kept (scipy's `maxcor`, 10). */
  readonly memory?: number;
  /** Objective evaluations in all, line searches included (scipy's `maxfun`, 15,000). */
  readonly maxEvaluations?: number;
  /** Evaluations per line search (scipy's `maxls`, 20). */
  readonly maxLineSearchSteps?: number;
}

/** Why the minimizer stopped; the first two mean converged. */
export type LbfgsStop = "gradient" | "function" | "iterations" | "evaluations" | "line-search";

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: number;
  /** ‖∇f(x)‖∞ at the returned x. */
  readonly gradientNorm: number;
  readonly iterations: number;
  readonly evaluations: number;
  readonly stop: LbfgsStop;
}

/** Line search constants of Nocedal & Wright (3.7): sufficient decrease c1, curvature c2. */
const C1 = 1e-4;
const C2 = 0.9;

/**
 * Minimizes a smooth function by limited-memory BFGS (Nocedal & Wright, *Numerical
 * Optimization*, 2nd ed., Algorithm 7.4 and 7.5): the direction −H∇f from the two-loop recursion
 * over the last `memory` steps s = Δx and gradient changes y = Δ∇f, H₀ = (sᵀy / yᵀy)·I, and a step
 * satisfying the strong Wolfe conditions (Algorithms 3.5 and 3.6, cubic interpolation). Stopping
 * follows scipy's L-BFGS-B as scikit-learn calls it: the gradient's largest entry, then the
 * relative decrease of f, then the iteration budget. All sums are in float64.
 *
 * @param x0 `[n]` start; not modified
 */
export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const maxIterations = options.maxIterations ?? 100;
  const gtol = options.gradientTolerance ?? 1e-5;
  const ftol = options.functionTolerance ?? 1e7 * Number.EPSILON;
  const m = options.memory ?? 10;
  const maxEvaluations = options.maxEvaluations ?? 15_000;
  const maxSteps = options.maxLineSearchSteps ?? 20;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = objective(x, g);
  if (!Number.isFinite(f)) throw new Error(`minimizeLbfgs: the objective is ${f} at the start`);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const d = new Float64Array(n);
  // Correction pairs, oldest first; a full memory recycles its oldest buffers.
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  let gamma = 1;
  let evaluations = 1;
  let iterations = 0;
  let stop: LbfgsStop | null = normInf(g) <= gtol ? "gradient" : null;
  while (stop === null) {
    if (iterations >= maxIterations) {
      stop = "iterations";
      break;
    }
    twoLoop(d, g, s, y, rho, gamma, alpha);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // NOTE: rounding can make −H∇f fail to descend; steepest descent with a fresh memory always does.
      s.length = y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -(g[i] as number);
      slope = dot(g, d);
    }
    // scipy's first step has length 1 (and after a restart); later steps try the quasi-Newton step.
    const step0 = s.length === 0 ? 1 / Math.sqrt(-slope) : 1;
    const budget = Math.min(maxSteps, maxEvaluations - evaluations);
    const ls = strongWolfe(objective, x, f, slope, d, step0, xNew, gNew, budget);
    evaluations += ls.evaluations;
    if (ls.value === null) {
      if (s.length > 0 && evaluations < maxEvaluations) {
        // As L-BFGS-B does after a failed search: forget the curvature pairs and retry once.
        s.length = y.length = rho.length = 0;
        continue;
      }
      stop = evaluations >= maxEvaluations ? "evaluations" : "line-search";
      break;
    }
    iterations++;
    const sk = s.length === m ? (s.shift() as Float64Array) : new Float64Array(n);
    const yk = y.length === m ? (y.shift() as Float64Array) : new Float64Array(n);
    if (rho.length === m) rho.shift();
    let sy = 0;
    let yy = 0;
    let gNorm = 0;
    for (let i = 0; i < n; i++) {
      const gi = gNew[i] as number;
      const si = (xNew[i] as number) - (x[i] as number);
      const yi = gi - (g[i] as number);
      sk[i] = si;
      yk[i] = yi;
      sy += si * yi;
      yy += yi * yi;
      if (Math.abs(gi) > gNorm) gNorm = Math.abs(gi);
    }
    // NOTE: a pair with sᵀy ≤ ε·yᵀy would make H indefinite; L-BFGS-B skips it, so do we.
    if (sy > Number.EPSILON * yy) {
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
      gamma = sy / yy;
    }
    const fOld = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = ls.value;
    if (gNorm <= gtol) stop = "gradient";
    else if (fOld - f <= ftol * Math.max(Math.abs(fOld), Math.abs(f), 1)) stop = "function";
    else if (evaluations >= maxEvaluations) stop = "evaluations";
  }
  return { x, value: f, gradientNorm: normInf(g), iterations, evaluations, stop };
}

/**
 * d = −H·g by the two-loop recursion over the stored pairs (Nocedal & Wright Algorithm 7.4).
 * Each update of d also takes the dot product the next step needs, so a pair costs one pass over
 * d per loop rather than two: with 10 pairs of 850,000 parameters the recursion is most of an
 * iteration's time, and it is bound by memory traffic.
 */
function twoLoop(d: Float64Array, g: Float64Array, s: Float64Array[], y: Float64Array[], rho: number[], gamma: number, alpha: Float64Array): void {
  const n = g.length;
  const k = s.length;
  if (k === 0) {
    for (let i = 0; i < n; i++) d[i] = -(g[i] as number);
    return;
  }
  d.set(g);
  // First loop, newest pair to oldest: α_j = ρ_j s_jᵀq, q ← q − α_j y_j.
  let a = (rho[k - 1] as number) * dot(s[k - 1] as Float64Array, d);
  for (let j = k - 1; j >= 0; j--) {
    alpha[j] = a;
    const yj = y[j] as Float64Array;
    if (j === 0) {
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) - a * (yj[i] as number);
      break;
    }
    const sPrev = s[j - 1] as Float64Array;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const di = (d[i] as number) - a * (yj[i] as number);
      d[i] = di;
      acc += (sPrev[i] as number) * di;
    }
    a = (rho[j - 1] as number) * acc;
  }
  // r = H₀q with H₀ = γI, γ = sᵀy / yᵀy of the newest pair; then oldest to newest: r ← r + (α_j − ρ_j y_jᵀr) s_j.
  const y0 = y[0] as Float64Array;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const di = (d[i] as number) * gamma;
    d[i] = di;
    acc += (y0[i] as number) * di;
  }
  let c = (alpha[0] as number) - (rho[0] as number) * acc;
  for (let j = 0; j < k; j++) {
    const sj = s[j] as Float64Array;
    if (j === k - 1) {
      for (let i = 0; i < n; i++) d[i] = -((d[i] as number) + c * (sj[i] as number));
      break;
    }
    const yNext = y[j + 1] as Float64Array;
    let next = 0;
    for (let i = 0; i < n; i++) {
      const di = (d[i] as number) + c * (sj[i] as number);
      d[i] = di;
      next += (yNext[i] as number) * di;
    }
    c = (alpha[j + 1] as number) - (rho[j + 1] as number) * next;
  }
}

interface Trial {
  readonly step: number;
  readonly value: number;
  readonly slope: number;
}

/**
 * A step along `d` from `x` meeting the strong Wolfe conditions f(x + αd) ≤ f + c1·α·slope and
 * |∇f(x + αd)·d| ≤ c2·|slope| (Nocedal & Wright Algorithms 3.5 and 3.6): the bracket grows by
 * doubling, then zooms by safeguarded cubic interpolation. On success `xOut`, `gOut` hold the
 * accepted point. When the budget runs out first, the best point with sufficient decrease is
 * taken if there is one; `value` is null when there is none.
 */
function strongWolfe(
  objective: Objective,
  x: Float64Array,
  f0: number,
  slope0: number,
  d: Float64Array,
  step0: number,
  xOut: Float64Array,
  gOut: Float64Array,
  budget: number,
): { value: number | null; evaluations: number } {
  let evaluations = 0;
  const at = (step: number): Trial => {
    for (let i = 0; i < x.length; i++) xOut[i] = (x[i] as number) + step * (d[i] as number);
    const value = objective(xOut, gOut);
    evaluations++;
    // NOTE: an overflowing step (exp of huge logits) is read as "too far", never accepted.
    return { step, value: Number.isFinite(value) ? value : Infinity, slope: Number.isFinite(value) ? dot(gOut, d) : Infinity };
  };
  const armijo = (t: Trial) => t.value <= f0 + C1 * t.step * slope0;
  const curvature = (t: Trial) => Math.abs(t.slope) <= -C2 * slope0;
  let prev: Trial = { step: 0, value: f0, slope: slope0 };
  let lo: Trial | null = null;
  let hi: Trial | null = null;
  for (let step = step0; evaluations < budget; step *= 2) {
    const t = at(step);
    if (!armijo(t) || (prev.step > 0 && t.value >= prev.value)) [lo, hi] = [prev, t];
    else if (curvature(t)) return { value: t.value, evaluations };
    else if (t.slope >= 0) [lo, hi] = [t, prev];
    if (lo !== null) break;
    prev = t;
  }
  while (lo !== null && hi !== null && evaluations < budget) {
    const width = Math.abs(hi.step - lo.step);
    if (width <= Number.EPSILON * Math.max(lo.step, hi.step)) break;
    let step = cubicMinimizer(lo, hi);
    const [a, b] = lo.step < hi.step ? [lo.step, hi.step] : [hi.step, lo.step];
    if (!(step > a + 0.1 * width && step < b - 0.1 * width)) step = (lo.step + hi.step) / 2;
    const t = at(step);
    if (!armijo(t) || t.value >= lo.value) hi = t;
    else {
      if (curvature(t)) return { value: t.value, evaluations };
      if (t.slope * (hi.step - lo.step) >= 0) hi = lo;
      lo = t;
    }
  }
  const best = lo ?? prev;
  if (best.step > 0 && best.value < f0) return { value: at(best.step).value, evaluations };
  return { value: null, evaluations };
}

/**
 * The minimizer of the cubic matching value and slope at two steps (Nocedal & Wright (3.59)),
 * NaN when it has none or an end is not finite (the caller then bisects).
 */
function cubicMinimizer(p: Trial, q: Trial): number {
  if (!Number.isFinite(q.value) || !Number.isFinite(p.value)) return Number.NaN;
  const d1 = p.slope + q.slope - (3 * (p.value - q.value)) / (p.step - q.step);
  const disc = d1 * d1 - p.slope * q.slope;
  if (!(disc >= 0)) return Number.NaN;
  const d2 = Math.sign(q.step - p.step) * Math.sqrt(disc);
  return q.step - ((q.step - p.step) * (q.slope + d2 - d1)) / (q.slope - p.slope + 2 * d2);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function normInf(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i] as number);
    if (v > m) m = v;
  }
  return m;
}

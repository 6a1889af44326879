import { describe, expect, it } from "vitest";
import type { CsrMatrix } from "../../src/eval/csr.js";
import { minimizeLbfgs } from "../../src/eval/lbfgs.js";
import { SparseLogisticRegression, crossEntropyAndGradient } from "../../src/eval/sparse-logistic-regression.js";
import { Rng } from "../../src/random/rng.js";

/** f = Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)², minimum 0 at all ones. */
function rosenbrock(x: Float64Array, g: Float64Array): number {
  g.fill(0);
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i] as number;
    const b = x[i + 1] as number;
    f += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
    g[i] = (g[i] as number) - 400 * a * (b - a * a) - 2 * (1 - a);
    g[i + 1] = (g[i + 1] as number) + 200 * (b - a * a);
  }
  return f;
}

/** A random sparse `[rows, cols]` matrix with about `density` of its entries set. */
function randomCsr(rng: Rng, rows: number, cols: number, density: number): CsrMatrix {
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (rng.uniform() < density) {
        indices.push(c);
        values.push(rng.uniformIn(-1, 2));
      }
    }
    indptr[r + 1] = indices.length;
  }
  return { rows, cols, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

describe("minimizeLbfgs", () => {
  it("finds Rosenbrock's minimum at all ones from the classic start", () => {
    for (const n of [2, 10]) {
      const x0 = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
      const r = minimizeLbfgs(rosenbrock, x0, { maxIterations: 500, gradientTolerance: 1e-6, functionTolerance: 0 });
      expect(r.stop).toBe("gradient");
      for (const v of r.x) expect(v).toBeCloseTo(1, 6);
      expect(r.value).toBeLessThan(1e-12);
      expect(r.evaluations).toBeLessThan(1.5 * r.iterations + 20);
    }
  });

  it("solves a rotated quadratic (condition 100) ½xᵀAx − bᵀx at A⁻¹b", () => {
    // A = QDQᵀ with eigenvalues 1 … 100 and Q a product of Givens rotations.
    const n = 30;
    const rng = new Rng(7);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = 10 ** ((2 * i) / (n - 1));
    for (let k = 0; k < 60; k++) {
      const [p, q] = [rng.int(n), rng.int(n)];
      if (p === q) continue;
      const t = rng.uniformIn(0, Math.PI);
      const [c, s] = [Math.cos(t), Math.sin(t)];
      for (let j = 0; j < n; j++) {
        const [ap, aq] = [a[p * n + j] as number, a[q * n + j] as number];
        a[p * n + j] = c * ap - s * aq;
        a[q * n + j] = s * ap + c * aq;
      }
      for (let i = 0; i < n; i++) {
        const [ap, aq] = [a[i * n + p] as number, a[i * n + q] as number];
        a[i * n + p] = c * ap - s * aq;
        a[i * n + q] = s * ap + c * aq;
      }
    }
    const solution = Float64Array.from({ length: n }, () => rng.uniformIn(-1, 1));
    const b = Float64Array.from({ length: n }, (_, i) => solution.reduce((sum, v, j) => sum + (a[i * n + j] as number) * v, 0));
    const quadratic = (x: Float64Array, g: Float64Array) => {
      let f = 0;
      for (let i = 0; i < n; i++) {
        let ax = 0;
        for (let j = 0; j < n; j++) ax += (a[i * n + j] as number) * (x[j] as number);
        g[i] = ax - (b[i] as number);
        f += (x[i] as number) * (0.5 * ax - (b[i] as number));
      }
      return f;
    };
    const r = minimizeLbfgs(quadratic, new Float64Array(n), { maxIterations: 1000, gradientTolerance: 1e-6, functionTolerance: 0 });
    expect(r.stop).toBe("gradient");
    r.x.forEach((v, i) => expect(v).toBeCloseTo(solution[i] as number, 6));
  });
});

describe("SparseLogisticRegression", () => {
  const rng = new Rng(3);
  const x = randomCsr(rng, 40, 12, 0.3);
  const K = 4;
  const y = Int32Array.from({ length: 40 }, (_, i) => i % K);

  it("has the gradient of Σ CE by central differences", () => {
    const params = Float64Array.from({ length: 12 * K + K }, () => rng.uniformIn(-0.5, 0.5));
    const grad = new Float64Array(params.length);
    crossEntropyAndGradient(x, y, K, params, grad);
    const h = 1e-6;
    const scratch = new Float64Array(params.length);
    for (let i = 0; i < params.length; i++) {
      const p = Float64Array.from(params);
      p[i] = (p[i] as number) + h;
      const up = crossEntropyAndGradient(x, y, K, p, scratch);
      p[i] = (p[i] as number) - 2 * h;
      const down = crossEntropyAndGradient(x, y, K, p, scratch);
      expect(grad[i]).toBeCloseTo((up - down) / (2 * h), 6);
    }
  });

  it("fits the class frequencies when rows have no features (softmax(b) = frequencies, W = 0)", () => {
    const labels = Int32Array.of(0, 0, 0, 1, 2, 2);
    const empty: CsrMatrix = { rows: 6, cols: 3, indptr: new Int32Array(7), indices: new Int32Array(0), values: new Float64Array(0) };
    const model = SparseLogisticRegression.fit(empty, labels, 3, { tolerance: 1e-10, lbfgs: { functionTolerance: 0 } });
    expect(model.fit.stop).toBe("gradient");
    const p = model.predictProba({ ...empty, rows: 1, indptr: new Int32Array(2) });
    [3 / 6, 1 / 6, 2 / 6].forEach((f, k) => expect(p[k]).toBeCloseTo(f, 9));
    expect(Array.from(model.weight).every((w) => w === 0)).toBe(true);
    // Σ CE at the optimum is N·H(frequencies).
    const entropy = -(3 * Math.log(3 / 6) + Math.log(1 / 6) + 2 * Math.log(2 / 6));
    expect(model.fit.objective).toBeCloseTo(entropy, 9);
  });

  it("leaves unused columns at zero and reaches the same optimum as without them", () => {
    const wide: CsrMatrix = { ...x, cols: 20, indices: Int32Array.from(x.indices, (c) => 1 + c + (c > 5 ? 5 : 0)) };
    const narrow = SparseLogisticRegression.fit(x, y, K, { tolerance: 1e-8, lbfgs: { functionTolerance: 0 } });
    const spread = SparseLogisticRegression.fit(wide, y, K, { tolerance: 1e-8, lbfgs: { functionTolerance: 0 } });
    expect(spread.fit.objective).toBeCloseTo(narrow.fit.objective, 8);
    const used = new Set(wide.indices);
    for (let c = 0; c < 20; c++) if (!used.has(c)) for (let k = 0; k < K; k++) expect(spread.weight[c * K + k]).toBe(0);
    expect(Array.from(spread.predict(wide))).toEqual(Array.from(narrow.predict(x)));
  });

  it("has a stationary objective at the fit: gradient of 0.5‖W‖² + C·ΣCE ≈ 0", () => {
    const C = 3;
    const model = SparseLogisticRegression.fit(x, y, K, { C, tolerance: 1e-7, lbfgs: { functionTolerance: 0 } });
    const params = new Float64Array(12 * K + K);
    params.set(model.weight);
    params.set(model.bias, 12 * K);
    const grad = new Float64Array(params.length);
    crossEntropyAndGradient(x, y, K, params, grad);
    for (let i = 0; i < params.length; i++) {
      const g = C * (grad[i] as number) + (i < 12 * K ? (params[i] as number) : 0);
      expect(Math.abs(g)).toBeLessThan(1e-7 * C);
    }
  });
});

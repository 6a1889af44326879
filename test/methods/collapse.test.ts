import { describe, expect, it } from "vitest";
import { collapseStd, effectiveRank, symmetricEigenvalues } from "../../src/methods/collapse.js";
import { Rng } from "../../src/random/rng.js";
import { float32 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";

describe("collapse diagnostics", () => {
  it("collapseStd is ~1/√D for isotropic embeddings and 0 for a collapsed batch", async () => {
    const d = 16;
    const spread = await evaluate1((z) => collapseStd(z!), [float32([512, d], new Rng(0).normalArray(512 * d))]);
    expect(spread.values[0]).toBeGreaterThan(0.9 / Math.sqrt(d));
    expect(spread.values[0]).toBeLessThan(1.05 / Math.sqrt(d));
    const same = new Float32Array(8 * d).map((_, i) => (i % d) + 1);
    expect((await evaluate1((z) => collapseStd(z!), [float32([8, d], same)])).values[0]).toBeCloseTo(0, 6);
  });

  it("Jacobi eigenvalues of a symmetric matrix match its known spectrum", () => {
    // [[2, 1, 0], [1, 2, 0], [0, 0, 5]]: eigenvalues 1, 3, 5.
    const eig = symmetricEigenvalues(Float64Array.of(2, 1, 0, 1, 2, 0, 0, 0, 5), 3).sort((a, b) => a - b);
    eig.forEach((v, i) => expect(v).toBeCloseTo([1, 3, 5][i] as number, 12));
  });

  it("effectiveRank: ≈ D for an isotropic cloud, 1 on a line, exp(entropy) in between", () => {
    const n = 4000;
    const d = 8;
    expect(effectiveRank(new Rng(1).normalArray(n * d), n, d)).toBeGreaterThan(7.8);
    const line = new Float32Array(n * d);
    const t = new Rng(2).normalArray(n);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) line[r * d + j] = (t[r] as number) * (j + 1);
    expect(effectiveRank(line, n, d)).toBeCloseTo(1, 6);
    // Two independent dimensions with variances 1 and 4 (others 0): p = (0.2, 0.8).
    const two = new Float32Array(n * d);
    const g = new Rng(3);
    for (let r = 0; r < n; r++) {
      two[r * d] = g.normal();
      two[r * d + 1] = 2 * g.normal();
    }
    expect(effectiveRank(two, n, d)).toBeCloseTo(Math.exp(-(0.2 * Math.log(0.2) + 0.8 * Math.log(0.8))), 1);
  });

  it("effectiveRank with fewer rows than dimensions (through the Gram matrix) equals the covariance's", () => {
    const n = 12;
    const d = 40;
    const rows = new Rng(4).normalArray(n * d);
    const viaGram = effectiveRank(rows, n, d);
    // The covariance's own eigenvalues, computed here directly.
    const means = new Float64Array(d);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) means[j] = (means[j] as number) + (rows[r * d + j] as number) / n;
    const cov = new Float64Array(d * d);
    for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j] = (cov[i * d + j] as number) + ((rows[r * d + i] as number) - (means[i] as number)) * ((rows[r * d + j] as number) - (means[j] as number)) / (n - 1);
    const eig = symmetricEigenvalues(cov, d).map((v) => Math.max(v, 0));
    const total = eig.reduce((a, b) => a + b, 0);
    const direct = Math.exp(-eig.reduce((h, v) => (v > 0 ? h + (v / total) * Math.log(v / total) : h), 0));
    expect(viaGram).toBeCloseTo(direct, 8);
    expect(viaGram).toBeLessThanOrEqual(n - 1 + 1e-9);
  });
});

import { describe, expect, it } from "vitest";
import { colaLoss } from "../../src/losses/cola.js";
import { float64 } from "../../src/runtime/index.js";
import { Rng } from "../../src/random/rng.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { checkGradients } from "../helpers/gradcheck.js";

/** −(1/N) Σ_i log softmax_j(a_iᵀ W p_j)[i], in float64 on the host. */
function reference(a: number[], p: number[], w: number[], n: number, d: number): number {
  const score = (i: number, j: number) => {
    let s = 0;
    for (let x = 0; x < d; x++) for (let y = 0; y < d; y++) s += (a[i * d + x] as number) * (w[x * d + y] as number) * (p[j * d + y] as number);
    return s;
  };
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: n }, (_, j) => score(i, j));
    const m = Math.max(...row);
    total += m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - (row[i] as number);
  }
  return total / n;
}

describe("colaLoss", () => {
  it("is the cross-entropy of each anchor's bilinear scores against its own positive", async () => {
    const rng = new Rng(3);
    const [n, d] = [5, 3];
    const a = Array.from(rng.normalArray(n * d));
    const p = Array.from(rng.normalArray(n * d));
    const w = Array.from(rng.normalArray(d * d));
    const got = await evaluate1((x, y, z) => colaLoss(x, y, z), [float64([n, d], a), float64([n, d], p), float64([d, d], w)]);
    expect(got.values[0]).toBeCloseTo(reference(a, p, w, n, d), 10);
  });

  it("is log N when W is zero (every clip equally likely), and has the gradient of finite differences in all three inputs", async () => {
    const got = await evaluate1((x, y, z) => colaLoss(x, y, z), [float64([4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), float64([4, 2], [8, 7, 6, 5, 4, 3, 2, 1]), float64([2, 2], [0, 0, 0, 0])]);
    expect(got.values[0]).toBeCloseTo(Math.log(4), 12);
    await checkGradients((x, y, z) => colaLoss(x, y, z), [{ shape: [4, 3] }, { shape: [4, 3] }, { shape: [3, 3] }], { seed: 5 });
  });

  it("refuses mismatched shapes with a one-line error", async () => {
    await expect(evaluate1((x, y, z) => colaLoss(x, y, z), [float64([4, 2], new Array(8).fill(0)), float64([3, 2], new Array(6).fill(0)), float64([2, 2], [0, 0, 0, 0])])).rejects.toThrow(/same shape|one shape/);
  });
});

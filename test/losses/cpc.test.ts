import { describe, expect, it } from "vitest";
import { cpcLoss } from "../../src/losses/cpc.js";
import { float64 } from "../../src/runtime/index.js";
import { Rng } from "../../src/random/rng.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { checkGradients } from "../helpers/gradcheck.js";

/** CPC's InfoNCE for offset k on the host: each prediction against every frame of the batch, its own future the positive. */
function reference(pred: number[], z: number[], n: number, s: number, d: number, k: number): number {
  const dot = (pi: number, zi: number) => {
    let v = 0;
    for (let x = 0; x < d; x++) v += (pred[pi * d + x] as number) * (z[zi * d + x] as number);
    return v;
  };
  let total = 0;
  let count = 0;
  for (let b = 0; b < n; b++) {
    for (let t = 0; t < s - k; t++) {
      const q = b * (s - k) + t;
      const row = Array.from({ length: n * s }, (_, j) => dot(q, j));
      const m = Math.max(...row);
      total += m + Math.log(row.reduce((acc, v) => acc + Math.exp(v - m), 0)) - (row[b * s + t + k] as number);
      count++;
    }
  }
  return total / count;
}

describe("cpcLoss", () => {
  it("scores each prediction against every frame of the batch, its own clip's step t + k the positive", async () => {
    const rng = new Rng(8);
    const [n, s, d, k] = [3, 5, 4, 2];
    const z = Array.from(rng.normalArray(n * s * d));
    const pred = Array.from(rng.normalArray(n * (s - k) * d));
    const got = await evaluate1((p, f) => cpcLoss(p, f, k), [float64([n, s - k, d], pred), float64([n, s, d], z)]);
    expect(got.values[0]).toBeCloseTo(reference(pred, z, n, s, d, k), 10);
  });

  it("has the gradient of finite differences through the predictions and the frames", async () => {
    await checkGradients((p, f) => cpcLoss(p, f, 1), [{ shape: [2, 3, 3] }, { shape: [2, 4, 3] }], { seed: 2 });
  });

  it("refuses an offset that leaves no step to predict", async () => {
    await expect(evaluate1((p, f) => cpcLoss(p, f, 4), [float64([1, 0 + 1, 2], [0, 0]), float64([1, 4, 2], new Array(8).fill(0))])).rejects.toThrow(/offset/);
  });
});

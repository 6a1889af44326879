import { describe, expect, it } from "vitest";
import { vicregCovariance, vicregLoss, vicregTerms, vicregVariance } from "../../src/losses/vicreg.js";
import { float64 } from "../../src/runtime/index.js";
import { evaluate, evaluate1 } from "../helpers/evaluate.js";
import { expectMatchesPytorch, pytorchCases } from "./pytorch-cases.js";

describe("vicregLoss", () => {
  it("matches the authors' code (λ·mse + μ·(v(Z) + v(Z′))/2 + ν·(c(Z) + c(Z′)))", async () => {
    for (const c of pytorchCases("vicreg")) {
      const o = c.options;
      const options = { invarianceWeight: o.sim_coeff as number, varianceWeight: o.std_coeff as number, covarianceWeight: o.cov_coeff as number };
      // NOTE: ORT's float64 kernels for the Dᵀ·D products here differ from NumPy's by ~3e-8 relative
      // (measured: one covariance term alone is exact, fused into a larger graph it is not), hence 1e-7.
      await expectMatchesPytorch(c, (z0, z1) => vicregLoss(z0!, z1!, options), 1e-7);
    }
  });

  it("exports its terms: a collapsed batch has variance term ≈ 1 and no covariance", async () => {
    const collapsed = float64([3, 2], [1, 2, 1, 2, 1, 2]);
    expect((await evaluate1((z) => vicregVariance(z!), [collapsed])).values[0]).toBeCloseTo(1 - Math.sqrt(1e-4), 12);
    expect((await evaluate1((z) => vicregCovariance(z!), [collapsed])).values[0]).toBe(0);
    // Two perfectly correlated dimensions: cov = [[v, v], [v, v]], v = 1 (unbiased) → c = 2·1²/2.
    const correlated = float64([3, 2], [0, 0, 1, 1, 2, 2]);
    expect((await evaluate1((z) => vicregCovariance(z!), [correlated])).values[0]).toBeCloseTo(1, 12);
    const [inv, v, c] = await evaluate((a, b) => {
      const t = vicregTerms(a!, b!);
      return [t.invariance, t.variance, t.covariance];
    }, [correlated, correlated]);
    expect([inv?.values[0], v?.values[0], c?.values[0]]).toEqual([0, expect.any(Number), 2]);
  });
});

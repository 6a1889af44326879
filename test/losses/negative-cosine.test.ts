import { describe, expect, it } from "vitest";
import { negativeCosine, negativeCosineLoss } from "../../src/losses/negative-cosine.js";
import { float64 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { expectMatchesPytorch, pytorchCases } from "./pytorch-cases.js";

describe("negativeCosineLoss", () => {
  it("matches SimSiam's ½D(p1, sg(z2)) + ½D(p2, sg(z1)) (value and gradients, zero into the targets)", async () => {
    for (const c of pytorchCases("simsiam")) await expectMatchesPytorch(c, (p0, p1, z0, z1) => negativeCosineLoss(p0!, p1!, z0!, z1!));
  });

  it("is −1 for parallel predictions and targets", async () => {
    const a = float64([2, 2], [1, 2, -3, 1]);
    expect((await evaluate1((p, z) => negativeCosine(p!, z!), [a, a])).values[0]).toBeCloseTo(-1, 12);
  });
});

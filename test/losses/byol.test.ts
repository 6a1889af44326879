import { describe, expect, it } from "vitest";
import { byolLoss, normalizedMse } from "../../src/losses/byol.js";
import { float64 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { expectMatchesPytorch, pytorchCases } from "./pytorch-cases.js";

describe("byolLoss", () => {
  it("matches BYOL's symmetrized 2 − 2·cos with detached targets (value and gradients, zero into targets)", async () => {
    for (const c of pytorchCases("byol")) await expectMatchesPytorch(c, (p0, p1, z0, z1) => byolLoss(p0!, p1!, z0!, z1!));
  });

  it("is 0 for parallel vectors and 4 for opposite ones", async () => {
    const a = float64([2, 2], [1, 2, -3, 1]);
    expect((await evaluate1((p, z) => normalizedMse(p!, z!), [a, float64([2, 2], [2, 4, -6, 2])])).values[0]).toBeCloseTo(0, 12);
    expect((await evaluate1((p, z) => normalizedMse(p!, z!), [a, float64([2, 2], [-1, -2, 3, -1])])).values[0]).toBeCloseTo(4, 12);
  });
});

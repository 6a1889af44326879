import { describe, expect, it } from "vitest";
import { Graph, ShapeError } from "../../src/graph/index.js";
import { barlowTwinsLoss, crossCorrelation } from "../../src/losses/barlow-twins.js";
import { float64 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { expectMatchesPytorch, pytorchCases } from "./pytorch-cases.js";

describe("barlowTwinsLoss", () => {
  it("matches the authors' code (BatchNorm1d(affine=False), c = bnᵀbn/N, on-diagonal + λ·off-diagonal)", async () => {
    for (const c of pytorchCases("barlowTwins")) {
      // NOTE: ORT's float64 Dᵀ·D products differ from PyTorch's by ~1e-7 relative here (as in VICReg's test).
      await expectMatchesPytorch(c, (z0, z1) => barlowTwinsLoss(z0!, z1!, { lambda: c.options.lambd as number }), 2e-7);
    }
  });

  it("the cross-correlation of a batch with itself has a unit diagonal (up to BN's ε)", async () => {
    const z = float64([4, 2], [1, 5, 2, -1, 3, 0, -2, 4]);
    const c = await evaluate1((a, b) => crossCorrelation(a!, b!), [z, z]);
    expect(c.values[0]).toBeCloseTo(1, 4);
    expect(c.values[3]).toBeCloseTo(1, 4);
    expect(c.values[1]).toBeCloseTo(c.values[2] as number, 12);
  });

  it("needs batch statistics", () => {
    const g = new Graph();
    expect(() => barlowTwinsLoss(g.input("a", [1, 3]), g.input("b", [1, 3]))).toThrow(ShapeError);
  });
});

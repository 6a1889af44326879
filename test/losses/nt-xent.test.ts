import { describe, expect, it } from "vitest";
import { Graph, ShapeError } from "../../src/graph/index.js";
import { ntXentLoss, positiveCosine } from "../../src/losses/nt-xent.js";
import { float64 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { expectMatchesPytorch, pytorchCases } from "./pytorch-cases.js";

describe("ntXentLoss", () => {
  it("matches PyTorch's cross-entropy over the masked similarity matrix (value and gradients)", async () => {
    for (const c of pytorchCases("ntXent")) {
      await expectMatchesPytorch(c, (z0, z1) => ntXentLoss(z0!, z1!, { temperature: c.options.temperature as number }));
    }
  });

  it("is log(2N − 1) when every view is the same vector, and the positive cosine is 1", async () => {
    const z = float64([4, 3], Array.from({ length: 12 }, (_, i) => [1, 2, 3][i % 3] as number));
    const loss = await evaluate1((a, b) => ntXentLoss(a!, b!), [z, z]);
    expect(loss.values[0]).toBeCloseTo(Math.log(7), 10);
    expect((await evaluate1((a, b) => positiveCosine(a!, b!), [z, z])).values[0]).toBeCloseTo(1, 12);
  });

  it("rejects mismatched shapes and a non-positive temperature", () => {
    const g = new Graph();
    expect(() => ntXentLoss(g.input("a", [4, 3]), g.input("b", [4, 2]))).toThrow(ShapeError);
    expect(() => ntXentLoss(g.input("c", [4, 3]), g.input("d", [4, 3]), { temperature: 0 })).toThrow(/temperature/);
  });
});

import { describe, expect, it } from "vitest";
import { Graph, ShapeError } from "../../src/graph/index.js";
import { tripletLoss } from "../../src/losses/triplet.js";
import { type TripletNegatives } from "../../src/losses/triplet.js";
import { float64 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { expectMatchesPytorch, pytorchCases } from "./pytorch-cases.js";

describe("tripletLoss", () => {
  it("matches FaceNet's hinge written as loops in PyTorch, hardest and random negatives", async () => {
    for (const c of pytorchCases("triplet")) {
      const options = { margin: c.options.margin as number, negatives: c.options.negatives as TripletNegatives };
      await expectMatchesPytorch(c, (a, p) => tripletLoss(a!, p!, options));
    }
  });

  it("is 0 when the views agree and the other samples are orthogonal; the margin when all coincide", async () => {
    const eye = float64([3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect((await evaluate1((a, p) => tripletLoss(a!, p!), [eye, eye])).values[0]).toBe(0);
    const same = float64([3, 3], [1, 1, 0, 1, 1, 0, 1, 1, 0]);
    expect((await evaluate1((a, p) => tripletLoss(a!, p!, { margin: 0.3 }), [same, same])).values[0]).toBeCloseTo(0.3, 12);
  });

  it("needs two samples and a non-negative margin", () => {
    const g = new Graph();
    expect(() => tripletLoss(g.input("a", [1, 3]), g.input("p", [1, 3]))).toThrow(ShapeError);
    expect(() => tripletLoss(g.input("b", [2, 3]), g.input("q", [2, 3]), { margin: -1 })).toThrow(/margin/);
  });
});

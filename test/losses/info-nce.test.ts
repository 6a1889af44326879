import { describe, expect, it } from "vitest";
import { Graph, ShapeError } from "../../src/graph/index.js";
import { enqueue, infoNceLoss } from "../../src/losses/info-nce.js";
import { float64 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { expectMatchesPytorch, pytorchCases } from "./pytorch-cases.js";

describe("infoNceLoss", () => {
  it("matches MoCo's logits [positive, queue] / τ with label 0 (value; gradient reaches only the query)", async () => {
    for (const c of pytorchCases("infoNce")) {
      await expectMatchesPytorch(c, (q, k, queue) => infoNceLoss(q!, k!, queue!, { temperature: c.options.temperature as number }));
    }
  });

  it("enqueue puts the normalized keys first and drops the oldest", async () => {
    const queue = float64([3, 2], [1, 0, 0, 1, -1, 0]);
    const keys = float64([2, 2], [3, 4, 0, 2]);
    const next = await evaluate1((q, k) => enqueue(q!, k!), [queue, keys]);
    expect(next.shape).toEqual([3, 2]);
    expect(next.values).toEqual([0.6, 0.8, 0, 1, 1, 0]);
  });

  it("rejects a queue of the wrong width", () => {
    const g = new Graph();
    expect(() => infoNceLoss(g.input("q", [4, 3]), g.input("k", [4, 3]), g.input("queue", [8, 2]))).toThrow(ShapeError);
  });
});

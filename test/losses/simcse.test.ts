import { describe, expect, it } from "vitest";
import { Graph, ShapeError } from "../../src/graph/index.js";
import { simcseLoss } from "../../src/losses/simcse.js";
import { float64 } from "../../src/runtime/index.js";
import { Rng } from "../../src/random/rng.js";
import { evaluate1 } from "../helpers/evaluate.js";
import { checkGradients } from "../helpers/gradcheck.js";
import { expectMatchesPytorch, pytorchCases } from "./pytorch-cases.js";

describe("simcseLoss", () => {
  it("matches SimCSE's reference (cosine / temp, cross-entropy against the diagonal) in value and gradients, τ from 0.05 to 1", async () => {
    const cases = pytorchCases("simcse");
    expect(cases.map((c) => c.options.temp)).toEqual([0.05, 1, 0.1]);
    for (const c of cases) await expectMatchesPytorch(c, (h0, h1) => simcseLoss(h0!, h1!, { temperature: c.options.temp as number }));
  });

  it("has the gradient of central finite differences in both inputs, at SimCSE's τ = 0.05", async () => {
    const rng = new Rng(4);
    // second encodings near the first, as two dropout passes are: the softmax is peaked, not saturated
    const h0 = Array.from(rng.normalArray(5 * 4));
    const h1 = h0.map((v) => v + 0.3 * rng.normal());
    await checkGradients((a, b) => simcseLoss(a, b, { temperature: 0.05 }), [
      { shape: [5, 4], values: h0 },
      { shape: [5, 4], values: h1 },
    ]);
    await checkGradients((a, b) => simcseLoss(a, b, { temperature: 0.5 }), [{ shape: [7, 3] }, { shape: [7, 3] }], { seed: 9 });
  });

  it("is log N when every encoding is the same vector, and scale-free (normalized inside)", async () => {
    const same = float64([4, 3], Array.from({ length: 12 }, (_, i) => [1, -2, 0.5][i % 3] as number));
    expect((await evaluate1((a, b) => simcseLoss(a!, b!), [same, same])).values[0]).toBeCloseTo(Math.log(4), 12);
    const x = float64([3, 2], [1, 0, 0, 1, -1, 1]);
    const y = float64([3, 2], [2, 0.1, 0.2, 3, -1, 0.5]);
    const scaled = float64([3, 2], (y.data as Float64Array).map((v) => 7 * v));
    const [a, b] = await Promise.all([evaluate1((p, q) => simcseLoss(p!, q!, { temperature: 0.2 }), [x, y]), evaluate1((p, q) => simcseLoss(p!, q!, { temperature: 0.2 }), [x, scaled])]);
    expect(a.values[0]).toBeCloseTo(b.values[0] as number, 12);
  });

  it("is the softmax over the N second encodings only, in float64 on the host", async () => {
    const rng = new Rng(11);
    const [n, d, tau] = [6, 4, 0.05];
    const h0 = Array.from(rng.normalArray(n * d));
    const h1 = Array.from(rng.normalArray(n * d));
    const unit = (v: number[], i: number) => {
      const row = v.slice(i * d, (i + 1) * d);
      const norm = Math.hypot(...row);
      return row.map((x) => x / norm);
    };
    let expected = 0;
    for (let i = 0; i < n; i++) {
      const logits = Array.from({ length: n }, (_, j) => unit(h0, i).reduce((s, x, k) => s + x * (unit(h1, j)[k] as number), 0) / tau);
      const max = Math.max(...logits);
      expected += (max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0)) - (logits[i] as number)) / n;
    }
    const got = await evaluate1((a, b) => simcseLoss(a!, b!, { temperature: tau }), [float64([n, d], h0), float64([n, d], h1)]);
    expect(got.values[0]).toBeCloseTo(expected, 10);
  });

  it("rejects mismatched shapes and a non-positive temperature", () => {
    const g = new Graph();
    expect(() => simcseLoss(g.input("a", [4, 3]), g.input("b", [4, 2]))).toThrow(ShapeError);
    expect(() => simcseLoss(g.input("c", [4, 3]), g.input("d", [5, 3]))).toThrow("simcseLoss: expects two [N, D] embeddings");
    expect(() => simcseLoss(g.input("e", [4, 3]), g.input("f", [4, 3]), { temperature: 0 })).toThrow("simcseLoss: temperature must be positive, got 0");
  });
});

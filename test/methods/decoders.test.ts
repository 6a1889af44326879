import { describe, expect, it } from "vitest";
import { Graph } from "../../src/graph/index.js";
import { ConvDecoder, MlpDecoder, binaryCrossEntropyWithLogits } from "../../src/methods/decoders.js";
import { BoundContext, namedParameters, namedState } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { float32 } from "../../src/runtime/index.js";
import { evaluate1 } from "../helpers/evaluate.js";

describe("decoders", () => {
  it.each([
    ["conv", (rng: Rng) => new ConvDecoder(128, [1, 28, 28], rng)],
    ["mlp", (rng: Rng) => new MlpDecoder(128, [1, 28, 28], rng)],
  ] as const)("%s decoder maps [N, 128] to [N, 1, 28, 28]", (_, make) => {
    const decoder = make(new Rng(0));
    const graph = new Graph();
    const leaves = [...namedParameters(decoder), ...namedState(decoder)];
    const ctx = new BoundContext(false, new Map(leaves.map(([k, p]) => [p, graph.input(k, p.shape)] as const)));
    expect(decoder.call(ctx, graph.input("z", [5, 128])).shape).toEqual([5, 1, 28, 28]);
  });

  it("the conv decoder needs sides divisible by 4", () => {
    expect(() => new ConvDecoder(8, [1, 30, 28], new Rng(0))).toThrow(/divisible by 4/);
  });
});

describe("binaryCrossEntropyWithLogits", () => {
  it("equals −t·log σ(z) − (1 − t)·log(1 − σ(z)) and stays finite for large logits", async () => {
    const z = [-200, -3, -0.5, 0, 0.5, 3, 200];
    const t = [0, 0.2, 1, 0.5, 0, 1, 0];
    const y = await evaluate1((a, b) => binaryCrossEntropyWithLogits(a, b), [float32([7], z), float32([7], t)]);
    z.forEach((zi, i) => {
      const ti = t[i] as number;
      // log σ(z) = −log(1 + e^(−z)), computed stably in float64 here
      const logSig = -(Math.max(-zi, 0) + Math.log1p(Math.exp(-Math.abs(zi))));
      const log1mSig = -(Math.max(zi, 0) + Math.log1p(Math.exp(-Math.abs(zi))));
      expect(y.values[i]).toBeCloseTo(-ti * logSig - (1 - ti) * log1mSig, 4);
    });
  });
});

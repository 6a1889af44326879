import { describe, expect, it } from "vitest";
import { BatchNorm2d, Conv2d, ConvTranspose2d, Embedding, LayerNorm, Linear, init } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { absMax, meanStd } from "./run-module.js";

/** The sample mean of n draws lies within 4 standard errors of the truth (fails ~1 in 16,000). */
const meanTolerance = (std: number, n: number) => (4 * std) / Math.sqrt(n);

function expectUniform(values: Float32Array, bound: number): void {
  const { mean, std } = meanStd(values);
  expect(Math.abs(mean)).toBeLessThan(meanTolerance(bound / Math.sqrt(3), values.length));
  expect(std / (bound / Math.sqrt(3))).toBeCloseTo(1, 1); // U(−b, b) has std b/√3
  // float32 rounding may land a draw just below the bound a hair above it
  expect(absMax(values)).toBeLessThanOrEqual(bound * (1 + 1e-7));
  expect(absMax(values)).toBeGreaterThan(0.99 * bound);
}

function expectNormal(values: Float32Array, std: number, mean = 0): void {
  const s = meanStd(values);
  expect(Math.abs(s.mean - mean)).toBeLessThan(meanTolerance(std, values.length));
  expect(s.std / std).toBeCloseTo(1, 1);
}

describe("init schemes match their theory", () => {
  const rng = new Rng(0);
  const shape = [256, 100, 3, 3]; // fanIn 900, fanOut 2304

  it("fans as PyTorch computes them", () => {
    expect(init.fans([10, 20])).toEqual({ fanIn: 20, fanOut: 10 });
    expect(init.fans(shape)).toEqual({ fanIn: 900, fanOut: 2304 });
  });

  it("kaimingUniform and kaimingNormal", () => {
    expectUniform(init.kaimingUniform(rng, shape), Math.sqrt(2) * Math.sqrt(3 / 900));
    expectUniform(init.kaimingUniform(rng, shape, { mode: "fanOut", nonlinearity: "relu" }), Math.sqrt(2) * Math.sqrt(3 / 2304));
    expectNormal(init.kaimingNormal(rng, shape), Math.sqrt(2 / 900));
    // a = √5, PyTorch's Linear/Conv default, is U(−1/√fanIn, 1/√fanIn)
    expectUniform(init.kaimingUniform(rng, shape, { a: Math.sqrt(5) }), 1 / 30);
  });

  it("xavierUniform and xavierNormal", () => {
    expectUniform(init.xavierUniform(rng, shape), Math.sqrt(6 / (900 + 2304)));
    expectNormal(init.xavierNormal(rng, shape, init.gain("tanh")), (5 / 3) * Math.sqrt(2 / (900 + 2304)));
  });

  it("truncatedNormal stays inside its bounds with the truncated distribution's std", () => {
    const v = init.truncatedNormal(rng, [20000]);
    expect(absMax(v)).toBeLessThanOrEqual(2);
    expectNormal(v, 0.8796); // std of N(0, 1) truncated to [−2, 2]
    const w = init.truncatedNormal(rng, [20000], { std: 0.02 });
    expectNormal(w, 0.02); // ±2 never binds at std 0.02
  });

  it("is a pure function of the seed", () => {
    expect(init.kaimingUniform(new Rng(7), [4, 4])).toEqual(init.kaimingUniform(new Rng(7), [4, 4]));
  });
});

describe("layers initialize as PyTorch", () => {
  it("Linear: weight and bias U(−1/√in, 1/√in)", () => {
    const l = new Linear(400, 300, new Rng(1));
    expect(l.weight.shape).toEqual([300, 400]);
    expectUniform(l.weight.value, 1 / 20);
    expectUniform((l.bias as { value: Float32Array }).value, 1 / 20);
    expect(l.weight.decay).toBe(true);
    expect(l.bias?.decay).toBe(false);
  });

  it("Conv2d and ConvTranspose2d: U(−1/√fanIn, 1/√fanIn) with PyTorch's fan-in", () => {
    const c = new Conv2d(64, 128, 3, new Rng(2));
    expect(c.weight.shape).toEqual([128, 64, 3, 3]);
    expectUniform(c.weight.value, 1 / Math.sqrt(64 * 9));
    expectUniform((c.bias as { value: Float32Array }).value, 1 / Math.sqrt(64 * 9));
    const t = new ConvTranspose2d(128, 64, 4, new Rng(3));
    expect(t.weight.shape).toEqual([128, 64, 4, 4]);
    expectUniform(t.weight.value, 1 / Math.sqrt(64 * 16));
  });

  it("Embedding N(0, 1); norms scale 1, shift 0, running variance 1", () => {
    expectNormal(new Embedding(1000, 64, new Rng(4)).weight.value, 1);
    const ln = new LayerNorm(8);
    expect([...(ln.weight?.value ?? [])]).toEqual(Array(8).fill(1));
    expect([...(ln.bias?.value ?? [])]).toEqual(Array(8).fill(0));
    const bn = new BatchNorm2d(4);
    expect([...(bn.weight?.value ?? [])]).toEqual([1, 1, 1, 1]);
    expect([...bn.runningMean.value]).toEqual([0, 0, 0, 0]);
    expect([...bn.runningVar.value]).toEqual([1, 1, 1, 1]);
  });
});

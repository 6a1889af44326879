import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, ShapeError } from "../../src/graph/index.js";
import { mul, sum } from "../../src/ops/index.js";
import {
  Activation,
  BatchNorm1d,
  BatchNorm2d,
  BoundContext,
  Conv1d,
  Conv2d,
  ConvTranspose2d,
  Dropout,
  Embedding,
  LayerNorm,
  Linear,
  Mlp,
  MultiHeadSelfAttention,
  Sequential,
  TransformerBlock,
  bindModule,
  namedParameters,
  namedState,
} from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { float32, int64 } from "../../src/runtime/index.js";
import { allClose } from "../helpers/evaluate.js";
import { meanStd, randomInput, runModule } from "./run-module.js";

const at = (a: ArrayLike<number>, i: number) => a[i] as number;

describe("Linear", () => {
  it("computes x Wᵀ + b over the last axis, on ORT", async () => {
    const l = new Linear(3, 2, new Rng(0));
    const x = randomInput([2, 4, 3]);
    const { y } = await runModule(l, x);
    expect(y.shape).toEqual([2, 4, 2]);
    const expected: number[] = [];
    for (let r = 0; r < 8; r++) {
      for (let o = 0; o < 2; o++) {
        let s = at(l.bias?.value ?? [], o);
        for (let i = 0; i < 3; i++) s += at(x.data as Float32Array, r * 3 + i) * at(l.weight.value, o * 3 + i);
        expected.push(s);
      }
    }
    expect(allClose([...y.values], expected, 1e-5, 1e-5)).toBe(true);
  });

  it("bakes its weights in as named initializers when bound as constants", async () => {
    const l = new Linear(3, 2, new Rng(0), { bias: false });
    expect([...namedParameters(l).keys()]).toEqual(["weight"]);
    const a = await runModule(l, randomInput([5, 3]), { bindAs: "constant" });
    const b = await runModule(l, randomInput([5, 3]), { bindAs: "input" });
    expect([...a.y.values]).toEqual([...b.y.values]);
  });

  it("is one Gemm with the weight as stored: no Transpose in the forward pass nor in its gradients", () => {
    const g = new Graph();
    const l = new Linear(3, 2, new Rng(0));
    const { bindings } = bindModule(g, l);
    const x = g.input("x", [4, 3]);
    const y = l.call(new BoundContext(true, bindings), x);
    expect(g.nodes.map((n) => n.opType)).toEqual(["Gemm"]);
    grad(sum(mul(y, y)), [x, ...bindings.values()]);
    expect(g.nodes.filter((n) => n.opType === "Transpose")).toEqual([]);
    // The one ReduceSum is the loss's own; the bias gradient is a [1, M]·G product.
    expect(g.nodes.filter((n) => n.opType === "ReduceSum").length).toBe(1);
  });

  it("takes a single vector [in] and gives [out]", async () => {
    const l = new Linear(3, 2, new Rng(0));
    const x = randomInput([3]);
    const { y } = await runModule(l, x);
    expect(y.shape).toEqual([2]);
    const { y: row } = await runModule(l, float32([1, 3], x.data as Float32Array));
    expect([...y.values]).toEqual([...row.values]);
  });

  it("names the expected shape when the input does not fit", () => {
    const g = new Graph();
    const l = new Linear(3, 2, new Rng(0));
    const ctx = new BoundContext(false, bindModule(g, l).bindings);
    expect(() => l.call(ctx, g.input("x", [4, 5]))).toThrow(ShapeError);
    expect(() => l.call(ctx, g.input("x2", [4, 5]))).toThrow("Linear: expects [..., 3], got [4, 5]");
  });
});

describe("convolutions", () => {
  it("Conv2d matches a direct cross-correlation (stride 2, padding 1)", async () => {
    const c = new Conv2d(2, 3, 3, new Rng(1), { stride: 2, padding: 1 });
    const x = randomInput([1, 2, 5, 5]);
    const { y } = await runModule(c, x);
    expect(y.shape).toEqual([1, 3, 3, 3]);
    const xv = x.data as Float32Array;
    const expected: number[] = [];
    for (let o = 0; o < 3; o++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          let s = at(c.bias?.value ?? [], o);
          for (let ch = 0; ch < 2; ch++) {
            for (let u = 0; u < 3; u++) {
              for (let v = 0; v < 3; v++) {
                const r = 2 * i - 1 + u;
                const q = 2 * j - 1 + v;
                if (r >= 0 && r < 5 && q >= 0 && q < 5) s += at(xv, ch * 25 + r * 5 + q) * at(c.weight.value, ((o * 2 + ch) * 3 + u) * 3 + v);
              }
            }
          }
          expected.push(s);
        }
      }
    }
    expect(allClose([...y.values], expected, 1e-5, 1e-5)).toBe(true);
  });

  it("Conv1d, grouped Conv2d and ConvTranspose2d give PyTorch's output shapes", async () => {
    expect((await runModule(new Conv1d(4, 6, 3, new Rng(2), { padding: 1, stride: 2 }), randomInput([2, 4, 9]))).y.shape).toEqual([2, 6, 5]);
    const grouped = new Conv2d(4, 8, 3, new Rng(3), { groups: 2, bias: false });
    expect(grouped.weight.shape).toEqual([8, 2, 3, 3]);
    expect((await runModule(grouped, randomInput([1, 4, 6, 6]))).y.shape).toEqual([1, 8, 4, 4]);
    // (H − 1)·s − 2p + k + outputPadding = 3·2 − 2 + 3 + 1 = 8
    const t = new ConvTranspose2d(3, 5, 3, new Rng(4), { stride: 2, padding: 1, outputPadding: 1 });
    expect((await runModule(t, randomInput([2, 3, 4, 4]))).y.shape).toEqual([2, 5, 8, 8]);
  });
});

describe("BatchNorm", () => {
  it("training: normalizes with batch statistics and updates the running ones (PyTorch momentum 0.1, unbiased variance)", async () => {
    const bn = new BatchNorm2d(3);
    const n = 4 * 5 * 5;
    const x = float32([4, 3, 5, 5], new Rng(5).normalArray(4 * 3 * 25, 2, 3));
    const { y, state } = await runModule(bn, x, { training: true });
    const xv = x.data as Float32Array;
    for (let c = 0; c < 3; c++) {
      const xs: number[] = [];
      const ys: number[] = [];
      for (let b = 0; b < 4; b++) {
        for (let k = 0; k < 25; k++) {
          xs.push(at(xv, (b * 3 + c) * 25 + k));
          ys.push(at(y.values, (b * 3 + c) * 25 + k));
        }
      }
      const sx = meanStd(xs);
      const sy = meanStd(ys);
      expect(Math.abs(sy.mean)).toBeLessThan(1e-5);
      expect(sy.std).toBeCloseTo(sx.std / Math.sqrt(sx.std ** 2 + 1e-5), 5);
      expect(at(state.get("runningMean") ?? [], c)).toBeCloseTo(0.1 * sx.mean, 5);
      expect(at(state.get("runningVar") ?? [], c)).toBeCloseTo(0.9 + 0.1 * ((sx.std ** 2 * n) / (n - 1)), 4);
    }
  });

  it("eval: normalizes with the running statistics and updates nothing", async () => {
    const bn = new BatchNorm1d(3);
    bn.runningMean.value.set([1, 2, 3]);
    bn.runningVar.value.set([4, 9, 16]);
    const x = randomInput([6, 3]);
    const { y, state } = await runModule(bn, x);
    expect(state.size).toBe(0);
    const expected = [...(x.data as Float32Array)].map((v, i) => (v - (i % 3) - 1) / Math.sqrt([4, 9, 16][i % 3] as number + 1e-5));
    expect(allClose([...y.values], expected, 1e-5, 1e-5)).toBe(true);
  });

  it("names its state and accepts [N, C, L] in the 1-d form", async () => {
    const bn = new BatchNorm1d(3);
    expect([...namedParameters(bn).keys()]).toEqual(["weight", "bias"]);
    expect([...namedState(bn).keys()]).toEqual(["runningMean", "runningVar"]);
    expect((await runModule(bn, randomInput([2, 3, 7]), { training: true })).y.shape).toEqual([2, 3, 7]);
    const g = new Graph();
    const ctx = new BoundContext(false, bindModule(g, bn).bindings);
    expect(() => bn.call(ctx, g.input("x", [2, 4]))).toThrow("BatchNorm1d: expects [N, 3] or [N, 3, L], got [2, 4]");
  });
});

describe("LayerNorm, Embedding", () => {
  it("LayerNorm normalizes each row of the last axis", async () => {
    const { y } = await runModule(new LayerNorm(16), float32([3, 16], new Rng(6).normalArray(48, 5, 2)));
    for (let r = 0; r < 3; r++) {
      const s = meanStd(y.values.slice(r * 16, r * 16 + 16));
      expect(Math.abs(s.mean)).toBeLessThan(1e-5);
      expect(s.std).toBeCloseTo(1, 3);
    }
  });

  it("Embedding looks rows up", async () => {
    const e = new Embedding(5, 3, new Rng(7));
    const { y } = await runModule(e, int64([2, 2], [4, 0, 4, 2]));
    expect(y.shape).toEqual([2, 2, 3]);
    const row = (i: number) => [...e.weight.value.slice(i * 3, i * 3 + 3)];
    expect([...y.values]).toEqual([...row(4), ...row(0), ...row(4), ...row(2)]);
  });
});

describe("Dropout", () => {
  it("is the identity in eval, with no noise input", async () => {
    const x = randomInput([4, 8]);
    const { y } = await runModule(new Dropout(0.5), x);
    expect([...y.values]).toEqual([...(x.data as Float32Array)]);
  });

  it("in training zeroes where the host noise is below p and scales the rest by 1/(1 − p)", async () => {
    const p = 0.3;
    const x = float32([50, 40], new Float32Array(2000).fill(2));
    const { y } = await runModule(new Dropout(p), x, { training: true, noiseSeed: 11 });
    const noise = new Rng(11).uniformArray(2000);
    expect([...y.values]).toEqual([...noise].map((u) => (u < p ? 0 : Math.fround(2 / (1 - p)))));
    const dropped = y.values.filter((v) => v === 0).length / 2000;
    expect(Math.abs(dropped - p)).toBeLessThan(0.04);
  });
});

describe("Sequential, Mlp", () => {
  it("Sequential names parameters by position and chains calls", async () => {
    const rng = new Rng(8);
    const s = new Sequential([new Linear(4, 8, rng), new Activation("relu"), new Linear(8, 2, rng)]);
    expect([...namedParameters(s).keys()]).toEqual(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]);
    expect((await runModule(s, randomInput([3, 4]))).y.shape).toEqual([3, 2]);
  });

  it("Mlp builds blocks from typed specs; no Linear bias before batch norm", async () => {
    const mlp = new Mlp(16, [{ out: 32, norm: "batch", act: "relu" }, { out: 32, norm: "layer", act: "gelu", dropout: 0.1 }, { out: 8 }], new Rng(9));
    expect([...namedParameters(mlp).keys()]).toEqual([
      "blocks.0.linear.weight",
      "blocks.0.norm.weight",
      "blocks.0.norm.bias",
      "blocks.1.linear.weight",
      "blocks.1.linear.bias",
      "blocks.1.norm.weight",
      "blocks.1.norm.bias",
      "blocks.2.linear.weight",
      "blocks.2.linear.bias",
    ]);
    expect(mlp.outFeatures).toBe(8);
    const train = await runModule(mlp, randomInput([6, 16]), { training: true });
    expect(train.y.shape).toEqual([6, 8]);
    expect([...train.state.keys()]).toEqual(["blocks.0.norm.runningMean", "blocks.0.norm.runningVar"]);
  });
});

describe("attention", () => {
  const tokens = (t: number, last: number) => float32([1, t, 8], Array.from({ length: t * 8 }, (_, i) => (i >= (t - 1) * 8 ? last : Math.sin(i))));

  it("causal: changing the last position leaves every earlier output unchanged", async () => {
    const attn = new MultiHeadSelfAttention(8, 2, new Rng(10), { causal: true });
    const a = await runModule(attn, tokens(5, 0.5));
    const b = await runModule(attn, tokens(5, -3));
    expect(a.y.shape).toEqual([1, 5, 8]);
    expect([...a.y.values.slice(0, 32)]).toEqual([...b.y.values.slice(0, 32)]);
    expect(a.y.values.slice(32)).not.toEqual(b.y.values.slice(32));
  });

  it("bidirectional: the last position changes every output", async () => {
    const attn = new MultiHeadSelfAttention(8, 2, new Rng(10));
    const a = await runModule(attn, tokens(5, 0.5));
    const b = await runModule(attn, tokens(5, -3));
    expect(Math.abs(at(a.y.values, 0) - at(b.y.values, 0))).toBeGreaterThan(1e-4);
  });

  it("TransformerBlock keeps [B, T, D] and names its parts", async () => {
    const block = new TransformerBlock(8, 2, new Rng(11), { causal: true });
    expect([...namedParameters(block).keys()].slice(0, 6)).toEqual([
      "ln1.weight",
      "ln1.bias",
      "attn.qkv.weight",
      "attn.qkv.bias",
      "attn.proj.weight",
      "attn.proj.bias",
    ]);
    expect((await runModule(block, randomInput([2, 5, 8]))).y.shape).toEqual([2, 5, 8]);
    expect(() => new MultiHeadSelfAttention(10, 3, new Rng(0))).toThrow("dModel 10 is not divisible by 3 heads");
  });
});

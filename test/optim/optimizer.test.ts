import { describe, expect, it } from "vitest";
import { Graph, type Tensor } from "../../src/graph/index.js";
import {
  type Optimizer,
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  flatLayout,
  lars,
  pack,
  partition,
  sgd,
  traceUpdate,
  unpack,
  warmupCosine,
} from "../../src/optim/index.js";
import { type HostTensor, Program, float64, toNumbers } from "../../src/runtime/index.js";
import { type RefOptimizer, type RefParam, refAdam, refLars, refSgd } from "./reference.js";
import { runTraced } from "./traced.js";

// A small model: two weights (decayed), a bias and a norm scale (not decayed), in field order.
const layout = flatLayout([
  { name: "w1", shape: [2, 3] },
  { name: "b1", shape: [3] },
  { name: "w2", shape: [3, 2] },
  { name: "scale", shape: [2] },
]);

const initial = (seed: number) =>
  new Map(layout.segments.map((s, j) => [s.name, Array.from({ length: s.size }, (_, k) => Math.sin(seed + 1.7 * j + 0.9 * k + 0.3))]));
/** Three fixed gradients, of different scales so that the trust ratio and clipping matter. */
const gradSequence = [0, 1, 2].map((step) =>
  layout.segments.map((s, j) => Array.from({ length: s.size }, (_, k) => (step + 1) * 0.3 * Math.cos(2.3 * step + 1.1 * j + 0.7 * k))),
);

/** Runs the reference on per-parameter arrays; the flat params after each step. */
function runReference(reference: RefOptimizer, seed: number, steps = 3): number[][] {
  const values = initial(seed);
  const params: RefParam[] = layout.segments.map((s) => ({ p: [...(values.get(s.name) as number[])], decay: s.decay }));
  const history: number[][] = [];
  for (let step = 0; step < steps; step++) {
    reference(params, gradSequence[step] as number[][]);
    history.push([...pack(layout, new Map(layout.segments.map((s, i) => [s.name, (params[i] as RefParam).p])))].map(Number));
  }
  return history;
}

/** Flat float64 initial params and grads (pack goes through float32, so the test packs itself). */
function flatInputs(seed: number): { params0: Float64Array; grads: Float64Array[] } {
  const flat64 = (pieces: number[][]) => Float64Array.from(pieces.flat());
  const values = initial(seed);
  return {
    params0: flat64(layout.segments.map((s) => values.get(s.name) as number[])),
    grads: gradSequence.map((g) => flat64(g)),
  };
}

/** Reference history without float32 rounding of the results, for float64 comparisons. */
function runReference64(reference: RefOptimizer, seed: number): number[][] {
  const values = initial(seed);
  const params: RefParam[] = layout.segments.map((s) => ({ p: [...(values.get(s.name) as number[])], decay: s.decay }));
  return gradSequence.map((g) => {
    reference(params, g);
    return params.flatMap((q) => q.p);
  });
}

function expectClose(actual: number[][], expected: number[][], atol: number) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, step) => {
    const exp = expected[step] as number[];
    const worst = Math.max(...row.map((v, k) => Math.abs(v - (exp[k] as number))));
    expect(worst, `step ${step}: max |traced - reference| = ${worst}`).toBeLessThanOrEqual(atol);
  });
}

async function compare(optimizer: Optimizer, reference: RefOptimizer, seed = 0) {
  const { params0, grads } = flatInputs(seed);
  const traced = await runTraced(optimizer, layout, params0, grads, "float64");
  // Sanity: the parameters moved, so an identity update cannot pass.
  expect(Math.max(...(traced[2] as number[]).map((v, k) => Math.abs(v - (params0[k] as number))))).toBeGreaterThan(1e-3);
  expectClose(traced, runReference64(reference, seed), 1e-10);
}

describe("optimizers: 3 traced steps on ORT equal PyTorch's update equations (float64)", () => {
  it("layout: weights decay, bias and scale do not", () => {
    expect(layout.segments.map((s) => [s.name, s.offset, s.size, s.decay])).toEqual([
      ["w1", 0, 6, true],
      ["b1", 6, 3, false],
      ["w2", 9, 6, true],
      ["scale", 15, 2, false],
    ]);
  });

  it("sgd, plain", async () => {
    await compare(sgd({ lr: 0.1 }), refSgd({ lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 }));
  });
  it("sgd, momentum and weight decay", async () => {
    await compare(sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.05 }), refSgd({ lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0.05 }));
  });
  it("sgd, nesterov", async () => {
    await compare(
      sgd({ lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 }),
      refSgd({ lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 }),
      1,
    );
  });

  it("adam, coupled L2 decay, scheduled lr", async () => {
    const schedule = warmupCosine({ baseLr: 0.01, warmupSteps: 1, totalSteps: 5 });
    await compare(
      adam({ lr: schedule, betas: [0.8, 0.95], eps: 1e-8, weightDecay: 0.1 }),
      refAdam({ lrAt: schedule, betas: [0.8, 0.95], eps: 1e-8, weightDecay: 0.1, decoupled: false }),
    );
  });
  it("adam, defaults", async () => {
    await compare(adam(), refAdam({ lrAt: () => 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false }), 2);
  });
  it("adamw, decoupled decay", async () => {
    await compare(
      adamw({ lr: 0.01, weightDecay: 0.5 }),
      refAdam({ lrAt: () => 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.5, decoupled: true }),
    );
  });

  it("adam, β1 = 0 (no momentum) and a small β2", async () => {
    await compare(adam({ lr: 0.05, betas: [0, 0.5] }), refAdam({ lrAt: () => 0.05, betas: [0, 0.5], eps: 1e-8, weightDecay: 0, decoupled: false }), 3);
  });
  it("adam's state holds PyTorch's moments without their (1 − β) factors", async () => {
    const [beta1, beta2] = [0.8, 0.9];
    const optimizer = adam({ betas: [beta1, beta2] });
    const graph = new Graph();
    const params = graph.input("params", [layout.size], "float64");
    const grads = graph.input("grads", [layout.size], "float64");
    const traced = traceUpdate(optimizer, layout, { params, grads });
    const inputs = [params, grads, ...Object.values(traced.stateInputs), ...Object.values(traced.scalarInputs)];
    const program = await Program.compile(graph, { inputs, outputs: { m: traced.state.gradSum as Tensor, v: traced.state.squaredGradSum as Tensor } });
    const { params0, grads: [g1, g2] } = flatInputs(9) as { params0: Float64Array; grads: [Float64Array, Float64Array] };
    let state = { m: new Float64Array(layout.size), v: new Float64Array(layout.size) };
    for (const [step, g] of [g1, g2].entries()) {
      const scalars = optimizer.scalars(step);
      const out = await program.run({
        params: float64([layout.size], params0),
        grads: float64([layout.size], g),
        "opt.state.gradSum": float64([layout.size], state.m),
        "opt.state.squaredGradSum": float64([layout.size], state.v),
        ...Object.fromEntries(Object.entries(scalars).map(([k, v]) => [`opt.scalar.${k}`, float64([], [v])])),
      });
      state = { m: Float64Array.from(toNumbers(out.m as HostTensor)), v: Float64Array.from(toNumbers(out.v as HostTensor)) };
    }
    await program.release();
    // PyTorch's exp_avg = (1−β1)(β1·g1 + g2) and exp_avg_sq = (1−β2)(β2·g1² + g2²) after two steps.
    for (let k = 0; k < layout.size; k++) {
      const [a, b] = [g1[k] as number, g2[k] as number];
      expect(state.m[k]).toBeCloseTo(beta1 * a + b, 12);
      expect(state.v[k]).toBeCloseTo(beta2 * a * a + b * b, 12);
    }
  });

  it("lars, momentum, decay only on weights", async () => {
    await compare(
      lars({ lr: 0.5, weightDecay: 1e-2 }),
      refLars({ lr: 0.5, momentum: 0.9, weightDecay: 1e-2, eta: 0.001, eps: 1e-8, nesterov: false, clipLarsLr: false }),
    );
  });
  it("lars, nesterov and clipped lars lr", async () => {
    await compare(
      lars({ lr: 0.002, weightDecay: 1e-3, trustCoefficient: 0.02, nesterov: true, clipLarsLr: true }),
      refLars({ lr: 0.002, momentum: 0.9, weightDecay: 1e-3, eta: 0.02, eps: 1e-8, nesterov: true, clipLarsLr: true }),
      3,
    );
  });

  it("float32 matches too, to float32 precision", async () => {
    const { params0, grads } = flatInputs(4);
    const traced = await runTraced(adamw({ lr: 0.01 }), layout, params0, grads, "float32");
    const reference = refAdam({ lrAt: () => 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, decoupled: true });
    expectClose(traced, runReference(reference, 4), 1e-6);
  });
});

describe("weight decay masks and LARS exclusions", () => {
  const zeroGrads = () => [new Float64Array(layout.size)];
  const bias = layout.segments[1] as (typeof layout.segments)[number];
  const w1 = layout.segments[0] as (typeof layout.segments)[number];

  it("sgd and adamw shrink weights and leave biases and scales untouched", async () => {
    const { params0 } = flatInputs(5);
    for (const [optimizer, factor] of [
      [sgd({ lr: 0.1, weightDecay: 0.2 }), 1 - 0.1 * 0.2],
      [adamw({ lr: 0.1, weightDecay: 0.2 }), 1 - 0.1 * 0.2],
    ] as const) {
      const [after] = (await runTraced(optimizer, layout, params0, zeroGrads(), "float64")) as [number[]];
      for (const s of layout.segments) {
        for (let k = s.offset; k < s.offset + s.size; k++) {
          expect(after[k]).toBeCloseTo((params0[k] as number) * (s.decay ? factor : 1), 12);
        }
      }
    }
  });

  it("lars applies the trust ratio to weights only; biases get the plain sgd step", async () => {
    const { params0, grads } = flatInputs(6);
    const g = grads[0] as Float64Array;
    const lr = 0.3;
    const wd = 0.01;
    const [after] = (await runTraced(lars({ lr, momentum: 0, weightDecay: wd }), layout, params0, [g], "float64")) as [number[]];
    for (let k = bias.offset; k < bias.offset + bias.size; k++) expect(after[k]).toBeCloseTo((params0[k] as number) - lr * (g[k] as number), 12);
    const seg = (x: ArrayLike<number>) => Array.from({ length: w1.size }, (_, k) => x[w1.offset + k] as number);
    const pn = Math.hypot(...seg(params0));
    const gn = Math.hypot(...seg(g));
    const trust = (0.001 * pn) / (gn + wd * pn + 1e-8);
    for (let k = w1.offset; k < w1.offset + w1.size; k++) {
      expect(after[k]).toBeCloseTo((params0[k] as number) - lr * trust * ((g[k] as number) + wd * (params0[k] as number)), 12);
    }
  });

  it("lars skips adaptation and decay where a segment's gradient is zero", async () => {
    const { params0, grads } = flatInputs(7);
    const g = Float64Array.from(grads[0] as Float64Array);
    g.fill(0, w1.offset, w1.offset + w1.size);
    const [after] = (await runTraced(lars({ lr: 0.3, momentum: 0, weightDecay: 0.1 }), layout, params0, [g], "float64")) as [number[]];
    for (let k = w1.offset; k < w1.offset + w1.size; k++) expect(after[k]).toBe(params0[k]);
  });
});

describe("clipByGlobalNorm and chain", () => {
  it("scales a large gradient to the max norm as clip_grad_norm_, leaves a small one", async () => {
    const l = flatLayout([{ name: "w", shape: [2, 2] }]);
    const p0 = new Float64Array(4);
    const big = Float64Array.from([3, 0, 4, 0]); // norm 5
    const small = Float64Array.from([0.1, 0.2, 0, 0]);
    const opt = chain(clipByGlobalNorm(1), sgd({ lr: 1 }));
    const [afterBig, afterSmall] = (await runTraced(opt, l, p0, [big, small], "float64")) as [number[], number[]];
    const coef = 1 / (5 + 1e-6);
    afterBig.forEach((v, k) => expect(v).toBeCloseTo(-(big[k] as number) * coef, 14));
    afterSmall.forEach((v, k) => expect(v).toBeCloseTo((afterBig[k] as number) - (small[k] as number), 14));
  });

  it("namespaces state and scalars by position", () => {
    const opt = chain(clipByGlobalNorm(1), adamw({ lr: 0.1 }));
    expect(Object.keys(opt.init(layout)).sort()).toEqual(["1.gradSum", "1.squaredGradSum"]);
    expect(Object.keys(opt.scalars(0)).sort()).toEqual(["1.eps", "1.lr", "1.negStepSize"]);
  });

  it("chain of one equals its member, under prefixed names", async () => {
    const { params0, grads } = flatInputs(8);
    const a = await runTraced(chain(sgd({ lr: 0.1, momentum: 0.9 })), layout, params0, grads, "float64");
    const b = await runTraced(sgd({ lr: 0.1, momentum: 0.9 }), layout, params0, grads, "float64");
    expectClose(a, b, 0);
  });
});

describe("scalars read the learning-rate schedule at the schedule step, and count steps at the step", () => {
  const schedule = warmupCosine({ baseLr: 0.1, warmupSteps: 4, totalSteps: 40 });

  it("adam: the rate at the schedule step, the bias corrections at the real step", () => {
    const opt = adam({ lr: schedule });
    const constant = (rate: number) => adam({ lr: rate });
    // Step 9 read at schedule step 13.5 is step 9 of an Adam with that step's rate.
    expect(opt.scalars(9, 13.5)).toEqual(constant(schedule(13.5)).scalars(9));
    expect(opt.scalars(9, 13.5).negStepSize).not.toBe(opt.scalars(13.5).negStepSize);
    expect(opt.scalars(9)).toEqual(opt.scalars(9, 9));
    const w = adamw({ lr: schedule, weightDecay: 0.1 });
    expect(w.scalars(9, 13.5).lr).toBe(schedule(13.5));
  });

  it("sgd, lars, chain and partition pass it on", () => {
    expect(sgd({ lr: schedule }).scalars(9, 13.5)).toEqual({ lr: schedule(13.5) });
    expect(lars({ lr: schedule }).scalars(9, 13.5)).toEqual({ lr: schedule(13.5) });
    const chained = chain(clipByGlobalNorm(1), adam({ lr: schedule }));
    expect(chained.scalars(9, 13.5)).toEqual(prefixed("1", adam({ lr: schedule }).scalars(9, 13.5)));
    const parts = partition({ a: sgd({ lr: schedule }), b: adam({ lr: schedule }) }, () => "a");
    expect(parts.scalars(9, 13.5)).toEqual({ ...prefixed("a", { lr: schedule(13.5) }), ...prefixed("b", adam({ lr: schedule }).scalars(9, 13.5)) });
  });
});

const prefixed = (p: string, r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [`${p}.${k}`, v]));

describe("pack and unpack", () => {
  it("round-trip in layout order", () => {
    const values = new Map(layout.segments.map((s) => [s.name, Float32Array.from({ length: s.size }, (_, k) => s.offset + k)]));
    const flat = pack(layout, values);
    expect([...flat]).toEqual(Array.from({ length: layout.size }, (_, i) => i));
    expect(unpack(layout, flat)).toEqual(values);
  });
});

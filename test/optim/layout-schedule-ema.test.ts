import { describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, ShapeError } from "../../src/graph/index.js";
import { add, mul, sum } from "../../src/ops/index.js";
import {
  constant,
  cosineMomentum,
  decayMask,
  decayMaskTensor,
  emaUpdate,
  flatLayout,
  segments,
  warmupCosine,
} from "../../src/optim/index.js";
import { plannedRate } from "../../src/optim/schedule.js";
import { type HostTensor, Program, float64, toNumbers } from "../../src/runtime/index.js";

const layout = flatLayout(
  new Map([
    ["conv.weight", { shape: [2, 1, 2, 1] }],
    ["conv.bias", { shape: [2] }],
    ["norm.scale", { shape: [2], decay: false }],
    ["head.weight", { shape: [2, 2], decay: false }],
    ["head.scalar", { shape: [] }],
  ]),
);
/** The values of a fetched output, failing clearly when it is missing. */
const values = (t: HostTensor | undefined): number[] => {
  if (t === undefined) throw new Error("output not fetched");
  return toNumbers(t);
};
const iota = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("flat layout", () => {
  it("lays out in order, decay by ndim >= 2 unless overridden", () => {
    expect(layout.size).toBe(4 + 2 + 2 + 4 + 1);
    expect(layout.segments.map((s) => [s.offset, s.decay])).toEqual([
      [0, true],
      [4, false],
      [6, false],
      [8, false],
      [12, false],
    ]);
    expect([...decayMask(layout)]).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("rejects duplicate names and empty parameters", () => {
    expect(() => flatLayout([{ name: "a", shape: [2] }, { name: "a", shape: [3] }])).toThrow(ShapeError);
    expect(() => flatLayout([{ name: "a", shape: [0, 3] }])).toThrow("no elements");
  });

  it("segments slices and reshapes on ORT, and the gradient comes back flat", async () => {
    const g = new Graph();
    const flat = g.input("flat", [layout.size], "float64");
    const pieces = segments(flat, layout);
    const w = pieces.get("conv.weight");
    const b = pieces.get("conv.bias");
    const s = pieces.get("head.scalar");
    if (w === undefined || b === undefined || s === undefined) throw new Error("missing segment");
    expect(w.shape).toEqual([2, 1, 2, 1]);
    expect(s.shape).toEqual([]);
    // loss = sum(w²) + 3·sum(b) + s: d/dflat = [2w, 3, 3, 0, 0, 0, 0, 0, 0, 1]
    const loss = add(add(sum(mul(w, w)), mul(sum(b), 3)), s);
    const [dflat] = grad(loss, [flat]);
    if (dflat === undefined) throw new Error("no gradient");
    const mask = decayMaskTensor(g, layout, "float64");
    const program = await Program.compile(g, { inputs: [flat], outputs: { w, s, dflat, mask } });
    const out = await program.run({ flat: float64([layout.size], iota(layout.size)) });
    expect(out.w?.shape).toEqual([2, 1, 2, 1]);
    expect(values(out.w)).toEqual([1, 2, 3, 4]);
    expect(values(out.s)).toEqual([13]);
    expect(values(out.dflat)).toEqual([2, 4, 6, 8, 3, 3, 0, 0, 0, 0, 0, 0, 1]);
    expect(values(out.mask)).toEqual([...decayMask(layout)]);
    await program.release();
  });

  it("segments names the expected shape when the flat tensor does not fit", () => {
    const g = new Graph();
    expect(() => segments(g.input("x", [5]), layout)).toThrow("segments: expects a flat [13] tensor");
  });
});

describe("schedules", () => {
  it("warmupCosine: 0 at step 0, base at warmup end, halfway in the middle, final at the end", () => {
    const lr = warmupCosine({ baseLr: 0.4, warmupSteps: 10, totalSteps: 110 });
    expect(lr(0)).toBe(0);
    expect(lr(5)).toBeCloseTo(0.2, 15);
    expect(lr(10)).toBeCloseTo(0.4, 15);
    expect(lr(60)).toBeCloseTo(0.2, 15);
    expect(lr(110)).toBeCloseTo(0, 15);
    expect(lr(500)).toBe(0);
    const floored = warmupCosine({ baseLr: 1, warmupSteps: 0, totalSteps: 100, finalLr: 0.1 });
    expect(floored(0)).toBe(1);
    expect(floored(50)).toBeCloseTo(0.55, 15);
    expect(floored(100)).toBeCloseTo(0.1, 15);
    expect(() => warmupCosine({ baseLr: 1, warmupSteps: 10, totalSteps: 10 })).toThrow();
  });

  it("plannedRate: a constant, or warmup over a fraction of the planned steps then cosine to 0", () => {
    expect(plannedRate(0.1, 50, { schedule: "constant", warmupFraction: 0.1 })).toBe(0.1);
    const lr = plannedRate(0.1, 50, { schedule: "warmup-cosine", warmupFraction: 0.1 });
    if (typeof lr === "number") throw new Error("expected a schedule");
    expect([lr(0), lr(5), lr(50)]).toEqual([0, 0.1, 0]);
    expect(lr(2.5 + 25)).toBeCloseTo(0.05, 12);
    // One planned step: no warmup, the rate itself.
    const one = plannedRate(0.1, 1, { schedule: "warmup-cosine", warmupFraction: 0.5 });
    expect(typeof one === "number" ? one : one(0)).toBe(0.1);
  });

  it("constant", () => {
    expect([0, 7, 1e6].map(constant(0.3))).toEqual([0.3, 0.3, 0.3]);
  });

  it("BYOL's cosine momentum rises from the base to 1", () => {
    const m = cosineMomentum({ baseMomentum: 0.996, totalSteps: 1000 });
    expect(m(0)).toBeCloseTo(0.996, 15);
    expect(m(500)).toBeCloseTo(0.998, 15);
    expect(m(1000)).toBeCloseTo(1, 15);
    expect(m(2000)).toBeCloseTo(1, 15);
  });
});

describe("emaUpdate", () => {
  it("m · target + (1 − m) · online, with a fed or a fixed momentum", async () => {
    const g = new Graph();
    const target = g.input("target", [4], "float64");
    const online = g.input("online", [4], "float64");
    const m = g.input("m", [], "float64");
    const program = await Program.compile(g, {
      inputs: [target, online, m],
      outputs: { fed: emaUpdate(target, online, m), fixed: emaUpdate(target, online, 0.75) },
    });
    const t = [1, -2, 3, 0.5];
    const o = [0, 4, -1, 0.5];
    const out = await program.run({ target: float64([4], t), online: float64([4], o), m: float64([], [0.9]) });
    values(out.fed).forEach((v, i) => expect(v).toBeCloseTo(0.9 * (t[i] as number) + 0.1 * (o[i] as number), 14));
    values(out.fixed).forEach((v, i) => expect(v).toBeCloseTo(0.75 * (t[i] as number) + 0.25 * (o[i] as number), 14));
    await program.release();
  });
});

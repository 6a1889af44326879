import { describe, expect, it } from "vitest";
import { type Optimizer, type ParameterSpec, adam, flatLayout, lars, partition, sgd, warmupCosine } from "../../src/optim/index.js";
import { runTraced, runTracedWithState } from "./traced.js";

// Groups interleave in the layout (w1 and w2 are "weights", b1 and scale "rest"), so each group
// is two runs and the combinator has to gather and scatter; a trailing "head" group is one run,
// as SimSiam's predictor.
const specs: ParameterSpec[] = [
  { name: "w1", shape: [2, 3] },
  { name: "b1", shape: [3] },
  { name: "w2", shape: [3, 2] },
  { name: "scale", shape: [2] },
  { name: "head.w", shape: [2, 2] },
  { name: "head.b", shape: [2] },
];
const layout = flatLayout(specs);
const groupOf = (name: string) => (name.startsWith("head.") ? "head" : name.startsWith("w") ? "weights" : "rest");

const steps = 3;
const params0 = Float64Array.from({ length: layout.size }, (_, k) => Math.sin(0.7 * k + 0.2));
const grads = Array.from({ length: steps }, (_, t) => Float64Array.from({ length: layout.size }, (_, k) => (t + 1) * 0.4 * Math.cos(1.9 * t + 0.8 * k)));

/** The flat indices of a group's parameters, in layout order. */
function indicesOf(group: string): number[] {
  return layout.segments.filter((s) => groupOf(s.name) === group).flatMap((s) => Array.from({ length: s.size }, (_, k) => s.offset + k));
}
const take = (x: ArrayLike<number>, idx: readonly number[]) => idx.map((i) => x[i] as number);

/** Runs `optimizer` alone on one group's parameters (their own layout, their own gradients). */
async function runAlone(optimizer: Optimizer, group: string) {
  const own = flatLayout(specs.filter((s) => groupOf(s.name) === group));
  const idx = indicesOf(group);
  return runTracedWithState(optimizer, own, take(params0, idx), grads.map((g) => take(g, idx)), "float64");
}

describe("partition", () => {
  const members = () => ({
    weights: adam({ lr: warmupCosine({ baseLr: 0.02, warmupSteps: 1, totalSteps: 5 }), weightDecay: 0.1 }),
    rest: sgd({ lr: 0.1, momentum: 0.9 }),
    head: adam({ lr: 0.005 }),
  });

  it("each group moves exactly as its optimizer alone on its own parameters", async () => {
    const together = await runTracedWithState(partition(members(), groupOf), layout, params0, grads, "float64");
    for (const [group, optimizer] of Object.entries(members())) {
      const alone = await runAlone(optimizer, group);
      const idx = indicesOf(group);
      for (let t = 0; t < steps; t++) expect(take(together.history[t] as number[], idx), `${group}, step ${t}`).toEqual(alone.history[t]);
      // The group's elements of each shared state slot are its optimizer's own state.
      for (const [slot, values] of Object.entries(alone.state)) expect(take(together.state[slot] as number[], idx), `${group}.${slot}`).toEqual(values);
    }
    // Sanity: every element moved, so an identity update on some group cannot pass.
    const last = together.history[steps - 1] as number[];
    for (const [k, v] of last.entries()) expect(Math.abs(v - (params0[k] as number)), `element ${k}`).toBeGreaterThan(1e-4);
  });

  it("two groups of the same optimizer at different constant rates: as each alone", async () => {
    const split = { rest: adam({ lr: 0.05 }), weights: adam({ lr: 0.001 }), head: adam({ lr: 0.05 }) };
    const together = await runTraced(partition(split, groupOf), layout, params0, grads, "float64");
    for (const [group, optimizer] of Object.entries(split)) {
      const alone = await runAlone(optimizer, group);
      expect(take(together[steps - 1] as number[], indicesOf(group))).toEqual(alone.history[steps - 1]);
    }
    // And unlike one Adam at either rate.
    const single = await runTraced(adam({ lr: 0.05 }), layout, params0, grads, "float64");
    expect(together[steps - 1]).not.toEqual(single[steps - 1]);
  });

  it("per-segment logic sees the group's own segments (LARS trust ratios)", async () => {
    const opt = { weights: lars({ lr: 0.5, weightDecay: 0.01 }), rest: sgd({ lr: 0.1 }), head: lars({ lr: 0.2, momentum: 0 }) };
    const together = await runTraced(partition(opt, groupOf), layout, params0, grads, "float64");
    for (const [group, optimizer] of Object.entries(opt)) {
      const alone = await runAlone(optimizer, group);
      const got = take(together[steps - 1] as number[], indicesOf(group));
      got.forEach((v, k) => expect(v).toBeCloseTo((alone.history[steps - 1] as number[])[k] as number, 14));
    }
  });

  it("one group owning everything is its optimizer, under prefixed scalar names", async () => {
    const whole = partition({ all: sgd({ lr: 0.1, momentum: 0.9 }) }, () => "all");
    expect(Object.keys(whole.scalars(0))).toEqual(["all.lr"]);
    const a = await runTraced(whole, layout, params0, grads, "float64");
    const b = await runTraced(sgd({ lr: 0.1, momentum: 0.9 }), layout, params0, grads, "float64");
    expect(a).toEqual(b);
  });

  it("namespaces scalars by group; state slots are flat [P], shared by name, each group's elements its own", () => {
    const opt = partition(members(), groupOf);
    expect(Object.keys(opt.scalars(0)).sort()).toEqual(["head.eps", "head.negStepSize", "rest.lr", "weights.eps", "weights.negStepSize"]);
    const state = opt.init(layout);
    expect(Object.keys(state).sort()).toEqual(["gradSum", "momentum", "squaredGradSum"]);
    for (const v of Object.values(state)) expect(v.length).toBe(layout.size);
  });

  it("a slot a group does not have keeps its value on that group's elements", async () => {
    const { state } = await runTracedWithState(partition(members(), groupOf), layout, params0, grads, "float64");
    for (const k of indicesOf("rest")) expect(state.gradSum?.[k]).toBe(0);
    for (const k of [...indicesOf("weights"), ...indicesOf("head")]) expect(state.momentum?.[k]).toBe(0);
  });

  it("says which parameter has no group, and which group has no parameter", () => {
    const opt = partition({ weights: sgd({ lr: 0.1 }), rest: sgd({ lr: 0.1 }) }, (n) => (n.startsWith("head.") ? undefined : groupOf(n)));
    expect(() => opt.init(layout)).toThrow('partition: parameter "head.w" matches no group (groups: weights, rest)');
    const typo = partition({ weights: sgd({ lr: 0.1 }), rest: sgd({ lr: 0.1 }) }, (n) => (n.startsWith("head.") ? "haed" : groupOf(n)));
    expect(() => typo.init(layout)).toThrow('parameter "head.w" is put in group "haed", which has no transformation');
    const unused = partition({ ...members(), predictor: sgd({ lr: 0.1 }) }, groupOf);
    expect(() => unused.init(layout)).toThrow('group "predictor" got no parameter');
    expect(() => partition({ "a.b": sgd({ lr: 0.1 }) }, () => "a.b")).toThrow('free of "."');
    expect(() => partition({}, () => "a")).toThrow("at least one group");
  });
});

import { ShapeError, type Tensor } from "../graph/index.js";
import { concat, split } from "../ops/index.js";
import type { FlatLayout, Segment } from "./layout.js";
import type { Optimizer, StepScalars } from "./optimizer.js";

/** Names the group a parameter belongs to, from its name (`predictor.layers.0.weight`); undefined for none. */
export type GroupOf = (parameterName: string) => string | undefined;

/** A run of consecutive segments of one group: elements `[offset, offset + size)` of the flat vector. */
interface Run {
  readonly group: string;
  readonly offset: number;
  readonly size: number;
}

/** One group as its transformation sees it: its own parameters, packed in layout order. */
interface GroupPlan {
  readonly name: string;
  readonly transform: Optimizer;
  /** The group's segments with offsets into the group's own vector (decay flags kept). */
  readonly layout: FlatLayout;
  /** Indices into the partition's runs, in layout order. */
  readonly runs: readonly number[];
}

interface PartitionPlan {
  readonly runs: readonly Run[];
  readonly groups: readonly GroupPlan[];
}

/**
 * Applies a different transformation to each group of parameters, as optax's `multi_transform`:
 * `groupOf` names each parameter's group, `transforms` gives each group's transformation (SimSiam:
 * the predictor at a fixed rate, everything else on the cosine schedule). Every parameter must
 * fall in a group of `transforms`, and every group must get at least one parameter (its scalars
 * would otherwise be graph inputs that nothing reads); both are checked when the update is traced.
 *
 * Each group's transformation runs on its own elements only, under a layout of just its
 * parameters, so per-segment logic (decay masks, LARS's trust ratios) sees the same segments as
 * it would alone. The flat vectors are cut into runs of consecutive same-group segments with one
 * Split each and put back with one Concat each; a group made of several runs is gathered with a
 * Concat. The alternative, running every transformation over the whole vector and selecting with
 * masks, does each group's full update on all elements (k times the optimizer's passes) plus a
 * masked sum. Measured on SimSiam's SmallCnn layout (P = 182,912, 29 segments, the predictor a
 * 2,144-element tail), the update graph alone, 1 ORT thread, loaded 2-core VM, median of 12
 * rounds of 100, three runs: one Adam 1.36–2.14 ms, two Adam groups by runs 1.48–2.15 ms, by masks
 * 1.67–2.42 ms. Either is < 1% of a SmallCnn step (~200 ms); runs cost least.
 *
 * Names: scalars are namespaced by group (`predictor.negStepSize`), as `chain` namespaces by
 * position, so groups may use the same scalar names with different values. State slots are NOT
 * namespaced: the groups own disjoint elements, so a slot name used by several groups (Adam's
 * `gradSum`) is one flat `[P]` vector laid out like the parameters, each group keeping its own
 * elements in it. That keeps the state exactly the size of one optimizer's (a train step feeds
 * and fetches every slot as a whole `[P]` vector each step), and a run's state stays loadable
 * when it is regrouped. Elements of a group without some slot keep that slot's value unchanged
 * (zero from `init`).
 */
export function partition(transforms: Readonly<Record<string, Optimizer>>, groupOf: GroupOf): Optimizer {
  const names = Object.keys(transforms);
  if (names.length === 0) throw new Error("partition: needs at least one group");
  for (const name of names) {
    // NOTE: scalars are picked back by the "group." prefix; a dot inside a name would make one group's prefix another's.
    if (name.length === 0 || name.includes(".")) throw new Error(`partition: group names must be non-empty and free of ".", got "${name}"`);
  }
  const plans = new WeakMap<FlatLayout, PartitionPlan>();
  const planFor = (layout: FlatLayout): PartitionPlan => {
    let plan = plans.get(layout);
    if (plan === undefined) {
      plan = planPartition(layout, transforms, groupOf);
      plans.set(layout, plan);
    }
    return plan;
  };
  return {
    init(layout) {
      const { runs, groups } = planFor(layout);
      const out: Record<string, Float32Array> = {};
      for (const g of groups) {
        for (const [slot, values] of Object.entries(g.transform.init(g.layout))) {
          if (values.length !== g.layout.size) throw new Error(`partition: group "${g.name}" gave slot "${slot}" ${values.length} values for its ${g.layout.size} parameters`);
          const flat = (out[slot] ??= new Float32Array(layout.size));
          let local = 0;
          for (const i of g.runs) {
            const run = runs[i] as Run;
            flat.set(values.subarray(local, local + run.size), run.offset);
            local += run.size;
          }
        }
      }
      return out;
    },

    update({ grads, params, state, scalars, layout }) {
      const { runs, groups } = planFor(layout);
      if (groups.length === 1) {
        // One group owns everything: no cutting, the member sees the flat vectors as they are.
        const g = groups[0] as GroupPlan;
        return g.transform.update({ grads, params, state, scalars: pickGroup(scalars, g.name), layout: g.layout });
      }
      const sizes = runs.map((r) => r.size);
      const cut = (x: Tensor) => split(x, sizes);
      const gather = (pieces: readonly Tensor[], g: GroupPlan) => concat(g.runs.map((i) => pieces[i] as Tensor));
      const scatter = (x: Tensor, g: GroupPlan, into: (Tensor | undefined)[]) => {
        const parts = g.runs.length === 1 ? [x] : split(x, g.runs.map((i) => (runs[i] as Run).size));
        g.runs.forEach((i, j) => (into[i] = parts[j]));
      };

      const gradPieces = cut(grads);
      const paramPieces = cut(params);
      const statePieces = new Map(Object.entries(state).map(([slot, t]) => [slot, cut(t)]));
      const updatePieces: (Tensor | undefined)[] = new Array(runs.length);
      const nextPieces = new Map<string, (Tensor | undefined)[]>();
      for (const g of groups) {
        const own: Record<string, Tensor> = {};
        for (const slot of Object.keys(g.transform.init(g.layout))) {
          const pieces = statePieces.get(slot);
          if (pieces === undefined) throw new ShapeError("partition", `group "${g.name}": missing state slot "${slot}" (have ${[...statePieces.keys()].join(", ") || "none"})`);
          own[slot] = gather(pieces, g);
        }
        const r = g.transform.update({
          grads: gather(gradPieces, g),
          params: gather(paramPieces, g),
          state: own,
          scalars: pickGroup(scalars, g.name),
          layout: g.layout,
        });
        scatter(r.updates, g, updatePieces);
        for (const [slot, next] of Object.entries(r.state)) {
          let into = nextPieces.get(slot);
          if (into === undefined) nextPieces.set(slot, (into = new Array(runs.length)));
          scatter(next, g, into);
        }
      }
      const nextState: Record<string, Tensor> = {};
      for (const [slot, pieces] of statePieces) {
        const next = nextPieces.get(slot);
        nextState[slot] = concat(pieces.map((unchanged, i) => next?.[i] ?? unchanged));
      }
      return { updates: concat(updatePieces as Tensor[]), state: nextState };
    },

    scalars(step, scheduleStep = step) {
      const out: Record<string, number> = {};
      for (const name of names) {
        for (const [k, v] of Object.entries((transforms[name] as Optimizer).scalars(step, scheduleStep))) out[`${name}.${k}`] = v;
      }
      return out;
    },
  };
}

/** The scalars of one group, without its prefix. */
function pickGroup(record: StepScalars, group: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const prefix = `${group}.`;
  for (const [k, v] of Object.entries(record)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** Groups the layout's segments and checks that every parameter has a group and every group a parameter. */
function planPartition(layout: FlatLayout, transforms: Readonly<Record<string, Optimizer>>, groupOf: GroupOf): PartitionPlan {
  const known = Object.keys(transforms);
  const runs: Run[] = [];
  const members = new Map<string, { segments: Segment[]; runs: number[]; size: number }>(known.map((n) => [n, { segments: [], runs: [], size: 0 }]));
  for (const s of layout.segments) {
    const group = groupOf(s.name);
    const member = group === undefined ? undefined : members.get(group);
    if (group === undefined || member === undefined) {
      const said = group === undefined ? "matches no group" : `is put in group "${group}", which has no transformation`;
      throw new Error(`partition: parameter "${s.name}" ${said} (groups: ${known.join(", ")})`);
    }
    const last = runs[runs.length - 1];
    if (last !== undefined && last.group === group) runs[runs.length - 1] = { ...last, size: last.size + s.size };
    else {
      member.runs.push(runs.length);
      runs.push({ group, offset: s.offset, size: s.size });
    }
    member.segments.push({ ...s, offset: member.size });
    member.size += s.size;
  }
  const empty = known.filter((n) => (members.get(n)?.size ?? 0) === 0);
  if (empty.length > 0) {
    throw new Error(`partition: group${empty.length > 1 ? "s" : ""} ${empty.map((n) => `"${n}"`).join(", ")} got no parameter (parameters: ${listed(layout.segments.map((s) => s.name))})`);
  }
  const groups = known.map((name): GroupPlan => {
    const m = members.get(name) as { segments: Segment[]; runs: number[]; size: number };
    return { name, transform: transforms[name] as Optimizer, layout: { segments: m.segments, size: m.size }, runs: m.runs };
  });
  return { runs, groups };
}

/** A list of names for an error message, cut after the first few. */
function listed(names: readonly string[], limit = 8): string {
  return names.length <= limit ? names.join(", ") : `${names.slice(0, limit).join(", ")}, … (${names.length} in all)`;
}

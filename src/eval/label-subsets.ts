import type { Dataset, Sample, SampleSpec } from "../data/index.js";
import { Rng } from "../random/rng.js";

/**
 * Indices of `perClass` examples of every class, drawn without replacement from `Rng(seed)`:
 * classes in ascending order, each taking the first `perClass` entries of a permutation of its
 * members. Returned grouped by class, members in draw order. The draw is a pure function of
 * (labels, perClass, seed), so "10 labels per class, draw 3" means the same examples in every run.
 *
 * @param labels `[N]` class ids in [0, numClasses)
 * @throws when a class has fewer than `perClass` examples
 */
export function drawPerClass(labels: Int32Array, perClass: number, seed: number, numClasses = maxLabel(labels) + 1): Int32Array {
  if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`drawPerClass: perClass must be a positive integer, got ${perClass}`);
  const members = classMembers(labels, numClasses);
  const rng = new Rng(seed);
  const out = new Int32Array(perClass * numClasses);
  members.forEach((m, c) => {
    if (m.length < perClass) throw new Error(`drawPerClass: class ${c} has ${m.length} examples, fewer than ${perClass}`);
    const perm = rng.permutation(m.length);
    for (let j = 0; j < perClass; j++) out[c * perClass + j] = m[perm[j] as number] as number;
  });
  return out;
}

/** `draws` seeded draws of `perClass` labels per class (seeds `seed`, `seed + 1`, …). */
export function labelSubsets(labels: Int32Array, perClass: number, draws: number, seed = 0, numClasses?: number): Int32Array[] {
  return Array.from({ length: draws }, (_, d) => drawPerClass(labels, perClass, seed + d, numClasses));
}

/**
 * Label draws given rather than drawn from a seed: `perClass` labelled examples of every class per
 * draw, each draw as indices into the evaluation's train dataset (the index space `drawPerClass`
 * returns). Draws stored against a larger dataset the train set is a subset of (the PyTorch
 * anchor's MNIST draws are indices into loadMnist()) are mapped with `drawsInSubset` first, so the
 * protocol itself never needs to know where its train set came from.
 */
export interface LabelDraws {
  readonly perClass: number;
  /** One entry per draw; within a draw any order (the probes do not depend on it). */
  readonly draws: readonly ArrayLike<number>[];
}

/**
 * `given.draws` checked against the train labels and copied: every draw has exactly
 * `given.perClass` distinct examples of each of the `numClasses` classes, all inside [0, N).
 *
 * @throws naming the draw and the offending index or class
 */
export function checkLabelDraws(labels: Int32Array, given: LabelDraws, numClasses = maxLabel(labels) + 1): Int32Array[] {
  const { perClass, draws } = given;
  if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`label draws: perClass must be a positive integer, got ${perClass}`);
  if (draws.length === 0) throw new Error(`label draws for ${perClass}/class: no draws given`);
  const size = perClass * numClasses;
  return draws.map((draw, d) => {
    const where = `label draws for ${perClass}/class, draw ${d}`;
    if (draw.length !== size) throw new Error(`${where}: ${draw.length} indices, expected ${perClass} per class × ${numClasses} classes = ${size}`);
    const indices = new Int32Array(size);
    const seen = new Set<number>();
    const counts = new Array<number>(numClasses).fill(0);
    for (let j = 0; j < size; j++) {
      const i = draw[j] as number;
      if (!Number.isInteger(i) || i < 0 || i >= labels.length) throw new Error(`${where}: index ${i} (position ${j}) is outside the train set [0, ${labels.length})`);
      if (seen.has(i)) throw new Error(`${where}: index ${i} appears twice`);
      seen.add(i);
      const y = labels[i] as number;
      if (!(y >= 0 && y < numClasses)) throw new Error(`${where}: index ${i} has label ${y}, outside [0, ${numClasses})`);
      counts[y] = (counts[y] as number) + 1;
      indices[j] = i;
    }
    const wrong = counts.flatMap((n, c) => (n === perClass ? [] : [`class ${c} has ${n}`]));
    if (wrong.length > 0) throw new Error(`${where}: ${wrong.join(", ")}, expected ${perClass} each`);
    return indices;
  });
}

/**
 * Draws given as indices into a parent dataset, re-expressed as positions in a subset of it:
 * `subsetRows[p]` is the parent index of the subset's row p (as `mnistSplitIndices().train` is
 * for `mnistSplit().train`). Order within each draw is kept.
 *
 * @throws when a drawn index is not one of the subset's rows
 */
export function drawsInSubset(parentDraws: readonly ArrayLike<number>[], subsetRows: ArrayLike<number>): Int32Array[] {
  const position = new Map<number, number>();
  for (let p = 0; p < subsetRows.length; p++) position.set(subsetRows[p] as number, p);
  return parentDraws.map((draw, d) =>
    Int32Array.from({ length: draw.length }, (_, j) => {
      const i = draw[j] as number;
      const p = position.get(i);
      if (p === undefined) throw new Error(`drawsInSubset: draw ${d} picks parent index ${i}, which is not in the subset (${subsetRows.length} rows)`);
      return p;
    }),
  );
}

/** A mean with its spread over draws. */
export interface MeanSd {
  readonly mean: number;
  /** Population standard deviation (ddof 0), as numpy's `np.std` the PyTorch anchor reports. */
  readonly sd: number;
  readonly values: readonly number[];
}

export function meanSd(values: readonly number[]): MeanSd {
  if (values.length === 0) throw new Error("meanSd: no values");
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, sd: Math.sqrt(variance), values: [...values] };
}

/** Rows `indices` of a `[N, dim]` matrix, copied into a new `[indices.length, dim]` one. */
export function takeRows(data: Float32Array, dim: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * dim);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i] as number;
    out.set(data.subarray(r * dim, (r + 1) * dim), i * dim);
  }
  return out;
}

/** Entries `indices` of `labels`. */
export function takeLabels(labels: Int32Array, indices: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: indices.length }, (_, i) => labels[indices[i] as number] as number);
}

function classMembers(labels: Int32Array, numClasses: number): number[][] {
  const members: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((y, i) => {
    if (!(y >= 0 && y < numClasses)) throw new Error(`label ${y} at index ${i} is outside [0, ${numClasses})`);
    (members[y] as number[]).push(i);
  });
  return members;
}

function maxLabel(labels: Int32Array): number {
  let m = -1;
  for (const y of labels) if (y > m) m = y;
  return m;
}

/** The samples of `dataset` at `indices`, in that order, without copying pixels. */
export function subsetDataset(dataset: Dataset, indices: Int32Array): Dataset {
  return new IndexedSubset(dataset, indices);
}

class IndexedSubset implements Dataset {
  readonly spec: SampleSpec;
  readonly numClasses?: number;
  readonly labels?: Int32Array;
  readonly classNames?: readonly string[];

  constructor(
    private readonly parent: Dataset,
    private readonly indices: Int32Array,
  ) {
    this.spec = parent.spec;
    if (parent.classNames !== undefined) this.classNames = parent.classNames;
    if (parent.numClasses !== undefined) this.numClasses = parent.numClasses;
    if (parent.labels !== undefined) this.labels = takeLabels(parent.labels, indices);
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): Sample {
    if (!Number.isInteger(index) || index < 0 || index >= this.indices.length) throw new RangeError(`subset index ${index} out of range [0, ${this.indices.length})`);
    return this.parent.get(this.indices[index] as number);
  }
}

/**
 * A stratified split of example indices: from each class, round(f · n_c) examples of a
 * permutation drawn from `rng` (classes in ascending order) are held out. `keep` settles a small
 * class: "one-held" holds out at least one example (a validation slice that scores every class),
 * "one-fit" leaves at least one to train on (a class of one example is all training).
 */
export function stratifiedHoldOut(labels: Int32Array, classes: number, fraction: number, rng: Rng, keep: "one-held" | "one-fit"): { fit: Int32Array; held: Int32Array } {
  const fit: number[] = [];
  const held: number[] = [];
  for (let c = 0; c < classes; c++) {
    const members: number[] = [];
    labels.forEach((y, i) => {
      if (y === c) members.push(i);
    });
    const perm = rng.permutation(members.length);
    const share = Math.round(members.length * fraction);
    const k = keep === "one-held" ? Math.max(1, share) : Math.min(members.length - 1, share);
    perm.forEach((p, j) => (j < k ? held : fit).push(members[p] as number));
  }
  return { fit: Int32Array.from(fit), held: Int32Array.from(held) };
}

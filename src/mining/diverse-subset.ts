import { l2NormalizeRows } from "../eval/knn.js";
import { Rng } from "../random/rng.js";
import { checkEmbeddings } from "./exact-neighbours.js";

export interface DiverseSubsetOptions {
  /** Seeds the first pick when nothing is selected yet. */
  readonly seed?: number;
  /** Items already chosen (labelled before): the new picks cover what they leave uncovered. */
  readonly selected?: Int32Array;
  /**
   * `[n]` cluster of each item (e.g. `findClusters(...).assignments`): picks go round-robin over
   * the clusters in id order, each the member farthest from everything selected so far, so every
   * cluster is represented before any gets its second pick (LightlyOne's BALANCE with DIVERSITY).
   */
  readonly clusters?: Int32Array;
}

export interface DiverseSubset {
  /** `[picked]` the new items, in the order picked. */
  readonly indices: Int32Array;
  /**
   * `[picked]` the cosine distance of each pick to its nearest earlier selection when picked: the
   * covering radius k-center minimizes, non-increasing without `clusters`; Infinity for a first pick.
   */
  readonly distances: Float32Array;
}

/**
 * Greedy k-center selection (Gonzalez 1985; the core-set of Sener & Savarese 2018, LightlyOne's
 * DIVERSITY strategy): repeatedly pick the item farthest, in cosine distance 1 − s, from its
 * nearest already selected item. A 2-approximation of the smallest radius that covers the data
 * with `count` balls. Memory O(n): one array of each item's distance to the selection.
 *
 * @param embeddings `[n, dim]`
 * @param count new items to pick (at most the unselected items, or fewer if a balanced pick runs out)
 */
export function diverseSubset(embeddings: Float32Array, dim: number, count: number, options: DiverseSubsetOptions = {}): DiverseSubset {
  const n = checkEmbeddings("diverseSubset", "embeddings", embeddings, dim);
  const { seed = 0, selected = new Int32Array(0), clusters } = options;
  if (!Number.isInteger(count) || count < 0) throw new Error(`diverseSubset: count must be a non-negative integer, got ${count}`);
  if (clusters !== undefined && clusters.length !== n) throw new Error(`diverseSubset: ${clusters.length} cluster ids for ${n} items`);
  const unit = l2NormalizeRows(embeddings, dim);
  // NOTE: Float64, so that items at equal distance compare equal and ties go to the lower index.
  const nearest = new Float64Array(n).fill(Infinity);
  const taken = new Uint8Array(n);
  const cover = (item: number) => {
    taken[item] = 1;
    nearest[item] = -Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i] === 1) continue;
      let s = 0;
      for (let j = 0; j < dim; j++) s += (unit[i * dim + j] as number) * (unit[item * dim + j] as number);
      const d = 1 - s;
      if (d < (nearest[i] as number)) nearest[i] = d;
    }
  };
  for (let i = 0; i < selected.length; i++) {
    const item = selected[i] as number;
    if (!(Number.isInteger(item) && item >= 0 && item < n)) throw new Error(`diverseSubset: selected[${i}] = ${item} is not one of the ${n} items`);
    if (taken[item] === 0) cover(item);
  }
  const order = clusters === undefined ? null : clusterOrder(clusters);
  const wanted = Math.min(count, n - taken.reduce((a, b) => a + b, 0));
  const indices: number[] = [];
  const distances: number[] = [];
  const rng = new Rng(seed);
  let turn = 0;
  let idleTurns = 0;
  while (indices.length < wanted) {
    const among = order === null ? null : (order[turn++ % order.length] as Int32Array);
    const pick = indices.length === 0 && selected.length === 0 ? (among === null ? rng.int(n) : (among[rng.int(among.length)] as number)) : farthest(nearest, among);
    if (pick === -1) {
      // A cluster with nothing left yields no pick; all of them in a row means nothing is left.
      if (++idleTurns >= (order as Int32Array[]).length) break;
      continue;
    }
    idleTurns = 0;
    distances.push(nearest[pick] as number);
    indices.push(pick);
    cover(pick);
  }
  return { indices: Int32Array.from(indices), distances: Float32Array.from(distances) };
}

/** The untaken item (of `among`, or of all) farthest from the selection; −1 when none is left. */
function farthest(nearest: Float64Array, among: Int32Array | null): number {
  let best = -1;
  let bestDistance = -Infinity;
  const count = among === null ? nearest.length : among.length;
  for (let j = 0; j < count; j++) {
    const i = among === null ? j : (among[j] as number);
    const d = nearest[i] as number;
    if (d > bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return best;
}

/** Members of each non-empty cluster, ascending, clusters in id order. */
function clusterOrder(clusters: Int32Array): Int32Array[] {
  const byId = new Map<number, number[]>();
  clusters.forEach((c, i) => {
    const list = byId.get(c);
    if (list === undefined) byId.set(c, [i]);
    else list.push(i);
  });
  return [...byId.entries()].sort((a, b) => a[0] - b[0]).map(([, list]) => Int32Array.from(list));
}

import type { Neighbours } from "./exact-neighbours.js";

export interface RetrievalLabels {
  /** `[queries]` class of each query. */
  readonly queryLabels: ArrayLike<number>;
  /**
   * `[n]` class of each searched item, when the queries are not the searched items themselves
   * (`exactSearch`). Absent: query i is item i of `exactNeighbours`, and is not its own match.
   */
  readonly referenceLabels?: ArrayLike<number>;
}

/**
 * Label-agreement precision@k: the share of each query's k nearest neighbours that carry its
 * label, averaged over the queries.
 */
export function precisionAtK(neighbours: Neighbours, labels: RetrievalLabels, k: number = neighbours.k): number {
  if (!Number.isInteger(k) || k < 1 || k > neighbours.k) throw new Error(`precisionAtK: k must be an integer in [1, ${neighbours.k}] (the neighbours given), got ${k}`);
  const { queryLabels } = labels;
  const reference = labels.referenceLabels ?? queryLabels;
  const q = checkQueries("precisionAtK", neighbours, queryLabels);
  let total = 0;
  for (let i = 0; i < q; i++) {
    let hits = 0;
    for (let j = 0; j < k; j++) if (reference[neighbours.indices[i * neighbours.k + j] as number] === queryLabels[i]) hits++;
    total += hits / k;
  }
  return total / q;
}

/**
 * Mean average precision at R (Musgrave, Belongie & Lim 2020, "A Metric Learning Reality Check",
 * §3.2): for a query with R other items of its class,
 *
 *   MAP@R = (1/R) Σ_{i=1..R} P(i) · [the i-th neighbour is of the class],  P(i) = precision@i,
 *
 * i.e. average precision with the ranking cut at R, so it rewards ranking all R matches first.
 * Queries with R = 0 (the only item of their class) are left out of the mean.
 *
 * @param neighbours at least max R neighbours per query (for MNIST's test split, 1,134)
 */
export function meanAveragePrecisionAtR(neighbours: Neighbours, labels: RetrievalLabels): number {
  const { queryLabels } = labels;
  const self = labels.referenceLabels === undefined;
  const reference = labels.referenceLabels ?? queryLabels;
  const q = checkQueries("meanAveragePrecisionAtR", neighbours, queryLabels);
  const classSizes = new Map<number, number>();
  for (let i = 0; i < reference.length; i++) classSizes.set(reference[i] as number, (classSizes.get(reference[i] as number) ?? 0) + 1);
  let total = 0;
  let counted = 0;
  for (let i = 0; i < q; i++) {
    const y = queryLabels[i] as number;
    const r = (classSizes.get(y) ?? 0) - (self ? 1 : 0);
    if (r <= 0) continue;
    if (r > neighbours.k) throw new Error(`meanAveragePrecisionAtR: query ${i} has R = ${r} items of its class but only ${neighbours.k} neighbours were found; search with k ≥ ${r}`);
    let hits = 0;
    let sum = 0;
    for (let j = 0; j < r; j++) {
      if (reference[neighbours.indices[i * neighbours.k + j] as number] === y) {
        hits++;
        sum += hits / (j + 1);
      }
    }
    total += sum / r;
    counted++;
  }
  if (counted === 0) throw new Error("meanAveragePrecisionAtR: no query has another item of its class");
  return total / counted;
}

/** The largest R of any query: the k `meanAveragePrecisionAtR` needs. */
export function largestClassMatchCount(labels: RetrievalLabels): number {
  const reference = labels.referenceLabels ?? labels.queryLabels;
  const sizes = new Map<number, number>();
  for (let i = 0; i < reference.length; i++) sizes.set(reference[i] as number, (sizes.get(reference[i] as number) ?? 0) + 1);
  let largest = 0;
  for (let i = 0; i < labels.queryLabels.length; i++) largest = Math.max(largest, sizes.get(labels.queryLabels[i] as number) ?? 0);
  return labels.referenceLabels === undefined ? Math.max(0, largest - 1) : largest;
}

function checkQueries(where: string, neighbours: Neighbours, queryLabels: ArrayLike<number>): number {
  const q = neighbours.indices.length / neighbours.k;
  if (queryLabels.length !== q) throw new Error(`${where}: ${queryLabels.length} query labels for ${q} queries`);
  if (q === 0) throw new Error(`${where}: no queries`);
  return q;
}

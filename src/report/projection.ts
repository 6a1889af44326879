import { UMAP } from "umap-js";
import { Rng } from "../random/rng.js";
import type { EmbeddingSet } from "./run.js";

/** How the report draws the test embeddings in two dimensions. */
export interface EmbeddingMapOptions {
  /** Seeds the subsample, UMAP's initialization and its negative sampling, so a report is reproducible. */
  readonly seed: number;
  /**
   * At most this many points are mapped (a seeded random subset). 2000 because umap-js takes
   * ~6 s for 2000 points of dimension 64 on one core here (measured), and a scatter plot of more
   * points shows no more structure.
   */
  readonly maxPoints: number;
  /** UMAP's neighbourhood size; 15 is umap-learn's default. */
  readonly nNeighbors: number;
  /** UMAP's minimum distance between embedded points; 0.1 is umap-learn's default. */
  readonly minDist: number;
}

export const defaultEmbeddingMapOptions: EmbeddingMapOptions = { seed: 0, maxPoints: 2000, nNeighbors: 15, minDist: 0.1 };

export interface EmbeddingMap {
  /** "pca" when there are too few points for UMAP's neighbourhood graph. */
  readonly method: "umap" | "pca";
  /** Which test examples were mapped (ascending). */
  readonly indices: Int32Array;
  /** [indices.length, 2] coordinates, row-major. */
  readonly xy: Float32Array;
}

/** Rows of `set.embeddings` at `indices`, each scaled to unit L2 norm. */
function normalizedRows(set: EmbeddingSet, indices: Int32Array): Float64Array[] {
  const { embeddings, d } = set;
  return Array.from(indices, (i) => {
    const row = Float64Array.from(embeddings.subarray(i * d, (i + 1) * d));
    let ss = 0;
    for (const v of row) ss += v * v;
    // NOTE: the epsilon keeps an all-zero embedding (a collapsed encoder) at zero instead of NaN.
    const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
    for (let j = 0; j < d; j++) row[j] = (row[j] ?? 0) * inv;
    return row;
  });
}

/**
 * The top two principal components of `rows` by power iteration on XᵀX without forming it
 * (O(n·d) per iteration), the second deflated against the first. Returns [n, 2] coordinates.
 */
export function pca2d(rows: readonly Float64Array[], rng: Rng, iterations = 100): Float32Array {
  const n = rows.length;
  const d = rows[0]?.length ?? 0;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] = (mean[j] ?? 0) + (r[j] ?? 0) / n;
  const centered = rows.map((r) => r.map((v, j) => v - (mean[j] ?? 0)));
  const components: Float64Array[] = [];
  for (let c = 0; c < Math.min(2, d); c++) {
    let v = Float64Array.from({ length: d }, () => rng.normal());
    for (let it = 0; it < iterations; it++) {
      const next = new Float64Array(d);
      for (const r of centered) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (r[j] ?? 0) * (v[j] ?? 0);
        for (let j = 0; j < d; j++) next[j] = (next[j] ?? 0) + dot * (r[j] ?? 0);
      }
      for (const p of components) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (next[j] ?? 0) * (p[j] ?? 0);
        for (let j = 0; j < d; j++) next[j] = (next[j] ?? 0) - dot * (p[j] ?? 0);
      }
      let norm = 0;
      for (const x of next) norm += x * x;
      norm = Math.sqrt(norm);
      // NOTE: a zero vector means no variance is left (all points equal, or d = 1): keep v as is.
      if (norm < 1e-300) break;
      v = next.map((x) => x / norm);
    }
    components.push(v);
  }
  const xy = new Float32Array(n * 2);
  centered.forEach((r, i) => {
    components.forEach((p, c) => {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += (r[j] ?? 0) * (p[j] ?? 0);
      xy[i * 2 + c] = dot;
    });
  });
  return xy;
}

/**
 * A 2-D map of the test embeddings: UMAP (umap-js, seeded) of the L2-normalized embeddings, so
 * Euclidean distance orders pairs as cosine similarity does, the similarity SSL losses train;
 * PCA when there are too few points for a neighbourhood graph.
 */
export function embeddingMap(set: EmbeddingSet, options: Partial<EmbeddingMapOptions> = {}): EmbeddingMap {
  const opts = { ...defaultEmbeddingMapOptions, ...options };
  const rng = new Rng(opts.seed);
  let indices: Int32Array;
  if (set.n <= opts.maxPoints) {
    indices = Int32Array.from({ length: set.n }, (_, i) => i);
  } else {
    indices = rng.permutation(set.n).slice(0, opts.maxPoints).sort();
  }
  const rows = normalizedRows(set, indices);
  // NOTE: UMAP's k-nearest-neighbour graph needs many more points than neighbours; with fewer than
  // twice nNeighbors every point is everyone's neighbour and the map is mostly its random start.
  if (rows.length <= 2 * opts.nNeighbors || set.d < 3) {
    return { method: "pca", indices, xy: pca2d(rows, rng) };
  }
  const umap = new UMAP({ nComponents: 2, nNeighbors: opts.nNeighbors, minDist: opts.minDist, random: () => rng.uniform() });
  const out = umap.fit(rows.map((r) => Array.from(r)));
  const xy = new Float32Array(out.length * 2);
  out.forEach((p, i) => {
    xy[i * 2] = p[0] ?? 0;
    xy[i * 2 + 1] = p[1] ?? 0;
  });
  return { method: "umap", indices, xy };
}

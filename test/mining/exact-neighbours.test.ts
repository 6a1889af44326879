import { describe, expect, it } from "vitest";
import { exactNeighbours, exactSearch } from "../../src/mining/index.js";
import { TopKSelector } from "../../src/mining/top-k.js";
import { Rng } from "../../src/random/rng.js";
import { golden } from "./golden.js";

/** Brute force in float64: every other row by cosine similarity, ties to the lower index. */
function bruteForce(base: Float32Array, queries: Float32Array, dim: number, k: number, self: boolean): { indices: number[]; similarities: number[] } {
  const norm = (x: Float32Array, r: number) => Math.hypot(...x.subarray(r * dim, (r + 1) * dim));
  const indices: number[] = [];
  const similarities: number[] = [];
  for (let q = 0; q < queries.length / dim; q++) {
    const row: { s: number; j: number }[] = [];
    for (let j = 0; j < base.length / dim; j++) {
      if (self && j === q) continue;
      let s = 0;
      for (let d = 0; d < dim; d++) s += (queries[q * dim + d] as number) * (base[j * dim + d] as number);
      row.push({ s: s / (norm(queries, q) * norm(base, j)), j });
    }
    row.sort((a, b) => b.s - a.s || a.j - b.j);
    for (const { s, j } of row.slice(0, k)) {
      indices.push(j);
      similarities.push(s);
    }
  }
  return { indices, similarities };
}

describe("exactNeighbours", () => {
  it("matches scikit-learn's cosine kneighbors (self left out)", async () => {
    const x = Float32Array.from(golden.x);
    const result = await exactNeighbours(x, golden.dim, { k: golden.k });
    expect(Array.from(result.indices)).toEqual(golden.neighbour_indices);
    const distances = Array.from(result.similarities, (s) => 1 - s);
    distances.forEach((d, i) => expect(d).toBeCloseTo(golden.neighbour_distances[i] as number, 5));
  });

  it("is the same across query blocks, for chosen rows, and puts ties at the lower index", async () => {
    const rng = new Rng(3);
    const dim = 6;
    const x = rng.normalArray(90 * dim);
    // rows 10, 40 and 70 are the same vector (and 41 a scaled copy): ties among them
    for (const r of [40, 70]) x.set(x.subarray(10 * dim, 11 * dim), r * dim);
    x.set(x.subarray(10 * dim, 11 * dim).map((v) => 2 * v), 41 * dim);
    const whole = await exactNeighbours(x, dim, { k: 7 });
    const blocked = await exactNeighbours(x, dim, { k: 7, blockSize: 90 * 4 });
    expect(blocked.indices).toEqual(whole.indices);
    const expected = bruteForce(x, x, dim, 7, true);
    expect(Array.from(whole.indices)).toEqual(expected.indices);
    expect(Array.from(whole.indices.subarray(10 * 7, 10 * 7 + 3))).toEqual([40, 41, 70]);
    expect(Array.from(whole.indices.subarray(70 * 7, 70 * 7 + 3))).toEqual([10, 40, 41]);
    const rows = Int32Array.of(70, 3, 10);
    const some = await exactNeighbours(x, dim, { k: 7, rows });
    rows.forEach((r, i) => expect(some.indices.subarray(i * 7, (i + 1) * 7)).toEqual(whole.indices.subarray(r * 7, (r + 1) * 7)));
  });

  it("searches external queries without leaving anything out", async () => {
    const rng = new Rng(5);
    const dim = 4;
    const base = rng.normalArray(50 * dim);
    const queries = rng.normalArray(13 * dim);
    queries.set(base.subarray(7 * dim, 8 * dim), 0);
    const result = await exactSearch(base, dim, queries, { k: 5, blockSize: 100 });
    const expected = bruteForce(base, queries, dim, 5, false);
    expect(Array.from(result.indices)).toEqual(expected.indices);
    result.similarities.forEach((s, i) => expect(s).toBeCloseTo(expected.similarities[i] as number, 5));
    expect(result.indices[0]).toBe(7);
  });

  it("refuses k beyond the other rows, ragged data and non-finite values", async () => {
    await expect(exactNeighbours(new Float32Array(8), 2, { k: 4 })).rejects.toThrow("k must be an integer in [1, 3]");
    await expect(exactNeighbours(new Float32Array(7), 2)).rejects.toThrow("not rows of 2");
    await expect(exactNeighbours(Float32Array.of(1, 2, 3, Number.NaN), 2, { k: 1 })).rejects.toThrow("embeddings [row 1, column 1] is NaN");
    await expect(exactNeighbours(new Float32Array(8), 2, { k: 1, rows: Int32Array.of(4) })).rejects.toThrow("rows[0] = 4");
    await expect(exactSearch(new Float32Array(8), 2, new Float32Array(3))).rejects.toThrow("queries hold 3 values");
  });
});

describe("TopKSelector", () => {
  it("agrees with a full sort for small and large k, with many ties", () => {
    const rng = new Rng(9);
    for (const k of [1, 3, 40, 199]) {
      const row = Float32Array.from({ length: 200 }, () => Math.round(rng.normal() * 4) / 4);
      const exclude = k % 2 === 0 ? 17 : -1;
      const values = new Float32Array(k);
      const indices = new Int32Array(k);
      new TopKSelector(k).select(row, exclude, values, indices);
      const order = Array.from(row.keys()).filter((i) => i !== exclude).sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
      expect(Array.from(indices)).toEqual(order.slice(0, k));
      expect(Array.from(values)).toEqual(order.slice(0, k).map((i) => row[i]));
    }
  });
});

import { describe, expect, it } from "vitest";
import { ArrayDataset } from "../../src/data/dataset.js";
import { imageBatch, imageDataset } from "../../src/data/image/image-dataset.js";
import { type Batch, DataLoader } from "../../src/data/loader.js";
import { textSpec } from "../../src/data/sample.js";
import type { Rng } from "../../src/random/rng.js";

/** n samples of shape [1, 2, 2] whose four pixels all hold the sample's index; label = index mod 3. */
function numbered(n: number): ArrayDataset {
  const images = new Float32Array(n * 4);
  for (let i = 0; i < n * 4; i++) images[i] = Math.floor(i / 4);
  return imageDataset(images, [1, 2, 2], { labels: Int32Array.from({ length: n }, (_, i) => i % 3) });
}

const pixels = (b: Batch): Float32Array => imageBatch(b, "test").images;

const data = numbered(103);
const rows = (b: Batch): number[] => Array.from(b.indices);
const epochRows = (loader: DataLoader): number[] => [...loader].flatMap(rows);

describe("DataLoader", () => {
  it("assembles contiguous NCHW batches with int64 labels", () => {
    const loader = new DataLoader(data, { batchSize: 10, seed: 1 });
    const b = loader.next();
    expect(b.size).toBe(10);
    expect(b.fields.image?.shape).toEqual([10, 1, 2, 2]);
    expect(pixels(b)).toBeInstanceOf(Float32Array);
    expect(pixels(b).length).toBe(40);
    expect(b.labels).toBeInstanceOf(BigInt64Array);
    for (let r = 0; r < 10; r++) {
      const i = b.indices[r] as number;
      expect(Array.from(pixels(b).subarray(r * 4, r * 4 + 4))).toEqual([i, i, i, i]);
      expect(b.labels?.[r]).toBe(BigInt(i % 3));
    }
  });

  it("yields every index exactly once per epoch without dropLast, and a new order each epoch", () => {
    const loader = new DataLoader(data, { batchSize: 10, seed: 7, dropLast: false });
    expect(loader.batchesPerEpoch).toBe(11);
    const sizes = [...new DataLoader(data, { batchSize: 10, seed: 7, dropLast: false })].map((b) => b.indices.length);
    expect(sizes).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
    const e0 = epochRows(loader);
    const e1 = epochRows(loader);
    expect([...e0].sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect([...e1].sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(e1).not.toEqual(e0);
    expect(loader.position).toEqual({ epoch: 2, batchIndex: 0 });
  });

  it("drops the short last batch by default", () => {
    const loader = new DataLoader(data, { batchSize: 10 });
    expect(loader.batchesPerEpoch).toBe(10);
    expect([...loader].every((b) => b.indices.length === 10)).toBe(true);
  });

  it("gives identical batches for the same seed and a different order for another", () => {
    const a = epochRows(new DataLoader(data, { batchSize: 8, seed: 5 }));
    const b = epochRows(new DataLoader(data, { batchSize: 8, seed: 5 }));
    const c = epochRows(new DataLoader(data, { batchSize: 8, seed: 6 }));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("keeps dataset order without shuffling", () => {
    const loader = new DataLoader(data, { batchSize: 50, shuffle: false, dropLast: false });
    expect(epochRows(loader)).toEqual(Array.from({ length: 103 }, (_, i) => i));
  });

  it("resumes mid-epoch from a saved position with the same next batch", () => {
    const run = new DataLoader(data, { batchSize: 8, seed: 3 });
    for (let k = 0; k < 17; k++) run.next(); // into epoch 1 (12 batches per epoch)
    const saved = JSON.parse(JSON.stringify(run.position));
    expect(saved).toEqual({ epoch: 1, batchIndex: 5 });
    const expected = [run.next(), run.next()];

    const resumed = new DataLoader(data, { batchSize: 8, seed: 3 });
    resumed.seek(saved);
    const got = [resumed.next(), resumed.next()];
    expect(got.map(rows)).toEqual(expected.map(rows));
    expect(pixels(got[0] as Batch)).toEqual(pixels(expected[0] as Batch));
    // Random access agrees with sequential iteration.
    expect(rows(resumed.batch(1, 5))).toEqual(rows(expected[0] as Batch));
  });

  it("gives each batch's transform a generator fixed by (seed, epoch, batchIndex)", () => {
    const noise = (b: Batch, rng: Rng): Float32Array => pixels(b).map((v) => v + rng.uniform());
    const withIndices = (b: Batch, rng: Rng) => ({ images: noise(b, rng), indices: b.indices });
    const a = new DataLoader(data, { batchSize: 8, seed: 2, transform: withIndices });
    const first = a.next();
    const second = a.next();
    // Rebuilt out of order and on a fresh loader: the same noise.
    expect(a.batch(0, 0).images).toEqual(first.images);
    const b = new DataLoader(data, { batchSize: 8, seed: 2, transform: withIndices });
    b.seek({ epoch: 0, batchIndex: 1 });
    expect(b.next().images).toEqual(second.images);
    // Different batches and different epochs draw different noise.
    const noiseOf = (x: { images: Float32Array; indices: Int32Array }): number[] => Array.from(x.images.subarray(0, 4), (v, k) => v - (x.indices[Math.floor(k / 4)] as number));
    expect(noiseOf(first)).not.toEqual(noiseOf(second));
    expect(noiseOf(a.batch(1, 0))).not.toEqual(noiseOf(first));
  });

  it("prefetches in the async iterator without disturbing order or position", async () => {
    const sync = epochRows(new DataLoader(data, { batchSize: 8, seed: 9 }));
    const loader = new DataLoader(data, { batchSize: 8, seed: 9 });
    const seen: number[] = [];
    for await (const batch of loader) {
      seen.push(...rows(batch));
      await new Promise((resolve) => setTimeout(resolve, 1)); // the "training step"
    }
    expect(seen).toEqual(sync);
    expect(loader.position).toEqual({ epoch: 1, batchIndex: 0 });

    // Breaking out mid-epoch discards the prefetched batch: the position is the next unseen one.
    const partial = new DataLoader(data, { batchSize: 8, seed: 9 });
    let count = 0;
    for await (const _ of partial) if (++count === 4) break;
    expect(partial.position).toEqual({ epoch: 0, batchIndex: 4 });
    expect(rows(partial.next())).toEqual(sync.slice(32, 40));
  });

  it("builds batch k+1 while the consumer awaits step k, and surfaces a failed prefetch", async () => {
    const built: number[] = [];
    const log = (b: Batch): Batch => {
      built.push(b.batchIndex);
      if (b.batchIndex === 3) throw new Error("bad batch 3");
      return b;
    };
    const loader = new DataLoader(data, { batchSize: 8, seed: 4, transform: log });
    const consumed: number[] = [];
    const run = async (): Promise<void> => {
      for await (const batch of loader) {
        consumed.push(batch.batchIndex);
        await new Promise((resolve) => setTimeout(resolve, 1));
        // A check phase after the timer: on a loaded machine the timer can fire before the
        // event-loop turn that runs prefetches queued during a check phase.
        await new Promise((resolve) => setImmediate(resolve));
        expect(built).toContain(batch.batchIndex + 1);
      }
    };
    await expect(run()).rejects.toThrow(/bad batch 3/);
    expect(consumed).toEqual([0, 1, 2]);
    expect(loader.position).toEqual({ epoch: 0, batchIndex: 3 });
  });

  it("prepares `prefetch` batches ahead while the consumer awaits, and none past the epoch", async () => {
    for (const prefetch of [0, 1, 3]) {
      const built: number[] = [];
      const loader = new DataLoader(data, { batchSize: 8, seed: 4, prefetch, transform: (b) => (built.push(b.batchIndex), b) });
      const perEpoch = loader.batchesPerEpoch;
      for await (const batch of loader) {
        await new Promise((resolve) => setTimeout(resolve, 1)); // the "training step"
        await new Promise((resolve) => setImmediate(resolve)); // and a check phase after it
        expect(Math.max(...built)).toBe(Math.min(perEpoch - 1, batch.batchIndex + prefetch));
      }
      expect(built).toEqual(Array.from({ length: perEpoch }, (_, i) => i));
    }
    expect(() => new DataLoader(data, { batchSize: 8, prefetch: -1 })).toThrow("prefetch must be an integer >= 0, got -1");
  });

  it("stacks every field of any modality, int64 token ids included", () => {
    const tokens = BigInt64Array.from({ length: 5 * 3 }, (_, i) => BigInt(i));
    const text = new ArrayDataset({ spec: textSpec(3), fields: { tokens }, labels: Int32Array.from([0, 1, 0, 1, 0]) });
    const b = new DataLoader(text, { batchSize: 2, shuffle: false }).batch(0, 1);
    expect(b.spec.modality).toBe("text");
    expect(b.fields.tokens?.dtype).toBe("int64");
    expect(b.fields.tokens?.shape).toEqual([2, 3]);
    expect(Array.from(b.fields.tokens?.data ?? [], Number)).toEqual([6, 7, 8, 9, 10, 11]);
    expect(() => imageBatch(b, "simclr")).toThrow('simclr needs the field "image"; the batch has tokens');
  });

  it("rejects a batch size that leaves no batch with dropLast", () => {
    expect(() => new DataLoader(numbered(5), { batchSize: 8 })).toThrow(/no batch/);
  });
});

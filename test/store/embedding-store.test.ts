import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArrayDataset } from "../../src/data/dataset.js";
import { tableSpec } from "../../src/data/sample.js";
import { MlpEncoder } from "../../src/nn/encoders/mlp-encoder.js";
import { Rng } from "../../src/random/rng.js";
import { EmbeddingStore } from "../../src/store/embedding-store.js";
import { type IndexSource, indexDatasets } from "../../src/store/index-dataset.js";
import type { StoreManifest } from "../../src/store/store-manifest.js";
import { blobs } from "../eval/blobs.js";

const DIM = 16;

function manifest(splits: { name: string; length: number }[], dim = DIM): StoreManifest {
  let firstId = 0;
  return {
    format: "pretext-index",
    version: 1,
    encoder: { run: "runs/x", method: "scarf", name: "mlp", weightsSha256: "ab".repeat(32), dim, modality: "table" },
    data: "blobs",
    classNames: null,
    splits: splits.map((s) => {
      const split = { ...s, firstId };
      firstId += s.length;
      return split;
    }),
    complete: false,
    annIndex: null,
  };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "pretext-store-"));
}

function blobSource(split: string, n: number, seed: number): IndexSource {
  const { features, labels } = blobs(n / 4, 4, 8, 4, seed);
  return { split, dataset: new ArrayDataset({ spec: tableSpec(8), fields: { row: features }, labels }) };
}

describe("EmbeddingStore", () => {
  it("appends batches and reads them back in id order; exact search finds an item first, filters and caps at the table", async () => {
    const dir = join(tempDir(), "db");
    const store = await EmbeddingStore.create(dir, manifest([{ name: "train", length: 6 }]));
    const rng = new Rng(1);
    const vectors = rng.normalArray(6 * DIM);
    const batch = (first: number, rows: number) => ({
      firstId: first,
      split: "train",
      indices: Int32Array.from({ length: rows }, (_, i) => first + i),
      labels: Int32Array.from({ length: rows }, (_, i) => (first + i) % 2),
      paths: Array.from({ length: rows }, (_, i) => `img/${first + i}.png`),
      texts: null,
      hashes: Array.from({ length: rows }, (_, i) => `h${first + i}`),
      vectors: vectors.slice(first * DIM, (first + rows) * DIM),
    });
    // Appended out of order: reading sorts by id.
    await store.append(batch(3, 3));
    await store.append(batch(0, 3));
    const all = await store.readAll();
    expect([...all.ids]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...all.labels]).toEqual([0, 1, 0, 1, 0, 1]);
    expect(all.paths[4]).toBe("img/4.png");
    expect(all.texts[4]).toBeNull();
    expect(all.vectors).toEqual(vectors);

    const query = vectors.slice(2 * DIM, 3 * DIM);
    const hits = await store.search(query, { k: 3 });
    expect(hits[0]?.id).toBe(2);
    expect(hits[0]?.similarity).toBeCloseTo(1, 5);
    expect(hits.map((h) => h.similarity)).toEqual([...hits.map((h) => h.similarity)].sort((a, b) => b - a));
    const odd = await store.search(query, { k: 10, where: "label = 1" });
    expect(odd.map((h) => h.id).sort()).toEqual([1, 3, 5]);
    expect((await store.search(query, { k: 100 })).length).toBe(6);
    expect(await store.vectorOf(5)).toEqual(vectors.slice(5 * DIM, 6 * DIM));
    expect(await store.vectorOf(99)).toBeNull();
    await expect(store.search(new Float32Array(3), { k: 1 })).rejects.toThrow(/3 values cannot be compared with this index's 16-dimensional/);
    store.close();
  });

  it("an IVF-PQ index probing every partition gives exact search's top 10 on a small table", async () => {
    const dir = join(tempDir(), "db");
    const n = 2000;
    const store = await EmbeddingStore.create(dir, manifest([{ name: "train", length: n }]));
    const { features } = blobs(n / 20, 20, DIM, 3, 7);
    await store.append({
      firstId: 0,
      split: "train",
      indices: Int32Array.from({ length: n }, (_, i) => i),
      labels: null,
      paths: null,
      texts: null,
      hashes: Array.from({ length: n }, (_, i) => String(i)),
      vectors: features,
    });
    await store.buildAnnIndex();
    expect(store.manifest.annIndex?.rows).toBe(n);
    const partitions = store.manifest.annIndex?.partitions ?? 0;
    for (const q of [0, 517, 1999]) {
      const query = features.slice(q * DIM, (q + 1) * DIM);
      const exact = await store.search(query, { k: 10, exact: true });
      // Every partition probed and every candidate re-ranked by its full vector: nothing approximate is left.
      const ann = await store.search(query, { k: 10, nprobes: partitions, refineFactor: n });
      expect(ann.map((h) => h.id)).toEqual(exact.map((h) => h.id));
    }
    store.close();
  });

  it("refuses a folder that is not a store, and a non-empty folder to create in", async () => {
    const dir = tempDir();
    await expect(EmbeddingStore.open(dir)).rejects.toThrow(/not a pretext index \(no pretext-index\.json\)/);
    writeFileSync(join(dir, "pretext-index.json"), '{"format": "something-else"}');
    await expect(EmbeddingStore.open(dir)).rejects.toThrow(/pretext-index\.json: not a pretext-index manifest/);
    await expect(EmbeddingStore.create(dir, manifest([{ name: "train", length: 1 }]))).rejects.toThrow(/already a pretext index/);
    const other = tempDir();
    writeFileSync(join(other, "notes.txt"), "mine");
    await expect(EmbeddingStore.create(other, manifest([{ name: "train", length: 1 }]))).rejects.toThrow(/not empty and not a pretext index/);
  });
});

describe("indexDatasets", () => {
  const encoder = new MlpEncoder(new Rng(3), { inputShape: [8], hidden: [32], outputDim: DIM });
  const sources = [blobSource("train", 240, 1), blobSource("test", 80, 2)];
  const plan = () => manifest(sources.map((s) => ({ name: s.split, length: s.dataset.length })));

  it("indexes every split with consecutive ids; a run killed after some chunks resumes to the same table, each id once", async () => {
    const whole = await EmbeddingStore.create(join(tempDir(), "db"), plan());
    const result = await indexDatasets(whole, encoder, sources, { chunk: 64 });
    expect(result).toEqual({ rows: 320, written: 320, resumedAt: 0, annIndex: false });
    expect(whole.manifest.complete).toBe(true);
    const expected = await whole.readAll();
    expect([...expected.splits.slice(238, 242)]).toEqual(["train", "train", "test", "test"]);
    expect([...expected.indices.slice(238, 242)]).toEqual([238, 239, 0, 1]);

    const dir = join(tempDir(), "db");
    const killed = await EmbeddingStore.create(dir, plan());
    let chunks = 0;
    await expect(
      indexDatasets(killed, encoder, sources, {
        chunk: 64,
        writeRows: 128,
        onProgress: () => {
          if (++chunks === 5) throw new Error("killed");
        },
      }),
    ).rejects.toThrow("killed");
    killed.close();
    const reopened = await EmbeddingStore.open(dir);
    expect(reopened.manifest.complete).toBe(false);
    expect(await reopened.isComplete()).toBe(false);
    const resumed = await indexDatasets(reopened, encoder, sources, { chunk: 64 });
    // Killed after four chunks were embedded (three of 64 and the rest of the 240 train rows):
    // only the first two had been written (appends of 128 rows), so it resumes at 128.
    expect(resumed.resumedAt).toBe(128);
    expect(resumed.written).toBe(192);
    const got = await reopened.readAll();
    expect([...got.ids]).toEqual([...expected.ids]);
    expect(got.vectors).toEqual(expected.vectors);
    expect(got.hashes).toEqual(expected.hashes);
    expect(await reopened.isComplete()).toBe(true);
  });

  it("deletes rows past a gap before resuming, and refuses data whose splits changed", async () => {
    const dir = join(tempDir(), "db");
    const store = await EmbeddingStore.create(dir, plan());
    const row = (id: number) => ({ firstId: id, split: "train", indices: Int32Array.of(id), labels: null, paths: null, texts: null, hashes: ["x"], vectors: new Float32Array(DIM) });
    await store.append(row(0));
    await store.append(row(1));
    await store.append(row(5));
    const result = await indexDatasets(store, encoder, sources, { chunk: 100 });
    expect(result.resumedAt).toBe(2);
    expect([...(await store.storedIds())]).toEqual(Array.from({ length: 320 }, (_, i) => i));

    const changed = [blobSource("train", 200, 1), sources[1] as IndexSource];
    await expect(indexDatasets(store, encoder, changed)).rejects.toThrow(/indexed train 240, test 80, but the data now has train 200, test 80; index into a new --db/);
  });
});

import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audioNeighbours, writeAudioExamples } from "../../src/cli/audio-examples.js";
import { RunFolder } from "../../src/cli/run-folder.js";
import { ArrayDataset } from "../../src/data/dataset.js";
import { audioSpec } from "../../src/data/sample.js";
import { embedDataset } from "../../src/eval/embed.js";
import { MlpEncoder } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import type { AudioExamples } from "../../src/report/audio-run.js";

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pretext-audio-examples-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Unit vectors at these angles (degrees): cosine similarities are cosines of their differences. */
const at = (degrees: readonly number[]): Float32Array => Float32Array.from(degrees.flatMap((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]));
const cos = (degrees: number) => Math.cos((degrees * Math.PI) / 180);

describe("audio nearest neighbours", () => {
  it("are sorted by cosine similarity, exclude the query, break ties by index, and start from evenly spaced queries", () => {
    // Clips 5 and 6 repeat clips 0 and 1, so each query has an exact twin and a tie.
    const embeddings = at([0, 10, 20, 90, 100, 0, 10, 200]);
    const paths = Array.from({ length: 8 }, (_, i) => `c${i}.wav`);
    const labels = Int32Array.from([0, 0, 0, 1, 1, 0, 0, 1]);
    const found = audioNeighbours(embeddings, 2, paths, labels, ["yes", "no"], { queries: 2, neighbours: 4 });
    expect(found.map((r) => r.query)).toEqual([
      { path: "c0.wav", label: "yes" },
      { path: "c4.wav", label: "no" },
    ]);
    const first = found[0]?.neighbours ?? [];
    expect(first.map((n) => n.path)).toEqual(["c5.wav", "c1.wav", "c6.wav", "c2.wav"]);
    [1, cos(10), cos(10), cos(20)].forEach((s, k) => expect(first[k]?.similarity).toBeCloseTo(s, 6));
    // Clip 4 (100°): 90° is closest, then the 20°, the two 10° (lower index first) ...
    expect(found[1]?.neighbours.map((n) => [n.path, n.label])).toEqual([
      ["c3.wav", "no"],
      ["c2.wav", "yes"],
      ["c1.wav", "yes"],
      ["c6.wav", "yes"],
    ]);
    for (const r of found) {
      expect(r.neighbours.some((n) => n.path === r.query.path)).toBe(false);
      const sims = r.neighbours.map((n) => n.similarity);
      expect(sims).toEqual([...sims].sort((a, b) => b - a));
    }
    // Unlabeled clips have null labels; fewer than two clips have no neighbours.
    expect(audioNeighbours(embeddings, 2, paths, undefined, undefined, { queries: 1, neighbours: 1 })[0]?.neighbours).toEqual([{ path: "c5.wav", label: null, similarity: expect.closeTo(1, 6) }]);
    expect(audioNeighbours(at([0]), 2, ["a.wav"], undefined, undefined)).toEqual([]);
    expect(() => audioNeighbours(at([0, 1]), 2, ["a.wav"], undefined, undefined)).toThrow(/2 embeddings for 1 clip paths/);
  });
});

describe("writeAudioExamples", () => {
  it("writes clips.json aligned with the test set, the neighbours in the encoder's embedding, and one spectrogram per class", async () => {
    const [mels, frames, n] = [4, 6, 9];
    const rng = new Rng(1);
    const logmel = Float32Array.from({ length: n * mels * frames }, () => rng.normal());
    const labels = Int32Array.from({ length: n }, (_, i) => [2, 0, 1][i % 3] as number);
    const test = new ArrayDataset({ spec: audioSpec(mels, frames), fields: { logmel }, labels, classNames: ["go", "stop", "wait"] });
    const encoder = new MlpEncoder(new Rng(2), { inputShape: [1, mels, frames], hidden: [8], outputDim: 5 });
    const run = new RunFolder(join(root, "run"));
    const paths = Array.from({ length: n }, (_, i) => join("clips", `w${i}.wav`));
    await mkdir(run.dir, { recursive: true });
    await writeAudioExamples(run, encoder, test, paths);

    expect(JSON.parse(await readFile(join(run.dir, "clips.json"), "utf8"))).toEqual(paths.map((p) => resolve(p)));
    const examples = JSON.parse(await readFile(join(run.dir, "audio-examples.json"), "utf8")) as AudioExamples;
    // Queries 0, 1, 3, 5, 7 of 9; each with 5 neighbours; labels by name.
    expect(examples.neighbours.map((r) => r.query.path)).toEqual([0, 1, 3, 5, 7].map((i) => resolve(paths[i] as string)));
    expect(examples.neighbours[0]?.query.label).toBe("wait");
    const emb = await embedDataset(encoder, test);
    const unit = (i: number) => {
      const row = emb.data.subarray(i * emb.dim, (i + 1) * emb.dim);
      const norm = Math.hypot(...row);
      return Array.from(row, (v) => v / norm);
    };
    const indexOf = (p: string) => paths.findIndex((q) => resolve(q) === p);
    for (const r of examples.neighbours) {
      const q = indexOf(r.query.path);
      expect(r.neighbours).toHaveLength(5);
      expect(r.neighbours.map((m) => m.path)).not.toContain(r.query.path);
      const sims = r.neighbours.map((m) => m.similarity);
      expect(sims).toEqual([...sims].sort((a, b) => b - a));
      for (const m of r.neighbours) {
        const j = indexOf(m.path);
        const expected = unit(q).reduce((s, v, k) => s + v * (unit(j)[k] as number), 0);
        expect(m.similarity).toBeCloseTo(expected, 5);
        expect(m.label).toBe(["go", "stop", "wait"][labels[j] as number]);
      }
      // The best neighbour beats every other clip.
      const others = paths.map((_, j) => j).filter((j) => j !== q && !r.neighbours.some((m) => indexOf(m.path) === j));
      for (const j of others) expect(unit(q).reduce((s, v, k) => s + v * (unit(j)[k] as number), 0)).toBeLessThanOrEqual((sims[4] as number) + 1e-6);
    }
    // The strip: the first clip of each class in class order (go = clip 1, stop = clip 2, wait = clip 0), three 6 × 4 tiles in a row.
    expect(examples.classes).toEqual([1, 2, 0].map((i) => ({ path: resolve(paths[i] as string), label: ["go", "stop", "wait"][labels[i] as number] })));
    const strip = await sharp(join(run.dir, "class-spectrograms.png")).metadata();
    expect([strip.width, strip.height]).toEqual([6 + 3 * (frames + 6), 2 + mels + 2]);

    await expect(writeAudioExamples(run, encoder, test, paths.slice(1))).rejects.toThrow(/8 clip paths for 9 test clips/);
  });
});

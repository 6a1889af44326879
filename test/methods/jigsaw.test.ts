import { describe, expect, it } from "vitest";
import { allPermutations, jigsaw, jigsawTiles } from "../../src/methods/jigsaw.js";
import { Rng } from "../../src/random/rng.js";
import { NarrowCnn } from "../helpers/narrow-cnn.js";
import { meanOf, shortRun } from "./pretext-probe.js";
import { imageSpec } from "../../src/data/sample.js";
import { imageBatchOf } from "../helpers/batches.js";

describe("jigsaw permutations", () => {
  it("are the 24 distinct permutations of 4 slots, in lexicographic order", () => {
    const perms = allPermutations(4);
    expect(perms).toHaveLength(24);
    expect(new Set(perms.map((p) => p.join(""))).size).toBe(24);
    for (const p of perms) expect([...p].sort()).toEqual([0, 1, 2, 3]);
    expect([...(perms[0] as Int32Array)]).toEqual([0, 1, 2, 3]);
    expect([...(perms[23] as Int32Array)]).toEqual([3, 2, 1, 0]);
  });
});

describe("jigsawTiles", () => {
  // A 4×4 image whose 2×2 cells hold the values 0, 1, 2, 3 (row-major cells).
  const cellImage = Float32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);

  it("puts cell perm[s] of the image at slot s for the labelled permutation", () => {
    const perms = allPermutations(4);
    for (let label = 0; label < 24; label++) {
      const tiles = jigsawTiles(cellImage, [1, 1, 4, 4], { grid: 2, cell: 2, tile: 2 }, perms, [label], null);
      const perm = perms[label] as Int32Array;
      for (let s = 0; s < 4; s++) expect([...tiles.subarray(4 * s, 4 * s + 4)]).toEqual([perm[s], perm[s], perm[s], perm[s]]);
    }
  });

  it("reassembles into the original image by the inverse permutation", () => {
    const image = Float32Array.from({ length: 28 * 28 }, (_, i) => i);
    const perms = allPermutations(4);
    const label = 17;
    const tiles = jigsawTiles(image, [1, 1, 28, 28], { grid: 2, cell: 14, tile: 14 }, perms, [label], null);
    const back = new Float32Array(28 * 28);
    (perms[label] as Int32Array).forEach((cell, slot) => {
      const [top, left] = [Math.floor(cell / 2) * 14, (cell % 2) * 14];
      for (let r = 0; r < 14; r++) for (let c = 0; c < 14; c++) back[(top + r) * 28 + left + c] = tiles[slot * 196 + r * 14 + c] as number;
    });
    expect(back).toEqual(image);
  });

  it("jitters crops inside their own cell", () => {
    const image = Float32Array.from(cellImage);
    const perms = allPermutations(4);
    const tiles = jigsawTiles(image, [1, 1, 4, 4], { grid: 2, cell: 2, tile: 1 }, perms, [5], new Rng(2));
    expect([...tiles]).toEqual([...(perms[5] as Int32Array)]);
  });
});

describe("jigsaw views", () => {
  it("labels index the permutation set and tiles match them", () => {
    const setup = { encoder: new NarrowCnn(new Rng(0)), spec: imageSpec([1, 28, 28]), batchSize: 3, totalSteps: 1, rng: new Rng(0) };
    const plan = jigsaw.plan(setup, { ...jigsaw.defaults, tile: 14 });
    const images = Float32Array.from({ length: 3 * 784 }, (_, i) => i);
    const views = plan.views(imageBatchOf(images, [1, 28, 28]), new Rng(4));
    const labels = [...(views.labels?.data as BigInt64Array)].map(Number);
    expect(labels.every((l) => l >= 0 && l < 24)).toBe(true);
    expect(views.tiles?.shape).toEqual([12, 1, 14, 14]);
    expect(views.tiles?.data).toEqual(jigsawTiles(images, [3, 1, 28, 28], { grid: 2, cell: 14, tile: 14 }, allPermutations(4), labels, null));
  });
});

describe("jigsaw on MNIST", () => {
  it("loss falls, no collapse, and the 10-label probe beats a random encoder", async () => {
    const run = await shortRun(jigsaw, { steps: 100 });
    expect(meanOf(run.losses.slice(-10))).toBeLessThan(0.5 * meanOf(run.losses.slice(0, 5)));
    expect(run.collapse.at(-1) as number).toBeGreaterThan(0.5 * (run.collapse[0] as number));
    expect(run.trained.linear).toBeGreaterThan(run.random.linear);
  }, 60_000);
});

import { describe, expect, it } from "vitest";
import { buildMiningView, miningCards } from "../../src/report/mining-view.js";
import type { StoredItems } from "../../src/store/embedding-store.js";
import type { StoreManifest } from "../../src/store/store-manifest.js";
import { blobs } from "../eval/blobs.js";

const DIM = 8;

/** 4 blobs of 30 items; item 119 is an exact copy of item 0 (same hash, same vector); item 5 sits far from everything. */
function items(): StoredItems {
  const { features, labels } = blobs(30, 4, DIM, 6, 3);
  features.set(features.subarray(0, DIM), 119 * DIM);
  labels[119] = labels[0] as number;
  for (let j = 0; j < DIM; j++) features[5 * DIM + j] = j % 2 === 0 ? 40 : -40;
  const n = labels.length;
  return {
    ids: Int32Array.from({ length: n }, (_, i) => i),
    splits: Array.from({ length: n }, () => "train"),
    indices: Int32Array.from({ length: n }, (_, i) => i),
    labels,
    paths: Array.from({ length: n }, (_, i) => `pics/${i}.png`),
    texts: Array.from({ length: n }, () => null),
    hashes: Array.from({ length: n }, (_, i) => (i === 119 ? "h0" : `h${i}`)),
    vectors: features,
    dim: DIM,
  };
}

const manifest: StoreManifest = {
  format: "pretext-index",
  version: 1,
  encoder: { run: "runs/x", method: "simclr", name: "small-cnn", weightsSha256: "0".repeat(64), dim: DIM, modality: "image" },
  data: "pics",
  classNames: ["<script>alert(1)</script>", "b", "c", "d"],
  splits: [{ name: "train", firstId: 0, length: 120 }],
  complete: true,
  annIndex: null,
};

describe("the report's mining section", () => {
  it("shows the exact copy, the planted outlier first, the clusters and the picks, with data strings escaped", async () => {
    const previews: number[] = [];
    const view = await buildMiningView("db", items(), manifest, async (row) => {
      previews.push(row);
      return { src: null, text: null };
    });
    expect(view.duplicateGroupCount.exact).toBe(1);
    expect(view.duplicateGroups[0]).toMatchObject({ kind: "exact", size: 2 });
    expect(view.duplicateGroups[0]?.members.map((m) => m.id)).toEqual([0, 119]);
    expect(view.outliers[0]?.id).toBe(5);
    expect(view.clusters.reduce((s, c) => s + c.size, 0)).toBe(120);
    expect(view.clusters.length).toBeGreaterThanOrEqual(4);
    expect(view.picks).toHaveLength(12);
    // Each shown item is previewed once, however many sections show it.
    expect(new Set(previews).size).toBe(previews.length);

    const html = miningCards(view).join("");
    expect(html).toContain("Duplicates");
    expect(html).toContain("What to label first");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("5.png");
  });

  it("gives audio items a player and text items their text", async () => {
    const audio = await buildMiningView("db", items(), manifest, async () => ({ src: null, text: null, audio: "data:audio/wav;base64,UklGRg==" }));
    expect(miningCards(audio).join("")).toContain('<audio controls preload="none" src="data:audio/wav;base64,UklGRg=="></audio>');
    const text = await buildMiningView("db", items(), manifest, async (row) => ({ src: null, text: `fortune <b>${row}</b>` }));
    const html = miningCards(text).join("");
    expect(html).toContain("fortune &lt;b&gt;5&lt;/b&gt;");
    expect(html).not.toContain("<audio");
  });
});

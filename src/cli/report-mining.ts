import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Dataset } from "../data/dataset.js";
import { decodeImageFile } from "../data/image/image-folder.js";
import { type ImageShape, imageShape } from "../data/sample.js";
import { clipDataUrl } from "../report/audio-clips.js";
import { imagePng, pngDataUrl } from "../report/images.js";
import { type ItemPreview, type MiningView, buildMiningView } from "../report/mining-view.js";
import { EmbeddingStore } from "../store/embedding-store.js";
import { STORE_MANIFEST } from "../store/store-manifest.js";
import { loadData } from "./data.js";
import { errorMessage } from "./errors.js";
import { defaultDbDir } from "./index-command.js";

/** The report's mining section reads at most this many items (ids from 0): exact neighbours of all pairs cost O(n²). */
export const REPORT_MINING_ITEMS = 20_000;

/**
 * The mining section of a run's report, from the index `pretext index <run>` wrote in
 * `<run>/index`; null when there is none. Image thumbnails are drawn from each item's file, or, for
 * data without files (mnist, an IDX file), from the data the index names; audio items get a player
 * of their clip, text items their text. A damaged or incomplete
 * index is a warning, not a failed report.
 */
export async function runMiningView(runDir: string, seed: number): Promise<{ view: MiningView | null; warning: string | null }> {
  const db = defaultDbDir(runDir);
  if (!existsSync(join(db, STORE_MANIFEST))) return { view: null, warning: null };
  let store: EmbeddingStore;
  try {
    store = await EmbeddingStore.open(db);
  } catch (e) {
    return { view: null, warning: `mining section left out: ${errorMessage(e)}` };
  }
  try {
    if (!(await store.isComplete())) return { view: null, warning: `mining section left out: ${db} is incomplete; run \`pretext index ${runDir}\` again to finish it` };
    const items = await store.readAll(`id < ${REPORT_MINING_ITEMS}`);
    if (items.ids.length < 3) return { view: null, warning: null };
    const preview = await previewer(store, items.paths, items.texts, items.splits, items.indices);
    const view = await buildMiningView(db, items, store.manifest, preview, { seed });
    const total = await store.count();
    return { view, warning: total > items.ids.length ? `mining section: the first ${items.ids.length.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} indexed items (the pretext mining commands take them all)` : null };
  } finally {
    store.close();
  }
}

type Preview = (row: number) => Promise<ItemPreview>;

async function previewer(store: EmbeddingStore, paths: readonly (string | null)[], texts: readonly (string | null)[], splits: readonly string[], indices: Int32Array): Promise<Preview> {
  const none: ItemPreview = { src: null, text: null };
  if (store.manifest.encoder.modality === "text") return async (row) => ({ src: null, text: texts[row] ?? null });
  if (store.manifest.encoder.modality === "audio") {
    // One second is what the encoder heard of each clip (its loudest second).
    return async (row) => {
      const path = paths[row] ?? null;
      if (path === null || !existsSync(path)) return none;
      return { src: null, text: null, audio: (await clipDataUrl(path, 1).catch(() => null))?.src ?? null };
    };
  }
  if (store.manifest.encoder.modality !== "image") return async () => none;
  // The data is loaded once, on the first thumbnail; if it moved or changed since it was indexed,
  // items without a file are shown by name only.
  let loaded: Promise<{ train: Dataset; test: Dataset | null } | null> | null = null;
  const dataset = async (split: string): Promise<Dataset | null> => {
    loaded ??= loadData(store.manifest.data, null).catch(() => null);
    const data = await loaded;
    return data === null ? null : split === "test" ? data.test : data.train;
  };
  return async (row) => {
    const path = paths[row] ?? null;
    let pixels: Float32Array | null = null;
    let shape: ImageShape | null = null;
    const d = await dataset(splits[row] as string);
    if (d !== null && d.length > 0) {
      const s = imageShape(d.spec, "the report's thumbnails");
      shape = s;
      const index = indices[row] as number;
      if (path !== null && existsSync(path)) pixels = await decodeImageFile(path, s).catch(() => null);
      else if (index < d.length) pixels = (await d.get(index)).fields[d.spec.input] as Float32Array;
    }
    if (pixels === null || shape === null) return none;
    return { src: pngDataUrl(await imagePng({ data: pixels, channels: shape[0], height: shape[1], width: shape[2] }, 0)), text: null };
  };
}

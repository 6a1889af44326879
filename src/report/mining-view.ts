import {
  defaultDuplicateThreshold,
  diverseSubset,
  duplicateGroups,
  exactDuplicateGroups,
  exactNeighbours,
  SILHOUETTE_TOLERANCE,
  findClusters,
  kthNeighbourDistance,
  topScores,
} from "../mining/index.js";
import type { StoredItems } from "../store/embedding-store.js";
import type { StoreManifest } from "../store/store-manifest.js";
import { card, escapeHtml, note } from "./html-util.js";

/**
 * The report's mining section: what `pretext duplicates`, `outliers`, `clusters` and `select`
 * print for the run's index (`<run>/index`, written by `pretext index <run>`), as pictures. An
 * item is shown as its thumbnail (images), its text (text) or its file name (audio and the rest).
 */

/** How an item looks on the page; the caller knows how to draw its modality. */
export interface ItemPreview {
  /** A data URL of a thumbnail, for images. */
  readonly src: string | null;
  /** A text snippet, for text. */
  readonly text: string | null;
  /** A data URL of the clip (16 kHz WAV), for audio; absent for other modalities. */
  readonly audio?: string | null;
}

export interface MiningItem extends ItemPreview {
  readonly id: number;
  readonly label: string | null;
  /** The file behind the item, when there is one (its name is shown under the item). */
  readonly path: string | null;
  /** What the section ranks the item by: similarity, distance, outlier score. */
  readonly score: number | null;
}

export interface MiningView {
  readonly db: string;
  readonly items: number;
  readonly modality: string;
  readonly duplicateThreshold: number;
  readonly duplicateGroups: readonly { readonly kind: "exact" | "near"; readonly size: number; readonly members: readonly MiningItem[] }[];
  readonly duplicateGroupCount: { readonly exact: number; readonly near: number };
  readonly outliers: readonly MiningItem[];
  readonly clusters: readonly { readonly size: number; readonly purity: number | null; readonly majorityLabel: string | null; readonly central: readonly MiningItem[] }[];
  readonly clusterRule: string;
  readonly picks: readonly MiningItem[];
}

export interface MiningViewOptions {
  readonly groups: number;
  readonly membersPerGroup: number;
  readonly outliers: number;
  readonly centralPerCluster: number;
  readonly picks: number;
  readonly seed: number;
}

export const defaultMiningViewOptions: MiningViewOptions = { groups: 6, membersPerGroup: 6, outliers: 12, centralPerCluster: 6, picks: 12, seed: 0 };

/**
 * Runs the four mining verbs over `items` at their CLI defaults (duplicates at the default fence,
 * outliers by the distance to the 10th neighbour, clusters by the silhouette rule, k-center picks)
 * and keeps the top of each, with each shown item's preview from `preview(row)`.
 */
export async function buildMiningView(
  db: string,
  items: StoredItems,
  manifest: StoreManifest,
  preview: (row: number) => Promise<ItemPreview>,
  options: Partial<MiningViewOptions> = {},
): Promise<MiningView> {
  const opts = { ...defaultMiningViewOptions, ...options };
  const n = items.ids.length;
  const label = (row: number) => {
    const y = items.labels[row] as number;
    return y < 0 ? null : (manifest.classNames?.[y] ?? String(y));
  };
  const cache = new Map<number, ItemPreview>();
  const item = async (row: number, score: number | null): Promise<MiningItem> => {
    let p = cache.get(row);
    if (p === undefined) {
      p = await preview(row);
      cache.set(row, p);
    }
    return { ...p, id: items.ids[row] as number, label: label(row), path: items.paths[row] ?? null, score };
  };
  const k = Math.min(10, n - 1);
  const neighbours = await exactNeighbours(items.vectors, items.dim, { k });
  const threshold = defaultDuplicateThreshold(Float32Array.from({ length: n }, (_, i) => neighbours.similarities[i * k] as number));
  const exact = exactDuplicateGroups(items.hashes);
  const hashGroup = new Map<number, number>();
  exact.forEach((g, i) => g.forEach((row) => hashGroup.set(row, i)));
  const near = duplicateGroups(neighbours, threshold).filter((g) => new Set(Array.from(g, (row) => hashGroup.get(row) ?? -1 - row)).size > 1);
  const groups = [];
  for (const [kind, g] of [...exact.map((g) => ["exact", g] as const), ...near.map((g) => ["near", g] as const)].slice(0, opts.groups)) {
    const members = [];
    for (const row of Array.from(g).slice(0, opts.membersPerGroup)) members.push(await item(row, null));
    groups.push({ kind, size: g.length, members });
  }
  const scores = kthNeighbourDistance(neighbours);
  const outliers = [];
  for (const row of topScores(scores, opts.outliers)) outliers.push(await item(row, scores[row] as number));
  const labelled = items.labels.some((y) => y >= 0);
  const found = findClusters(items.vectors, items.dim, { ...(labelled ? { labels: items.labels } : {}), central: opts.centralPerCluster, seed: opts.seed });
  const clusters = [];
  for (const c of found.clusters) {
    const central = [];
    for (const row of c.central) central.push(await item(row, null));
    clusters.push({ size: c.size, purity: c.purity, majorityLabel: c.majorityLabel === null ? null : (manifest.classNames?.[c.majorityLabel] ?? String(c.majorityLabel)), central });
  }
  const subset = diverseSubset(items.vectors, items.dim, Math.min(opts.picks, n), { seed: opts.seed });
  const picks = [];
  for (let i = 0; i < subset.indices.length; i++) picks.push(await item(subset.indices[i] as number, subset.distances[i] as number));
  return {
    db,
    items: n,
    modality: manifest.encoder.modality,
    duplicateThreshold: threshold,
    duplicateGroups: groups,
    duplicateGroupCount: { exact: exact.length, near: near.length },
    outliers,
    clusters,
    clusterRule: found.kRule === "given" ? `k = ${found.k}` : `k = ${found.k}, the largest k within ${SILHOUETTE_TOLERANCE} of the best mean silhouette over k = ${found.silhouettes.map((s) => `${s.k} (${s.silhouette.toFixed(3)})`).join(", ")}`,
    picks,
  };
}

export const MINING_CSS = `
.items { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 10px; }
.item { width: 74px; margin: 0; font-size: 11px; color: var(--muted); text-align: center; overflow-wrap: anywhere; }
.item img { width: 64px; height: 64px; image-rendering: pixelated; border: 1px solid var(--line); border-radius: 4px; }
.item.clip { width: 220px; }
.item.clip audio { width: 210px; height: 32px; }
.item.text { width: 220px; text-align: left; border: 1px solid var(--line); border-radius: 6px; padding: 4px 6px; color: var(--ink); }
.group-head { font-size: 12px; color: var(--muted); margin-top: 6px; }
`;

function itemHtml(it: MiningItem, scoreName: string | null): string {
  const name = it.path === null ? `#${it.id}` : (it.path.split(/[\\/]/).pop() ?? it.path);
  const score = it.score === null || scoreName === null ? "" : ` · ${Number.isFinite(it.score) ? it.score.toFixed(3) : "first"}`;
  const caption = `${escapeHtml(it.label ?? "-")}${score}<br>${escapeHtml(name)}`;
  if (it.src !== null) return `<figure class="item"><img src="${it.src}" alt="item ${it.id}, label ${escapeHtml(it.label ?? "none")}"><figcaption>${caption}</figcaption></figure>`;
  if (it.audio !== undefined && it.audio !== null) return `<figure class="item clip"><audio controls preload="none" src="${it.audio}"></audio><figcaption>${caption}</figcaption></figure>`;
  if (it.text !== null) return `<figure class="item text">${escapeHtml(it.text.length > 160 ? `${it.text.slice(0, 159)}…` : it.text)}<figcaption>${caption}</figcaption></figure>`;
  return `<figure class="item">${caption}</figure>`;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

const row = (items: readonly MiningItem[], scoreName: string | null) => `<div class="items">${items.map((it) => itemHtml(it, scoreName)).join("")}</div>`;

/** The section's cards: duplicates, outliers, clusters, items to label first. */
export function miningCards(view: MiningView): string[] {
  const source = `Over the ${view.items.toLocaleString("en-US")} items of <code>${escapeHtml(view.db)}</code>`;
  const groups =
    view.duplicateGroups.length === 0
      ? note("No duplicate groups at the default threshold.")
      : view.duplicateGroups.map((g) => `<div class="group-head">${g.kind} duplicates · ${g.size} items</div>${row(g.members, null)}`).join("");
  const clusters = view.clusters
    .map((c, i) => `<div class="group-head">cluster ${i} · ${c.size} items${c.purity === null ? "" : ` · purity ${c.purity.toFixed(2)} (${escapeHtml(c.majorityLabel ?? "-")})`}</div>${row(c.central, null)}`)
    .join("");
  return [
    card(
      "Duplicates",
      `${source}: ${plural(view.duplicateGroupCount.exact, "group")} of exact copies (same content hash) and ${view.duplicateGroupCount.near} of near copies (cosine similarity ≥ ${view.duplicateThreshold.toFixed(4)}, the default fence on the nearest-neighbour similarities); the first ${view.duplicateGroups.length} shown. <code>pretext duplicates</code> lists them all.`,
      groups,
    ),
    card("Outliers", `${source}: the items farthest from their 10th nearest neighbour (cosine distance, shown after the label). <code>pretext outliers --by lof</code> ranks by the local outlier factor.`, row(view.outliers, "distance")),
    card("Clusters", `${source}: k-means of the unit-length embeddings, ${escapeHtml(view.clusterRule)}; each cluster's most central items.`, clusters, true),
    card(
      "What to label first",
      `${source}: greedy k-center picks (each the item farthest from every earlier pick; the distance is shown), so a few labels cover the data. <code>pretext select --n N --balanced</code> goes round the clusters.`,
      row(view.picks, "distance"),
    ),
  ];
}

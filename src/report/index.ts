import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../io/write-atomic.js";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { renderReport, type ReportPage } from "./html.js";
import { imagePng, pngDataUrl } from "./images.js";
import { chartData, findConfig, methodOf, sortEvals, summaryItems, thin, type ChartData } from "./model.js";
import { buildAudioView, secondaryMap } from "./audio-view.js";
import type { MiningView } from "./mining-view.js";
import { type EmbeddingMap, type EmbeddingMapOptions, embeddingMap } from "./projection.js";
import { nearestNeighbours, pickQueries } from "./retrieval.js";
import { type EmbeddingSet, type RunData, readRun } from "./run.js";
import type { TextNeighbours } from "./text-run.js";
import type { TextView } from "./text-view.js";

export { renderReport, type ReportPage } from "./html.js";
export { embeddingMap, pca2d, type EmbeddingMap, type EmbeddingMapOptions } from "./projection.js";
export { nearestNeighbours, pickQueries, type Retrieval } from "./retrieval.js";
export { parseMetrics, readEmbeddings, readRun, type EmbeddingSet, type EvalRecord, type RunData, type StepRecord } from "./run.js";
export { parseTextExamples, type MaskedSentence, type SampleRecord, type TextExamples, type TextNeighbours, type ValidationRecord } from "./text-run.js";
export type { TextView } from "./text-view.js";
export { parseAudioExamples, synthClipName, type AudioExamples, type AudioNeighbours } from "./audio-run.js";
export type { AudioView } from "./audio-view.js";
export { buildMiningView, type ItemPreview, type MiningItem, type MiningView } from "./mining-view.js";

/**
 * `report.html`: one self-contained page about a run folder. Charts are drawn by Chart.js
 * 4 (MIT; its minified UMD bundle is 210 kB and needs nothing else in the browser): line, scatter
 * and category charts, legends and tooltips built in. uPlot is smaller but its scatter mode is
 * experimental; Vega-Lite needs three bundles (vega, vega-lite, vega-embed) several times larger.
 * The bundle is inlined, so the page opens offline. The UMAP map and the retrieval
 * examples are computed here in Node, so the page only draws.
 *
 * A text run (see `readRun`) gets its own view (`text-view.ts`): the validation curve, generated
 * samples, masked-token predictions, nearest-neighbour texts and the perplexity table, instead of
 * the augmentation grid and image retrieval. An audio run (`audio.json` in the folder) gets
 * `audio-view.ts`: spectrogram views, the probes with the MFCC and DTW baselines, the map coloured
 * by label and by voice, and nearest neighbours one can listen to (the clips inlined as WAV).
 */
export interface ReportOptions {
  /** Seeds the embedding map and the choice of retrieval queries. */
  readonly seed: number;
  readonly map: Partial<EmbeddingMapOptions>;
  /** Query images in the retrieval examples (one per class first). */
  readonly queries: number;
  /** Neighbours shown per query. */
  readonly neighbours: number;
  /** Text runs: query texts and neighbours per query when the report finds them itself (no `neighbours` in text-examples.json). */
  readonly textQueries: number;
  readonly textNeighbours: number;
  /** Text runs: checkpoints whose generated samples are shown (evenly spaced, the last kept). */
  readonly sampleCheckpoints: number;
  /** Audio runs: query clips and neighbours per query when the report finds them itself (no `audio-examples.json`). */
  readonly audioQueries: number;
  readonly audioNeighbours: number;
  /** Audio runs: at most this many clips are inlined as audio (~43 kB each for 1 s), so the page stays small. */
  readonly audioClips: number;
  /** The mining section, built from the run's index by the caller (`src/cli/report-mining.ts`); null for none. */
  readonly mining: MiningView | null;
}

export const defaultReportOptions: ReportOptions = {
  seed: 0,
  map: {},
  queries: 8,
  neighbours: 8,
  textQueries: 6,
  textNeighbours: 5,
  sampleCheckpoints: 24,
  audioQueries: 5,
  audioNeighbours: 5,
  audioClips: 30,
  mining: null,
};

/** The source of Chart.js's UMD bundle (sets `window.Chart`), found next to the package's entry point. */
async function chartJsSource(): Promise<string> {
  const entry = createRequire(import.meta.url).resolve("chart.js");
  return readFile(join(dirname(entry), "chart.umd.min.js"), "utf8");
}

async function retrievalExamples(run: RunData, options: ReportOptions): Promise<Pick<ReportPage, "retrieval" | "retrievalNote">> {
  const set = run.embeddings;
  if (set === null) return { retrieval: [], retrievalNote: "No embeddings.safetensors in this run." };
  const images = set.images;
  if (images === null) return { retrieval: [], retrievalNote: "embeddings.safetensors has no images tensor to show." };
  if (set.n < 2) return { retrieval: [], retrievalNote: "Too few test examples for retrieval." };
  const found = nearestNeighbours(set, pickQueries(set.labels, options.queries, options.seed), options.neighbours);
  const cache = new Map<number, string>();
  const src = async (i: number) => {
    let url = cache.get(i);
    if (url === undefined) {
      url = pngDataUrl(await imagePng(images, i));
      cache.set(i, url);
    }
    return url;
  };
  const retrieval = [];
  for (const r of found) {
    const neighbours = [];
    for (const n of r.neighbours) neighbours.push({ src: await src(n.index), label: set.labels[n.index] ?? 0, similarity: n.similarity });
    retrieval.push({ query: { src: await src(r.query), label: set.labels[r.query] ?? 0 }, neighbours });
  }
  return { retrieval, retrievalNote: null };
}

const labelName = (set: EmbeddingSet, label: number): string => set.classNames?.[label] ?? String(label);

/** A text shortened for a tooltip: whitespace runs collapsed, at most `max` characters. */
function snippet(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/** The embedding map grouped by label, as the scatter chart wants it. */
function mapData(run: RunData, m: EmbeddingMap | null): ChartData["map"] {
  const set = run.embeddings;
  if (set === null || m === null) return null;
  // An audio run's tooltips name each point's file.
  const texts = set.texts ?? run.audio?.clips?.map((p) => basename(p)) ?? null;
  const byLabel = new Map<number, { xy: number[]; texts: string[] }>();
  m.indices.forEach((index, i) => {
    const label = set.labels[index] ?? 0;
    const group = byLabel.get(label) ?? { xy: [], texts: [] };
    // Four significant digits are plenty for a scatter plot and keep the file small.
    group.xy.push(+(m.xy[i * 2] ?? 0).toPrecision(4), +(m.xy[i * 2 + 1] ?? 0).toPrecision(4));
    if (texts !== null) group.texts.push(snippet(texts[index] ?? "", 160));
    byLabel.set(label, group);
  });
  const classes = [...byLabel.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([label, g]) => ({ label, name: labelName(set, label), xy: g.xy, ...(texts === null ? {} : { texts: g.texts }) }));
  return { method: m.method, classes };
}

/** Nearest neighbours of a few test texts: text-examples.json's, else found here from the embeddings and texts.json. */
function textNeighbours(run: RunData, options: ReportOptions): { neighbours: readonly TextNeighbours[]; source: string | null } {
  const given = run.textExamples?.neighbours ?? [];
  if (given.length > 0) return { neighbours: given, source: "text-examples.json" };
  const set = run.embeddings;
  const texts = set?.texts ?? null;
  if (set === null || texts === null || set.n < 2) return { neighbours: [], source: null };
  const item = (i: number) => ({ text: texts[i] ?? "", label: labelName(set, set.labels[i] ?? 0) });
  const found = nearestNeighbours(set, pickQueries(set.labels, options.textQueries, options.seed), options.textNeighbours);
  const neighbours = found.map((r) => ({ query: item(r.query), neighbours: r.neighbours.map((n) => ({ ...item(n.index), similarity: n.similarity })) }));
  return { neighbours, source: "embeddings.safetensors and texts.json" };
}

/** What a text run's report shows besides the charts. */
function textView(run: RunData, options: ReportOptions): TextView {
  const samples = run.samples ?? [];
  const steps = thin([...new Set(samples.map((s) => s.step))], options.sampleCheckpoints);
  const kept = new Set(steps);
  const { neighbours, source } = textNeighbours(run, options);
  return {
    method: methodOf(run),
    samples: samples.filter((s) => kept.has(s.step)),
    sampleCheckpoints: { shown: steps.length, total: new Set(samples.map((s) => s.step)).size },
    masked: run.textExamples?.masked ?? [],
    neighbours,
    neighboursSource: source,
    hasEmbeddings: run.embeddings !== null,
    perplexity: sortEvals(run.evals.filter((e) => e.probe === "perplexity")),
  };
}

/** Builds the page model for a run folder (everything but the HTML text). */
export async function buildReportPage(runDir: string, options: Partial<ReportOptions> = {}): Promise<ReportPage> {
  const opts = { ...defaultReportOptions, ...options };
  const run = await readRun(runDir);
  const method = findConfig(run.config, ["method"]);
  const data = findConfig(run.config, ["data", "dataset"]);
  const title = [method, data].every((v) => v !== undefined && v !== null) ? `${String(method)} on ${String(data)}` : basename(resolve(runDir));
  const views = run.viewsPng;
  const set = run.embeddings;
  const map = set === null || set.n === 0 ? null : embeddingMap(set, { seed: opts.seed, ...opts.map });
  const clips = run.audio?.clips ?? null;
  const voiceMap = run.isAudio === true && set !== null && map !== null && clips !== null ? secondaryMap(map, set.labels, clips) : null;
  const audio = run.isAudio === true ? await buildAudioView(run, { seed: opts.seed, queries: opts.audioQueries, neighbours: opts.audioNeighbours, maxClips: opts.audioClips }) : null;
  return {
    title: `pretext · ${title}`,
    runDir: resolve(runDir),
    generatedAt: new Date().toISOString().replace("T", " ").slice(0, 19) + " UTC",
    warnings: run.warnings,
    summary: summaryItems(run),
    charts: { ...chartData(run, mapData(run, map)), ...(voiceMap === null ? {} : { voiceMap }) },
    evals: sortEvals(run.isText === true ? run.evals.filter((e) => e.probe !== "perplexity") : run.evals),
    viewsDataUrl: views === null ? null : pngDataUrl(views),
    ...(run.isText === true || audio !== null || run.isTable === true ? { retrieval: [], retrievalNote: null } : await retrievalExamples(run, opts)),
    text: run.isText === true ? textView(run, opts) : null,
    audio,
    table: run.isTable === true,
    tableReconstruction: run.tableReconstruction ?? null,
    mining: opts.mining,
    config: run.config,
    chartJs: await chartJsSource(),
  };
}

/**
 * Writes `<runDir>/report.html` and returns its path. The file is written beside the target and
 * renamed into place, so a browser that has the old report open never reads half a file.
 */
export async function writeReport(runDir: string, options: Partial<ReportOptions> = {}): Promise<string> {
  const html = renderReport(await buildReportPage(runDir, options));
  const path = join(runDir, "report.html");
  await writeFileAtomic(path, html);
  return path;
}

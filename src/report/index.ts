import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../io/write-atomic.js";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { renderReport, type ReportPage } from "./html.js";
import { imagePng, pngDataUrl } from "./images.js";
import { chartData, findConfig, sortEvals, summaryItems, type ChartData } from "./model.js";
import { type EmbeddingMapOptions, embeddingMap } from "./projection.js";
import { nearestNeighbours, pickQueries } from "./retrieval.js";
import { type RunData, readRun } from "./run.js";

export { renderReport, type ReportPage } from "./html.js";
export { embeddingMap, pca2d, type EmbeddingMap, type EmbeddingMapOptions } from "./projection.js";
export { nearestNeighbours, pickQueries, type Retrieval } from "./retrieval.js";
export { parseMetrics, readEmbeddings, readRun, type EmbeddingSet, type EvalRecord, type RunData, type StepRecord } from "./run.js";

/**
 * `report.html`: one self-contained page about a run folder. Charts are drawn by Chart.js
 * 4 (MIT; its minified UMD bundle is 210 kB and needs nothing else in the browser): line, scatter
 * and category charts, legends and tooltips built in. uPlot is smaller but its scatter mode is
 * experimental; Vega-Lite needs three bundles (vega, vega-lite, vega-embed) several times larger.
 * The bundle is inlined, so the page opens offline. The UMAP map and the retrieval
 * examples are computed here in Node, so the page only draws.
 */
export interface ReportOptions {
  /** Seeds the embedding map and the choice of retrieval queries. */
  readonly seed: number;
  readonly map: Partial<EmbeddingMapOptions>;
  /** Query images in the retrieval examples (one per class first). */
  readonly queries: number;
  /** Neighbours shown per query. */
  readonly neighbours: number;
}

export const defaultReportOptions: ReportOptions = { seed: 0, map: {}, queries: 8, neighbours: 8 };

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

/** The embedding map grouped by label, as the scatter chart wants it. */
function mapData(run: RunData, options: ReportOptions): ChartData["map"] {
  const set = run.embeddings;
  if (set === null || set.n === 0) return null;
  const m = embeddingMap(set, { seed: options.seed, ...options.map });
  const byLabel = new Map<number, number[]>();
  m.indices.forEach((index, i) => {
    const label = set.labels[index] ?? 0;
    const xy = byLabel.get(label) ?? [];
    // Four significant digits are plenty for a scatter plot and keep the file small.
    xy.push(+(m.xy[i * 2] ?? 0).toPrecision(4), +(m.xy[i * 2 + 1] ?? 0).toPrecision(4));
    byLabel.set(label, xy);
  });
  const classes = [...byLabel.entries()].sort((a, b) => a[0] - b[0]).map(([label, xy]) => ({ label, xy }));
  return { method: m.method, classes };
}

/** Builds the page model for a run folder (everything but the HTML text). */
export async function buildReportPage(runDir: string, options: Partial<ReportOptions> = {}): Promise<ReportPage> {
  const opts = { ...defaultReportOptions, ...options };
  const run = await readRun(runDir);
  const method = findConfig(run.config, ["method"]);
  const data = findConfig(run.config, ["data", "dataset"]);
  const title = [method, data].every((v) => v !== undefined && v !== null) ? `${String(method)} on ${String(data)}` : basename(resolve(runDir));
  const views = run.viewsPng;
  return {
    title: `pretext · ${title}`,
    runDir: resolve(runDir),
    generatedAt: new Date().toISOString().replace("T", " ").slice(0, 19) + " UTC",
    warnings: run.warnings,
    summary: summaryItems(run),
    charts: chartData(run, mapData(run, opts)),
    evals: sortEvals(run.evals),
    viewsDataUrl: views === null ? null : pngDataUrl(views),
    ...(await retrievalExamples(run, opts)),
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

import { AUDIO_CSS, type AudioView, audioCards } from "./audio-view.js";
import { CLIENT_SCRIPT } from "./client.js";
import { MINING_CSS, type MiningView, miningCards } from "./mining-view.js";
import { type CardSpec, card, chartBox, escapeHtml, note, renderCard } from "./html-util.js";
import { type ChartData, type SummaryItem, encoderName, isBaseline } from "./model.js";
import type { EvalRecord } from "./run.js";
import { TEXT_CSS, type TextView, textCards } from "./text-view.js";
import { fractionLabel, hasLabelFractions, tableCards } from "./table-view.js";
import type { TableReconstruction } from "./table-reconstruction.js";

/** Everything the page shows, already computed; rendering is a pure function of this. */
export interface ReportPage {
  readonly title: string;
  readonly runDir: string;
  readonly generatedAt: string;
  readonly warnings: readonly string[];
  readonly summary: readonly SummaryItem[];
  readonly charts: ChartData;
  readonly evals: readonly EvalRecord[];
  /** The augmentation grid as a data URL, or null. */
  readonly viewsDataUrl: string | null;
  readonly retrieval: readonly {
    readonly query: { readonly src: string; readonly label: number };
    readonly neighbours: readonly { readonly src: string; readonly label: number; readonly similarity: number }[];
  }[];
  /** Why there are no retrieval examples (no embeddings, or no images), or null when there are. */
  readonly retrievalNote: string | null;
  readonly config: unknown;
  /** A text run's samples, masked predictions, neighbours and perplexity; null for other runs. */
  readonly text?: TextView | null;
  /** An audio run's neighbours to listen to and per-class strip; null for other runs. */
  readonly audio?: AudioView | null;
  /** A table run: no augmentation grid or image neighbours, only the charts, the map and the evaluations. */
  readonly table?: boolean;
  /** A masked table method's per-feature reconstruction errors; null for other runs. */
  readonly tableReconstruction?: TableReconstruction | null;
  /** Duplicates, outliers, clusters and picks of the run's index (`pretext index`); null without one. */
  readonly mining?: MiningView | null;
  /** The source of Chart.js's UMD bundle, inlined so the page opens offline. */
  readonly chartJs: string;
}

/** JSON that is safe inside a `<script>` element: no `</script>` or `<!--` can appear in it. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");

/** Script source inlined in a `<script>` element: a literal `</script` would end the element early. */
const inlineScript = (source: string): string => source.replace(/<\/script/gi, "<\\/script").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");

const CSS = `
:root { --ink: #1d2330; --muted: #5f6878; --line: #e3e6eb; --bg: #f5f6f8; --card: #fff; --accent: #4e79a7; --good: #59a14f; --bad: #e15759; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 48px; }
header h1 { font-size: 24px; margin: 0 0 2px; font-weight: 650; letter-spacing: -0.01em; }
header .sub { color: var(--muted); margin: 0 0 18px; font-size: 13px; }
code, pre { font: 12px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.summary { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 18px; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 8px 14px; min-width: 110px; }
.stat .k { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: 0.04em; }
.stat .v { font-size: 17px; font-weight: 600; font-variant-numeric: tabular-nums; }
.warning { background: #fff7e6; border: 1px solid #f0d9a8; border-radius: 8px; padding: 8px 12px; margin-bottom: 14px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card h2 { font-size: 15px; margin: 0 0 2px; font-weight: 620; }
.card .what { color: var(--muted); font-size: 12.5px; margin: 0 0 10px; }
.chart { position: relative; height: 300px; }
.chart.tall { height: 440px; }
.note { color: var(--muted); font-style: italic; margin: 24px 0; text-align: center; }
.note.error { color: var(--bad); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); }
th { font-size: 11px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; }
tr.method td { font-weight: 600; }
.views img { width: 100%; max-width: 560px; image-rendering: pixelated; border-radius: 6px; display: block; margin: 0 auto; }
.retrieval { display: grid; gap: 6px; }
.row { display: grid; align-items: center; gap: 5px; }
.row .arrow { color: var(--muted); text-align: center; }
figure { margin: 0; text-align: center; }
figure img { width: 100%; max-width: 72px; aspect-ratio: 1; image-rendering: pixelated; border-radius: 4px; border: 3px solid transparent; display: block; margin: 0 auto; background: #000; }
figure.query img { border-color: var(--accent); }
figure.same img { border-color: var(--good); }
figure.other img { border-color: var(--bad); }
figcaption { font-size: 10.5px; color: var(--muted); line-height: 1.2; font-variant-numeric: tabular-nums; }
details summary { cursor: pointer; color: var(--muted); }
details pre { background: var(--bg); border-radius: 8px; padding: 12px; overflow: auto; max-height: 420px; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
`;

const pct = (v: number | null): string => (v === null ? "" : `${(v * 100).toFixed(1)}%`);
const fixed = (v: number | null): string => (v === null ? "" : v.toFixed(3));

function evalTable(evals: readonly EvalRecord[]): string {
  if (evals.length === 0) return note("No evaluations logged yet: run `pretext eval <run-dir>`.");
  const rows = evals.map((e) => {
    const baseline = isBaseline(e.encoder);
    return (
      `<tr class="${baseline ? "baseline" : "method"}"><td>${escapeHtml(e.probe)}</td><td>${escapeHtml(encoderName(e.encoder))}</td>` +
      `<td class="num">${typeof e.labelFraction === "number" ? fractionLabel(e.labelFraction) : (e.labelsPerClass ?? "—")}</td><td class="num">${pct(e.accuracy)}</td>` +
      `<td class="num">${e.sd === null ? "" : `± ${(e.sd * 100).toFixed(1)}`}</td><td class="num">${fixed(e.nmi)}</td><td class="num">${fixed(e.ari)}</td></tr>`
    );
  });
  return (
    `<table><thead><tr><th>probe</th><th>encoder</th><th class="num">${hasLabelFractions(evals) ? "labels" : "labels / class"}</th><th class="num">accuracy</th>` +
    `<th class="num">sd</th><th class="num">NMI</th><th class="num">ARI</th></tr></thead><tbody>${rows.join("")}</tbody></table>`
  );
}

function retrievalBlock(page: ReportPage): string {
  if (page.retrieval.length === 0) return note(page.retrievalNote ?? "No retrieval examples.");
  const rows = page.retrieval.map((r) => {
    const q = `<figure class="query"><img src="${r.query.src}" alt="query, label ${r.query.label}"><figcaption>query · ${r.query.label}</figcaption></figure>`;
    const ns = r.neighbours.map(
      (n) =>
        `<figure class="${n.label === r.query.label ? "same" : "other"}"><img src="${n.src}" alt="label ${n.label}, cosine ${n.similarity.toFixed(2)}">` +
        `<figcaption>${n.label} · ${n.similarity.toFixed(2)}</figcaption></figure>`,
    );
    const columns = `grid-template-columns: minmax(0, 1fr) 14px repeat(${ns.length}, minmax(0, 1fr))`;
    return `<div class="row" style="${columns}">${q}<span class="arrow">→</span>${ns.join("")}</div>`;
  });
  return `<div class="retrieval">${rows.join("")}</div>`;
}

/** The report as one self-contained HTML document: styles, data, Chart.js and images all inline. */
export function renderReport(page: ReportPage): string {
  const c = page.charts;
  const hasTraining = c.training.loss.some((v) => v !== null) || c.training.lr.some((v) => v !== null);
  const hasCollapse = c.collapse.std.some((v) => v !== null) || c.collapse.rank.length > 0;
  const hasAccuracy = c.accuracy.series.length > 0;
  const mapTitle = c.map?.method === "pca" ? "Test embeddings (PCA)" : "Test embeddings (UMAP)";
  const hasTexts = c.map?.classes.some((k) => k.texts !== undefined) === true;
  const common = {
    training: { title: "Training loss and learning rate", what: "Loss (left axis) and learning rate (right axis, dashed) at each logged step.", body: hasTraining ? chartBox("chart-training") : note("No training steps logged.") },
    collapse: {
      title: "Collapse diagnostic",
      what: "Std of the L2-normalized embeddings across a batch, averaged over dimensions: near 1/√D when they spread out, towards 0 when they collapse to a point. Effective rank: exp of the entropy of the normalized singular values.",
      body: hasCollapse ? chartBox("chart-collapse") : note("No collapse diagnostic logged."),
    },
    accuracy: {
      title: c.accuracy.axis === "label fraction" ? "Accuracy vs label fraction" : "Accuracy vs labels per class",
      what:
        c.accuracy.axis === "label fraction"
          ? "Test accuracy with a stratified share of the training rows labelled: the pretrained encoder's linear probe, k-NN and fine-tune beside the untrained encoder, logistic regression and k-NN on the encoded features, and the same network trained from scratch (bars: ± sd over label draws)."
          : "Test accuracy of probes trained on few labels, for this method and the baselines (solid: linear probe, dashed: k-NN; bars: ± sd over label draws).",
      body: hasAccuracy ? chartBox("chart-accuracy", true) : note("No probe accuracies logged yet: run `pretext eval <run-dir>`."),
    },
    map: {
      title: mapTitle,
      what:
        c.map === null
          ? "A 2-D map of the test set's embeddings."
          : `${c.map.classes.reduce((s, k) => s + k.xy.length / 2, 0)} test embeddings, L2-normalized and mapped to 2-D (seeded), coloured by label.${hasTexts ? " Hover a point for its text." : ""}`,
      body: c.map === null ? note("No embeddings.safetensors in this run.") : chartBox("chart-map", true),
    },
    evals: { title: "Evaluations", what: "Every evaluation line in metrics.jsonl.", body: evalTable(page.evals) },
  } satisfies Record<string, CardSpec>;
  const text = page.text ?? null;
  const audio = page.audio ?? null;
  const cards =
    text !== null
      ? textCards(text, c, { ...common, evals: { ...common.evals, what: "Every probe evaluation line in metrics.jsonl." } }, page.evals.length > 0)
      : audio !== null
        ? audioCards(audio, c, common, page.viewsDataUrl)
        : page.table === true
          ? tableCards(common, page.tableReconstruction ?? null)
          : imageCards(page, common);
  const mining = page.mining ?? null;
  if (mining !== null) cards.push(...miningCards(mining));
  const summary = page.summary.map((s) => `<div class="stat"><div class="k">${escapeHtml(s.label)}</div><div class="v">${escapeHtml(s.value)}</div></div>`).join("");
  const warnings = page.warnings.map((w) => `<div class="warning">${escapeHtml(w)}</div>`).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${CSS}${text === null ? "" : TEXT_CSS}${audio === null ? "" : AUDIO_CSS}${mining === null ? "" : MINING_CSS}</style>
</head>
<body>
<main>
<header><h1>${escapeHtml(page.title)}</h1><p class="sub"><code>${escapeHtml(page.runDir)}</code></p></header>
${warnings}
<div class="summary">${summary}</div>
<div class="grid">
${cards.join("\n")}
</div>
<details class="card" style="margin-top:16px"><summary>Resolved config</summary><pre>${escapeHtml(JSON.stringify(page.config, null, 2))}</pre></details>
<footer>Written by pretext on ${escapeHtml(page.generatedAt)}. Charts drawn with Chart.js (MIT), inlined: this file opens offline.</footer>
</main>
<script id="report-data" type="application/json">${scriptJson(page.charts)}</script>
<script>${inlineScript(page.chartJs)}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

/** An image run's cards, in the order of docs/report-screenshot.png. */
function imageCards(page: ReportPage, common: Readonly<Record<"training" | "collapse" | "accuracy" | "map" | "evals", CardSpec>>): string[] {
  return [
    renderCard(common.training),
    renderCard(common.collapse),
    renderCard(common.accuracy),
    renderCard(common.map),
    card(
      "Augmentation views",
      "Pairs of augmented views of the same images, as the method saw them.",
      page.viewsDataUrl === null ? note("No views.png in this run (write one with `pretext views`).") : `<div class="views"><img src="${page.viewsDataUrl}" alt="augmentation grid"></div>`,
    ),
    card(
      "Nearest neighbours",
      "Query test images (blue) and their closest test images by cosine similarity of embeddings; green: same label, red: different. Captions: label · cosine.",
      retrievalBlock(page),
    ),
    renderCard(common.evals, true),
  ];
}

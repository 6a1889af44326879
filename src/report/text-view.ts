import { type CardSpec, chartBox, escapeHtml, note, renderCard } from "./html-util.js";
import { type ChartData, encoderName, isBaseline, isLanguageModel } from "./model.js";
import type { EvalRecord } from "./run.js";
import type { MaskedPrediction, MaskedSentence, SampleRecord, TextNeighbours } from "./text-run.js";

/** What a text run's report shows besides the charts, already computed. */
export interface TextView {
  readonly method: string | null;
  /** Generated samples by step, ascending, at most the report's number of checkpoints. */
  readonly samples: readonly SampleRecord[];
  readonly sampleCheckpoints: { readonly shown: number; readonly total: number };
  readonly masked: readonly MaskedSentence[];
  readonly neighbours: readonly TextNeighbours[];
  /** Where the neighbours come from, or null when there are none. */
  readonly neighboursSource: string | null;
  readonly hasEmbeddings: boolean;
  /** The perplexity probe's lines (method first, then baselines). */
  readonly perplexity: readonly EvalRecord[];
}

export const TEXT_CSS = `
.samples { display: grid; gap: 14px; max-height: 680px; overflow: auto; padding-right: 4px; }
.ckpt { display: grid; grid-template-columns: 92px minmax(0, 1fr); gap: 10px; align-items: start; }
.ckpt .at { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; padding-top: 8px; text-align: right; }
.ckpt .gens { display: grid; gap: 6px; }
pre.gen { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); border-radius: 8px; padding: 8px 12px; max-height: 240px; overflow: auto; }
pre.gen .prompt { background: #dde7f3; color: #23466e; border-radius: 3px; font-weight: 600; }
.masked-list { display: grid; gap: 16px; }
.masked + .masked { border-top: 1px solid var(--line); padding-top: 14px; }
.nn-list { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 18px 28px; }
.sentence { margin: 0 0 8px; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 14.5px; line-height: 1.9; }
.sentence mark { background: #fdeccf; color: var(--ink); border-radius: 4px; padding: 1px 4px; box-shadow: inset 0 -2px 0 #e8a33d; }
.sentence mark.hit { background: #e1f0dc; box-shadow: inset 0 -2px 0 var(--good); }
.sentence mark sup, .preds .pos { color: var(--muted); font-size: 10px; font-weight: 600; margin-left: 2px; }
.preds { list-style: none; margin: 0; padding: 0; display: grid; gap: 5px; }
.preds li { display: flex; flex-wrap: wrap; align-items: center; gap: 5px; }
.preds .pos { min-width: 14px; margin: 0; font-size: 11px; }
.tok { font: 12px/1.3 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; white-space: pre; }
.tok .sp { color: #aab0ba; }
.orig { font-weight: 600; padding: 2px 6px; border-radius: 4px; background: #fdeccf; }
.cand { display: inline-flex; gap: 6px; align-items: baseline; border: 1px solid var(--line); border-radius: 5px; padding: 1px 6px 3px;
  background: linear-gradient(var(--accent), var(--accent)) no-repeat left bottom / var(--p) 3px, linear-gradient(to right, rgba(78, 121, 167, 0.1) var(--p), transparent var(--p)); }
.cand.hit { border-color: var(--good); box-shadow: inset 0 0 0 1px var(--good); }
.cand .p { color: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; border-radius: 10px; padding: 0 8px; background: #e8ebf0; color: #3d4452; white-space: nowrap; }
.badge { max-width: 100%; overflow: hidden; text-overflow: ellipsis; justify-self: start; }
.nn-q { display: grid; grid-template-columns: 96px minmax(0, 1fr); gap: 8px; align-items: baseline; border-left: 3px solid var(--accent); padding: 2px 0 2px 10px; margin-bottom: 6px; }
.nn ol { list-style: none; margin: 0; padding: 0 0 0 13px; display: grid; gap: 4px; }
.nn li { display: grid; grid-template-columns: 30px 96px minmax(0, 1fr); gap: 8px; align-items: baseline; border-left: 3px solid var(--line); padding-left: 8px; }
.nn li.same { border-left-color: var(--good); }
.nn li.same .badge { background: #e1f0dc; color: #2f6b27; }
.nn li.other { border-left-color: var(--bad); }
.nn li.other .badge { background: #fbe3e3; color: #9b2c2e; }
.nn .sim { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; text-align: right; }
.txt { white-space: pre-line; overflow-wrap: anywhere; display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 3; overflow: hidden; }
.nn-q .txt { font-weight: 550; }
`;

const thousands = (n: number): string => n.toLocaleString("en-US");

/** A token as a chip's text: leading and trailing spaces drawn as faint dots, newlines as ↵, so " ship" and "ship" differ. */
function tokenHtml(token: string): string {
  const m = /^( *)(.*?)( *)$/s.exec(token);
  const [lead, core, trail] = [m?.[1] ?? "", m?.[2] ?? token, m?.[3] ?? ""];
  const dots = (s: string) => (s === "" ? "" : `<span class="sp">${"·".repeat(s.length)}</span>`);
  return `<span class="tok">${dots(lead)}${escapeHtml(core.replace(/\n/g, "↵"))}${dots(trail)}</span>`;
}

function samplesBlock(view: TextView): string {
  const byStep = new Map<number, SampleRecord[]>();
  for (const s of view.samples) byStep.set(s.step, [...(byStep.get(s.step) ?? []), s]);
  const rows = [...byStep.entries()].map(([step, samples]) => {
    const gens = samples.map((s) => {
      // The generated text may repeat its prompt; the prompt is highlighted either way.
      const rest = s.prompt !== "" && s.text.startsWith(s.prompt) ? s.text.slice(s.prompt.length) : s.text;
      return `<pre class="gen">${s.prompt === "" ? "" : `<span class="prompt">${escapeHtml(s.prompt)}</span>`}${escapeHtml(rest)}</pre>`;
    });
    return `<div class="ckpt"><div class="at">step ${thousands(step)}</div><div class="gens">${gens.join("")}</div></div>`;
  });
  return `<div class="samples">${rows.join("")}</div>`;
}

const percent = (p: number): string => `${(p * 100).toFixed(p < 0.095 ? 1 : 0)}%`;

function predictionRow(p: MaskedPrediction, n: number): string {
  const chips = p.top.map((t) => {
    const width = Math.min(100, Math.max(0, t.p * 100)).toFixed(1);
    return `<span class="cand${t.token === p.original ? " hit" : ""}" style="--p: ${width}%">${tokenHtml(t.token)}<span class="p">${percent(t.p)}</span></span>`;
  });
  return `<li><span class="pos">${n}</span><span class="orig">${tokenHtml(p.original)}</span><span class="arrow">→</span>${chips.join("")}</li>`;
}

function maskedBlock(sentences: readonly MaskedSentence[]): string {
  const items = sentences.map((s) => {
    const at = new Map(s.predictions.map((p, i) => [p.position, { p, n: i + 1 }]));
    const parts = s.tokens.map((token, i) => {
      const hit = at.get(i);
      if (hit === undefined) return escapeHtml(token);
      // The leading space stays outside the highlight, so the mark covers the word only.
      const lead = /^\s*/.exec(hit.p.original)?.[0] ?? "";
      const top1 = hit.p.top[0]?.token === hit.p.original;
      return `${escapeHtml(lead)}<mark class="${top1 ? "hit" : "miss"}">${escapeHtml(hit.p.original.slice(lead.length))}<sup>${hit.n}</sup></mark>`;
    });
    const rows = s.predictions.map((p, i) => predictionRow(p, i + 1));
    return `<div class="masked"><p class="sentence">${parts.join("")}</p><ol class="preds">${rows.join("")}</ol></div>`;
  });
  return `<div class="masked-list">${items.join("")}</div>`;
}

/** At most this many characters of a neighbour's text are put in the page (the whole text is in its tooltip up to 2,000). */
const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function neighboursBlock(list: readonly TextNeighbours[]): string {
  // An empty cell without a label keeps the text in its column.
  const badge = (label: string | null) => (label === null ? "<span></span>" : `<span class="badge" title="${escapeHtml(label)}">${escapeHtml(label)}</span>`);
  const txt = (t: string) => `<span class="txt" title="${escapeHtml(clip(t, 2000))}">${escapeHtml(clip(t, 400))}</span>`;
  const items = list.map((r) => {
    const rows = r.neighbours.map((n) => {
      const mark = r.query.label === null || n.label === null ? "" : n.label === r.query.label ? "same" : "other";
      return `<li class="${mark}"><span class="sim">${n.similarity.toFixed(2)}</span>${badge(n.label)}${txt(n.text)}</li>`;
    });
    return `<div class="nn"><div class="nn-q">${badge(r.query.label)}${txt(r.query.text)}</div><ol>${rows.join("")}</ol></div>`;
  });
  return `<div class="nn-list">${items.join("")}</div>`;
}

const fixed = (v: number | null, digits: number): string => (v === null ? "" : v.toFixed(digits));

function perplexityTable(evals: readonly EvalRecord[]): string {
  const rows = evals.map((e) => {
    // Perplexity is exp(nats per token); shown from the nats when a line omits it.
    const perplexity = e.perplexity ?? (e.natsPerToken === null ? null : Math.exp(e.natsPerToken));
    return (
      `<tr class="${isBaseline(e.encoder) ? "baseline" : "method"}"><td>${escapeHtml(encoderName(e.encoder))}</td>` +
      `<td class="num">${fixed(e.natsPerToken, 3)}</td><td class="num">${fixed(perplexity, 2)}</td><td class="num">${fixed(e.bitsPerByte, 3)}</td></tr>`
    );
  });
  return `<table><thead><tr><th>model</th><th class="num">nats / token</th><th class="num">perplexity</th><th class="num">bits / byte</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/**
 * A text run's cards, in rows of one or two (a row left with one card spans the page). A card
 * without data is shown with a note when the method should have produced it (samples for clm,
 * masked predictions for mlm, validation for both), and left out otherwise.
 */
export function textCards(
  view: TextView,
  charts: ChartData,
  common: Readonly<Record<"training" | "collapse" | "accuracy" | "map" | "evals", CardSpec>>,
  hasProbeEvals: boolean,
): string[] {
  const method = view.method;
  const v = charts.validation;
  const hasValidation = v.natsPerToken.some((x) => x !== null) || v.bitsPerByte.some((x) => x !== null);
  const validation: CardSpec | null =
    hasValidation || isLanguageModel(method)
      ? {
          title: "Validation",
          what: `Held-out loss during training: nats per token (left axis${v.trainingLossInNats ? "; the training loss, faint, for comparison" : ""}) and bits per byte (right axis, dashed). Hover for perplexity.`,
          body: hasValidation ? chartBox("chart-validation") : note("No validation: metrics.jsonl has no validation lines."),
        }
      : null;
  const { shown, total } = view.sampleCheckpoints;
  const samples: CardSpec | null =
    view.samples.length > 0 || method === "clm"
      ? {
          title: "Generated samples",
          what: `Text the model wrote at checkpoints during training, from the highlighted prompt${shown < total ? ` (${shown} of ${total} checkpoints, evenly spaced)` : ""}.`,
          body: view.samples.length > 0 ? samplesBlock(view) : note("No samples: metrics.jsonl has no sample lines."),
        }
      : null;
  const masked: CardSpec | null =
    view.masked.length > 0 || method === "mlm"
      ? {
          title: "Masked tokens",
          what: "Test sentences with tokens masked (numbered), each with the original token and the model's most probable tokens there (bar: probability; dots: spaces). A masked token is green when the most probable token is the original, and the original's chip is outlined green.",
          body: view.masked.length > 0 ? maskedBlock(view.masked) : note("No masked examples: text-examples.json has none (written by `pretext eval`)."),
        }
      : null;
  const neighbours: CardSpec | null =
    view.neighbours.length > 0 || method !== "clm"
      ? {
          title: "Nearest neighbours",
          what: `Query test texts (blue) and their closest test texts by cosine similarity of embeddings, closest first; green: same label, red: different.${view.neighboursSource === null ? "" : ` From ${escapeHtml(view.neighboursSource)}.`}`,
          body:
            view.neighbours.length > 0
              ? neighboursBlock(view.neighbours)
              : note(view.hasEmbeddings ? "No neighbours: text-examples.json has none, and there is no texts.json beside embeddings.safetensors." : "No neighbours: no text-examples.json or embeddings.safetensors (run `pretext eval`)."),
        }
      : null;
  const perplexity: CardSpec | null =
    view.perplexity.length > 0 || method === "clm"
      ? {
          title: "Held-out perplexity",
          what: "The perplexity probe: the language model scored on held-out text. Perplexity = exp(nats per token); bits per byte divides the total by the text's UTF-8 bytes, so tokenizers compare.",
          body: view.perplexity.length > 0 ? perplexityTable(view.perplexity) : note("No perplexity probe logged yet: run `pretext eval <run-dir>`."),
        }
      : null;
  // A causal LM trained on a running text usually has no labels: its probe cards appear only with data.
  const probeCard = (c: CardSpec, has: boolean): CardSpec | null => (has || method !== "clm" ? c : null);
  const hasCollapse = charts.collapse.std.some((x) => x !== null) || charts.collapse.rank.length > 0;
  const rows: (CardSpec | null)[][] = [
    [common.training, validation],
    [samples],
    [masked],
    [neighbours],
    [probeCard(common.accuracy, charts.accuracy.series.length > 0), probeCard(common.map, charts.map !== null)],
    [perplexity, hasCollapse ? common.collapse : null],
    [hasProbeEvals || view.perplexity.length === 0 ? common.evals : null],
  ];
  return rows.flatMap((row) => {
    const present = row.filter((c): c is CardSpec => c !== null);
    return present.map((c) => renderCard(c, present.length === 1));
  });
}

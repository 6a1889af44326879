import type { SecondaryColouring } from "./audio-view.js";
import type { ConfigValue, EvalRecord, LabelsPerClass, RunData, StepRecord } from "./run.js";
import { fractionSeries, hasLabelFractions } from "./table-view.js";

/**
 * The numbers the report's charts draw, as plain JSON for the page's script. `null` marks a gap
 * (a step that did not log that metric), which the charts leave as a break in the line.
 */
export interface ChartData {
  readonly training: { readonly step: number[]; readonly loss: (number | null)[]; readonly lr: (number | null)[] };
  readonly collapse: {
    readonly step: number[];
    readonly std: (number | null)[];
    /** The effective rank is measured at a few steps only: its own x values. */
    readonly rankStep: number[];
    readonly rank: number[];
    /**
     * 1/√D: the std of L2-normalized embeddings spread evenly over their D dimensions. D is that of
     * the vectors the diagnostic was computed on (often the projector's output, not the encoder's
     * embeddings), so it is taken only from the step lines' optional `collapse_dim`; null without it.
     */
    readonly healthyStd: number | null;
    /** D, the upper bound of the effective rank; null when unknown. */
    readonly dim: number | null;
  };
  readonly accuracy: {
    /** The x-axis: labels per class, ascending, "all" last; or, for a table run's label fractions, shares of the rows ("1%"). */
    readonly labels: string[];
    readonly axis?: "labels per class" | "label fraction";
    readonly series: { readonly name: string; readonly encoder: string; readonly probe: string; readonly baseline: boolean; readonly accuracy: (number | null)[]; readonly sd: (number | null)[] }[];
  };
  /** A language model's held-out loss by step (`validation` lines); empty arrays when none were logged. */
  readonly validation: {
    readonly step: number[];
    readonly natsPerToken: (number | null)[];
    readonly perplexity: (number | null)[];
    readonly bitsPerByte: (number | null)[];
    /** The training loss is a token cross-entropy in nats too (clm, mlm), so the chart can draw it for comparison. */
    readonly trainingLossInNats: boolean;
  };
  readonly map: {
    readonly method: string;
    readonly classes: {
      readonly label: number;
      /** The legend's name for the label: its class name, else the id. */
      readonly name: string;
      readonly xy: number[];
      /** A text run's test texts (shortened) for the tooltips, aligned with the points, when `texts.json` exists. */
      readonly texts?: string[];
    }[];
  } | null;
  /** An audio run's second colouring of the same map, by what the clips' file names say (`secondaryMap` in `audio-view.ts`). */
  readonly voiceMap?: (NonNullable<ChartData["map"]> & { readonly by: SecondaryColouring }) | null;
}

/** Baseline encoders the evaluation compares against, with their display names. */
const BASELINES: Readonly<Record<string, string>> = {
  supervised: "supervised",
  random: "random encoder",
  raw_pixels: "raw pixels",
  tfidf: "TF-IDF",
  mfcc: "MFCC statistics",
  dtw: "MFCC + DTW",
  raw_features: "raw features",
  logreg: "logistic regression",
  knn_raw: "k-NN on raw features",
  gbdt: "gradient-boosted trees",
  scratch: "same network from scratch",
};
/** Text methods whose training loss is a token cross-entropy in nats: language models. */
const LANGUAGE_MODELS = ["clm", "mlm"];

export const isLanguageModel = (method: string | null): boolean => method !== null && LANGUAGE_MODELS.includes(method);
/** The run's method name from its config, or null. */
export function methodOf(run: Pick<RunData, "config">): string | null {
  const m = findConfig(run.config, ["method"]);
  return typeof m === "string" ? m : null;
}
const PROBE_ORDER = ["linear", "knn", "kmeans"];

export const encoderName = (encoder: string): string => BASELINES[encoder] ?? encoder;
export const isBaseline = (encoder: string): boolean => encoder in BASELINES;

/** The first value under any of `keys`, searching nested sections depth-first (configs may group options). */
export function findConfig(config: ConfigValue, keys: readonly string[]): ConfigValue | undefined {
  if (typeof config !== "object" || config === null) return undefined;
  if (!Array.isArray(config)) {
    for (const k of keys) if (k in config && typeof config[k] !== "object") return config[k];
  }
  for (const v of Object.values(config)) {
    const found = findConfig(v, keys);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** At most `max` evenly spaced records, always keeping the last, so a long run stays a small file. */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const stride = Math.ceil(items.length / max);
  const out = items.filter((_, i) => i % stride === 0);
  const last = items[items.length - 1];
  if (last !== undefined && out[out.length - 1] !== last) out.push(last);
  return out;
}

const series = (steps: readonly StepRecord[], key: string): (number | null)[] => steps.map((s) => s.values[key] ?? null);

/** Ascending counts, then "all", then not applicable. */
function compareLabels(a: LabelsPerClass, b: LabelsPerClass): number {
  const rank = (x: LabelsPerClass) => (x === null ? Infinity : x === "all" ? Number.MAX_VALUE : x);
  return a === b ? 0 : rank(a) - rank(b);
}

/** On the accuracy chart a probe without a label budget (e.g. k-NN logged with null) used every label. */
const budget = (e: EvalRecord): number | "all" => e.labelsPerClass ?? "all";

function probeRank(probe: string): number {
  const i = PROBE_ORDER.indexOf(probe);
  return i < 0 ? PROBE_ORDER.length : i;
}

/** Evals in reading order: by probe (linear, knn, kmeans, others), the method before baselines, then labels per class. */
export function sortEvals(evals: readonly EvalRecord[]): EvalRecord[] {
  return [...evals].sort(
    (a, b) =>
      probeRank(a.probe) - probeRank(b.probe) ||
      a.probe.localeCompare(b.probe) ||
      Number(isBaseline(a.encoder)) - Number(isBaseline(b.encoder)) ||
      a.encoder.localeCompare(b.encoder) ||
      compareLabels(a.labelsPerClass, b.labelsPerClass) ||
      (a.labelFraction ?? 0) - (b.labelFraction ?? 0),
  );
}

/** Accuracy against labels per class, one series per (probe, encoder) for the probes that report accuracy. */
function accuracySeries(evals: readonly EvalRecord[]): ChartData["accuracy"] {
  const withAccuracy = sortEvals(evals).filter((e) => e.accuracy !== null && e.probe !== "kmeans");
  const xs = [...new Set(withAccuracy.map(budget))].sort(compareLabels);
  const groups = new Map<string, EvalRecord[]>();
  for (const e of withAccuracy) {
    const key = `${e.probe}\u0000${e.encoder}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const out: ChartData["accuracy"]["series"] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (first === undefined) continue;
    // A repeated (probe, encoder, labels) keeps its last line: a re-run evaluation supersedes the earlier one.
    const at = (x: LabelsPerClass) => group.filter((e) => budget(e) === x).pop();
    out.push({
      name: `${encoderName(first.encoder)} · ${first.probe}`,
      encoder: first.encoder,
      probe: first.probe,
      baseline: isBaseline(first.encoder),
      accuracy: xs.map((x) => at(x)?.accuracy ?? null),
      sd: xs.map((x) => at(x)?.sd ?? null),
    });
  }
  return { labels: xs.map(String), series: out };
}

/** Options for turning a run into chart data. */
export interface ChartDataOptions {
  /** Most points per curve; longer runs are thinned evenly. */
  readonly maxCurvePoints: number;
}

/** Chart data for a run, given the embedding map computed separately (it is the slow part). */
export function chartData(run: RunData, map: ChartData["map"], options: ChartDataOptions = { maxCurvePoints: 2000 }): ChartData {
  const train = thin(
    run.steps.filter((s) => s.values.loss !== undefined || s.values.lr !== undefined),
    options.maxCurvePoints,
  );
  const coll = thin(
    run.steps.filter((s) => s.values.collapse_std !== undefined),
    options.maxCurvePoints,
  );
  const ranked = thin(
    run.steps.filter((s) => s.values.effective_rank !== undefined),
    options.maxCurvePoints,
  );
  const dim = [...coll, ...ranked].map((s) => s.values.collapse_dim).find((v) => v !== undefined && v > 0) ?? null;
  const validation = thin(run.validation ?? [], options.maxCurvePoints);
  return {
    training: { step: train.map((s) => s.step), loss: series(train, "loss"), lr: series(train, "lr") },
    collapse: {
      step: coll.map((s) => s.step),
      std: series(coll, "collapse_std"),
      rankStep: ranked.map((s) => s.step),
      rank: ranked.map((s) => s.values.effective_rank as number),
      healthyStd: dim === null ? null : 1 / Math.sqrt(dim),
      dim,
    },
    accuracy: hasLabelFractions(run.evals) ? fractionSeries(sortEvals(run.evals), { name: encoderName, isBaseline }) : accuracySeries(run.evals),
    validation: {
      step: validation.map((v) => v.step),
      natsPerToken: validation.map((v) => v.natsPerToken),
      perplexity: validation.map((v) => v.perplexity),
      bitsPerByte: validation.map((v) => v.bitsPerByte),
      trainingLossInNats: isLanguageModel(methodOf(run)),
    },
    map,
  };
}

/** One tile of the summary strip at the top of the report. */
export interface SummaryItem {
  readonly label: string;
  readonly value: string;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? null;
};

/** The headline facts: what was trained, for how long, and how well it did. */
export function summaryItems(run: RunData): SummaryItem[] {
  const items: SummaryItem[] = [];
  const add = (label: string, value: ConfigValue | undefined) => {
    if (value !== undefined && value !== null) items.push({ label, value: String(value) });
  };
  add("method", findConfig(run.config, ["method"]));
  add("data", findConfig(run.config, ["data", "dataset"]));
  if (run.isText === true) items.push(...textSettingItems(run.config));
  const f = run.audio?.features;
  if (f != null) add("features", `${f.mels}-band log-mel · ${f.clipSeconds} s at ${f.sampleRate / 1000} kHz`);
  // Epochs trained, not planned: a time budget usually ends training long before the planned count.
  const planned = findConfig(run.config, ["epochs"]);
  const lastEpoch = run.steps.reduce((e, s) => Math.max(e, s.epoch ?? -1), -1);
  if (lastEpoch >= 0) add("epochs", planned === undefined || planned === null ? lastEpoch + 1 : `${lastEpoch + 1} of ${String(planned)}`);
  else add("epochs", planned);
  add("batch size", findConfig(run.config, ["batchSize", "batch_size"]));
  add("seed", findConfig(run.config, ["seed"]));
  const last = run.steps[run.steps.length - 1];
  if (last !== undefined) {
    // A time budget plans the steps from the measured step time: say how many it planned.
    const plan = run.plan;
    const budget = plan?.timeBudgetSeconds;
    const planned = plan === undefined || plan === null ? "" : ` of ${plan.totalSteps} planned${plan.from === "time-budget" && budget != null ? ` from the ${formatDuration(budget)} budget` : ""}`;
    add("steps", `${last.step + 1}${planned}`);
  }
  const losses = run.steps.map((s) => s.values.loss).filter((v): v is number => v !== undefined);
  const lastLoss = losses[losses.length - 1];
  if (lastLoss !== undefined) add("final loss", lastLoss.toPrecision(4));
  const elapsed = last?.values.elapsed_s;
  if (elapsed !== undefined) add("training time", formatDuration(elapsed));
  const speed = median(run.steps.map((s) => s.values.samples_per_s).filter((v): v is number => v !== undefined));
  if (speed !== null) add(run.isText === true ? "sequences / s" : run.isAudio === true ? "clips / s" : run.isTable === true ? "rows / s" : "images / s", Math.round(speed));
  const methodLinear = sortEvals(run.evals).filter((e) => e.probe === "linear" && !isBaseline(e.encoder) && e.accuracy !== null);
  const best = methodLinear[methodLinear.length - 1];
  if (best?.accuracy != null) {
    const labels = typeof best.labelsPerClass === "number" ? `${best.labelsPerClass} / class` : "all labels";
    add(`linear probe, ${labels}`, `${(best.accuracy * 100).toFixed(1)}%`);
  }
  if (run.isText === true) items.push(...languageModelItems(run));
  return items;
}

/** A text run's tokenizer, context and transformer, from the config's `pretrain` section. */
function textSettingItems(config: RunData["config"]): SummaryItem[] {
  const get = (key: string): ConfigValue | undefined => findConfig(config, [key]);
  const items: SummaryItem[] = [];
  const tokenizer = get("tokenizer");
  const vocab = get("vocabSize");
  if (typeof tokenizer === "string") items.push({ label: "tokenizer", value: typeof vocab === "number" && vocab > 0 ? `${tokenizer} · ${vocab} ids` : tokenizer });
  const context = get("context");
  if (typeof context === "number") items.push({ label: "context", value: `${context} tokens` });
  const [dModel, layers, heads] = [get("dModel"), get("layers"), get("heads")];
  if (typeof dModel === "number") {
    const parts = [`d ${dModel}`, ...(typeof layers === "number" ? [`${layers} layers`] : []), ...(typeof heads === "number" ? [`${heads} heads`] : [])];
    items.push({ label: "transformer", value: parts.join(" · ") });
  }
  return items;
}

/** The held-out perplexity probe of the method if it ran, else the last validation line. */
function languageModelItems(run: RunData): SummaryItem[] {
  const probe = sortEvals(run.evals).filter((e) => e.probe === "perplexity" && !isBaseline(e.encoder) && e.natsPerToken !== null).pop();
  const validation = [...(run.validation ?? [])].reverse().find((v) => v.natsPerToken !== null);
  const items: SummaryItem[] = [];
  if (probe !== undefined) {
    const perplexity = probe.perplexity ?? Math.exp(probe.natsPerToken ?? NaN);
    items.push({ label: "held-out perplexity", value: perplexity.toFixed(2) });
    if (probe.bitsPerByte !== null) items.push({ label: "held-out bits / byte", value: probe.bitsPerByte.toFixed(3) });
  } else if (validation !== undefined) {
    items.push({ label: "validation nats / token", value: (validation.natsPerToken ?? NaN).toFixed(3) });
    if (validation.bitsPerByte !== null) items.push({ label: "validation bits / byte", value: validation.bitsPerByte.toFixed(3) });
  }
  return items;
}

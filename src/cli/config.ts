import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { LineCounter, isNode, parseDocument, visit } from "yaml";
import { CliError, suggest, errorMessage } from "./errors.js";

/** A value a config file can hold (what JSON and the YAML we accept can both say). */
export type ConfigValue = null | boolean | number | string | ConfigValue[] | { [key: string]: ConfigValue };
export type ConfigObject = { [key: string]: ConfigValue };

export const ENCODERS = ["small-cnn", "small-cnn-grid", "resnet18", "mlp", "transformer", "gpt", "audio-cnn", "ft-transformer", "vit"] as const;
export const TOKENIZERS = ["char", "bpe"] as const;
export type EncoderName = (typeof ENCODERS)[number];

export const PROBES = ["linear", "knn", "kmeans", "perplexity", "finetune"] as const;
export type ProbeName = (typeof PROBES)[number];

export const BASELINES = ["random", "raw_pixels", "tfidf", "mfcc", "dtw", "supervised", "logreg", "knn_raw", "scratch", "gbdt"] as const;
/** Whose few-label draws: ours, seeded; or the PyTorch anchor's five 10-per-class draws (bundled MNIST). */
export const LABEL_DRAWS = ["seeded", "anchor"] as const;
export type BaselineName = (typeof BASELINES)[number];

/** The `pretrain` section: what `pretrain()` is called with, plus where the data comes from. */
export interface PretrainConfig {
  readonly method: string;
  /** A data spec: `mnist`, `moby-dick`, `fortunes`, `sotu`, an IDX file, a folder, a .txt, .jsonl or .csv file. */
  readonly data: string;
  readonly labels: string | null;
  /** For a CSV of documents: the column holding the texts. */
  readonly textColumn: string | null;
  /** The architecture; null picks the modality's (small-cnn for images, mlp for tables, audio-cnn for audio, gpt for clm, transformer for other text methods). */
  readonly encoder: EncoderName | null;
  /** Epochs; null trains until the time budget when there is one, else for 10 epochs. */
  readonly epochs: number | null;
  /** Ends pretraining cleanly after this much wall time; null for no limit. */
  readonly timeBudgetSeconds: number | null;
  /** Samples per step; null takes the method's recipe (256 for images and tables, 64 for audio; see `TEXT_RECIPES`). */
  readonly batchSize: number | null;
  readonly seed: number;
  /** Train on the first N images only (quick checks, tests); null for all. */
  readonly limit: number | null;
  /** A checkpoint every N steps, besides epoch ends and stops; a SIGKILL loses at most N steps. */
  readonly checkpointEverySteps: number;
  /** Write one `metrics.jsonl` line every N steps. */
  readonly logEverySteps: number;
  /** Times the effective rank of the embeddings is measured over the run (the report's collapse chart); 0 for never. */
  readonly effectiveRankPoints: number;
  /** Text with a held-out split: times the method's loss is measured on it over the run (and the best weights kept); 0 for never. */
  readonly validationPoints: number;
  /** Text: the tokenizer trained on the training texts, its vocabulary (bpe), and the model's context in tokens; null takes the method's recipe. */
  readonly tokenizer: (typeof TOKENIZERS)[number] | null;
  readonly vocabSize: number | null;
  readonly context: number | null;
  /** Text: the transformer's width, depth, heads and dropout; null takes the method's recipe. */
  readonly dModel: number | null;
  readonly layers: number | null;
  readonly heads: number | null;
  readonly dropout: number | null;
  /** Tables: columns read as categorical or numeric whatever their values look like, and columns left out; null for none. */
  readonly categoricalColumns: readonly string[] | null;
  readonly numericColumns: readonly string[] | null;
  readonly ignoreColumns: readonly string[] | null;
}

/** The `eval` section: the downstream protocol. */
export interface EvalConfig {
  /** Labelled training data for the probes; null means the run's pretraining data. */
  readonly data: string | null;
  readonly labels: string | null;
  /** Held-out test data; null means the fixed split of the bundled `mnist`. */
  readonly testData: string | null;
  readonly testLabels: string | null;
  /** Label budgets of the label-efficiency curve; 0 means every label. */
  readonly labelsPerClass: readonly number[];
  /** null: by the data (perplexity for a text corpus, else linear, knn and kmeans). */
  readonly probes: readonly ProbeName[] | null;
  /** Random label subsets per budget (mean and sd are reported over them). */
  readonly draws: number;
  /**
   * "seeded": `draws` subsets per budget from `seed`. "anchor": the 10-per-class budget uses the
   * PyTorch anchor's own five draws (the bundled MNIST's fixed split only), the others stay seeded.
   */
  readonly labelDraws: (typeof LABEL_DRAWS)[number];
  /** null: by modality (random and raw_pixels for images and tables, random and tfidf for text). */
  readonly baselines: readonly BaselineName[] | null;
  readonly seed: number;
  /** Tables: label budgets as shares of the training rows (stratified, in (0, 1]), instead of labels per class; null for none. */
  readonly labelFractions: readonly number[] | null;
}

/** Everything a run did, saved as `config.json`; the sections map one-to-one onto options objects. */
export interface RunConfig {
  readonly pretrain: PretrainConfig;
  /** The method's options, its defaults merged with the file and flags. */
  readonly method: ConfigObject;
  readonly eval: EvalConfig;
}

// Defaults, with why.
export const PRETRAIN_DEFAULTS: Omit<PretrainConfig, "method" | "data"> = {
  labels: null,
  textColumn: null,
  // By modality and method (src/cli/run-defaults.ts): small-cnn, the anchor's encoder for 28x28 digits.
  encoder: null,
  // Until the budget with --time-budget (a budget means "train for this long"), else 10.
  epochs: null,
  timeBudgetSeconds: null,
  // The method's recipe (src/methods/recipes.ts): the PyTorch anchor's 256 for images.
  batchSize: null,
  seed: 0,
  limit: null,
  // ~0.1–0.3 s a step on 2 cores: a checkpoint every ~10–30 s (it costs a few ms).
  checkpointEverySteps: 100,
  logEverySteps: 1,
  // Each point embeds 256 images outside the step and takes a 128x128 eigen-decomposition:
  // 0.4 s measured on 2 busy cores (0.28 + 0.1), so 10 points cost ~4 s of a run (1% of 5 min)
  // that the step plan does not foresee.
  effectiveRankPoints: 10,
  // 16 batches each (192 windows for a language model's batch of 12): ~0.3 s a point.
  validationPoints: 10,
  tokenizer: null,
  vocabSize: null,
  context: null,
  dModel: null,
  layers: null,
  heads: null,
  dropout: null,
  categoricalColumns: null,
  numericColumns: null,
  ignoreColumns: null,
};

export const EVAL_DEFAULTS: EvalConfig = {
  data: null,
  labels: null,
  testData: null,
  testLabels: null,
  labelsPerClass: [1, 10, 100],
  probes: null,
  // Few-label accuracy varies a lot with the draw; 3 draws give a usable sd in seconds.
  draws: 3,
  labelDraws: "seeded",
  baselines: null,
  seed: 0,
  labelFractions: null,
};

/** The sections a config file may have. */
export interface ConfigFile {
  readonly pretrain?: ConfigObject;
  readonly method?: ConfigObject;
  readonly eval?: ConfigObject;
}

const SECTIONS = ["pretrain", "method", "eval"] as const;

function isObject(v: unknown): v is ConfigObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads a `.json`, `.yaml` or `.yml` config file and checks its top level. */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${path}: ${code === "ENOENT" ? "no such config file" : errorMessage(e)}; give --config a .json or .yaml file`);
  }
  const ext = extname(path).toLowerCase();
  let parsed: unknown;
  try {
    parsed = ext === ".yaml" || ext === ".yml" ? parseConfigYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new CliError(`${path}: not valid ${ext === ".yaml" || ext === ".yml" ? "YAML" : "JSON"}: ${errorMessage(e).split("\n")[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isObject(parsed)) throw new CliError(`${path}: expected an object with sections ${SECTIONS.join(", ")}`);
  const out: { [K in (typeof SECTIONS)[number]]?: ConfigObject } = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(SECTIONS as readonly string[]).includes(key)) {
      throw new CliError(`${path}: unknown section "${key}"${suggest(key, SECTIONS)}; sections are ${SECTIONS.join(", ")}`);
    }
    if (!isObject(value)) throw new CliError(`${path}: section "${key}" must be an object of options`);
    out[key as (typeof SECTIONS)[number]] = value;
  }
  return out;
}

/** The tags of YAML's core schema: plain data. Any other (`!!js/function`, `!!binary`, `!custom`) is refused. */
const DATA_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`));

/**
 * YAML as plain data: a parse error, or a tag outside the core schema (which other loaders map to
 * code or objects, and `yaml` would quietly turn into a string), throws with its line. Aliases
 * expand to at most `yaml`'s default budget, so an alias bomb throws rather than filling memory.
 */
function parseConfigYaml(text: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, logLevel: "silent" });
  const first = doc.errors[0];
  if (first !== undefined) throw new Error(`${first.message} at line ${lineCounter.linePos(first.pos[0]).line}`);
  visit(doc, (_, node) => {
    if (isNode(node) && node.tag !== undefined && !DATA_TAGS.has(node.tag)) {
      const at = node.range === undefined || node.range === null ? "" : ` at line ${lineCounter.linePos(node.range[0]).line}`;
      throw new Error(`tag "${node.tag}"${at} is not plain data (only YAML's core types are read)`);
    }
  });
  return doc.toJS({ maxAliasCount: 100 });
}

/** Parses "5m", "90s", "1h30m", "2.5m" or a bare number of seconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)\s*(h|m|s|ms)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const v = Number(m[1]);
    total += m[2] === "h" ? v * 3600 : m[2] === "m" ? v * 60 : m[2] === "s" ? v : v / 1000;
    end = re.lastIndex;
  }
  if (end === 0 || end !== s.length || !(total > 0)) throw new CliError(`"${text}" is not a duration; write e.g. 90s, 5m or 1h30m`);
  return total;
}

/** A field checker: the config value (already present) → the typed value, or a CliError. */
type Field<T> = (value: ConfigValue, where: string) => T;

const positiveInt: Field<number> = (v, where) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new CliError(`${where} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
};
const nonNegativeInt: Field<number> = (v, where) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new CliError(`${where} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
};
const text: Field<string> = (v, where) => {
  if (typeof v !== "string" || v === "") throw new CliError(`${where} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
};
const optional =
  <T>(f: Field<T>): Field<T | null> =>
  (v, where) =>
    v === null ? null : f(v, where);
const duration: Field<number> = (v, where) => {
  if (typeof v === "number" && v > 0) return v;
  if (typeof v === "string") {
    try {
      return parseDuration(v);
    } catch {
      // fall through to the message that names the field
    }
  }
  throw new CliError(`${where} must be seconds or a duration like "5m", got ${JSON.stringify(v)}`);
};
const oneOf =
  <T extends string>(names: readonly T[]): Field<T> =>
  (v, where) => {
    if (typeof v === "string" && (names as readonly string[]).includes(v)) return v as T;
    throw new CliError(`${where} must be one of ${names.join(", ")}, got ${JSON.stringify(v)}${typeof v === "string" ? suggest(v, names) : ""}`);
  };
const listOf =
  <T>(item: Field<T>): Field<T[]> =>
  (v, where) => {
    if (!Array.isArray(v) || v.length === 0) throw new CliError(`${where} must be a non-empty list, got ${JSON.stringify(v)}`);
    return v.map((x, i) => item(x, `${where}[${i}]`));
  };

const fraction: Field<number> = (v, where) => {
  if (typeof v !== "number" || !(v >= 0 && v < 1)) throw new CliError(`${where} must be a number in [0, 1), got ${JSON.stringify(v)}`);
  return v;
};

const PRETRAIN_FIELDS: { [K in keyof PretrainConfig]: Field<PretrainConfig[K]> } = {
  method: text,
  data: text,
  labels: optional(text),
  textColumn: optional(text),
  encoder: optional(oneOf(ENCODERS)),
  epochs: optional(positiveInt),
  timeBudgetSeconds: optional(duration),
  batchSize: optional(positiveInt),
  seed: nonNegativeInt,
  limit: optional(positiveInt),
  checkpointEverySteps: positiveInt,
  logEverySteps: positiveInt,
  effectiveRankPoints: nonNegativeInt,
  validationPoints: nonNegativeInt,
  tokenizer: optional(oneOf(TOKENIZERS)),
  vocabSize: optional(nonNegativeInt),
  context: optional(positiveInt),
  dModel: optional(positiveInt),
  layers: optional(positiveInt),
  heads: optional(positiveInt),
  dropout: optional(fraction),
  categoricalColumns: optional(listOf(text)),
  numericColumns: optional(listOf(text)),
  ignoreColumns: optional(listOf(text)),
};

const EVAL_FIELDS: { [K in keyof EvalConfig]: Field<EvalConfig[K]> } = {
  data: optional(text),
  labels: optional(text),
  testData: optional(text),
  testLabels: optional(text),
  labelsPerClass: listOf(nonNegativeInt),
  probes: optional(listOf(oneOf(PROBES))),
  draws: positiveInt,
  labelDraws: oneOf(LABEL_DRAWS),
  baselines: (v, where) => (v === null ? null : Array.isArray(v) && v.length === 0 ? [] : listOf(oneOf(BASELINES))(v, where)),
  seed: nonNegativeInt,
  labelFractions: optional(listOf((v, where) => {
    if (typeof v !== "number" || !(v > 0 && v <= 1)) throw new CliError(`${where} must be a share of the training rows in (0, 1], got ${JSON.stringify(v)}`);
    return v;
  })),
};

/** Checks one section against its fields: unknown keys are named with the closest known one. */
function checkSection<T extends object>(
  section: string,
  fields: { [K in keyof T]: Field<T[K]> },
  values: ConfigObject,
  source: string,
): Partial<T> {
  const out: Partial<T> = {};
  const names = Object.keys(fields);
  for (const [key, value] of Object.entries(values)) {
    if (!names.includes(key)) {
      throw new CliError(`${source}: ${section}.${key} is not an option${suggest(key, names)}; ${section} options are ${names.join(", ")}`);
    }
    const field = fields[key as keyof T];
    out[key as keyof T] = field(value, `${source}: ${section}.${key}`);
  }
  return out;
}

/** The pretrain section from layers (defaults < file < flags), validated. */
export function resolvePretrain(file: ConfigObject | undefined, flags: ConfigObject, source: string): PretrainConfig {
  const fromFile = file ? checkSection<PretrainConfig>("pretrain", PRETRAIN_FIELDS, file, source) : {};
  const fromFlags = checkSection<PretrainConfig>("pretrain", PRETRAIN_FIELDS, flags, "flags");
  const merged = { ...PRETRAIN_DEFAULTS, ...fromFile, ...fromFlags };
  // The file is named when there is one, so a config without the field says which file lacks it.
  const inFile = source === "config" ? "--config" : source;
  if (merged.method === undefined) throw new CliError(`no method given: pass --method <name> (see \`pretext methods\`) or set pretrain.method in ${inFile}`);
  if (merged.data === undefined) throw new CliError(`no data given: pass --data <spec> (e.g. --data mnist, an IDX file or an image folder) or set pretrain.data in ${inFile}`);
  return { ...merged, method: merged.method, data: merged.data };
}

/** The eval section from layers (defaults < file < flags), validated. */
export function resolveEval(file: ConfigObject | undefined, flags: ConfigObject, source: string): EvalConfig {
  const fromFile = file ? checkSection<EvalConfig>("eval", EVAL_FIELDS, file, source) : {};
  const fromFlags = checkSection<EvalConfig>("eval", EVAL_FIELDS, flags, "flags");
  return { ...EVAL_DEFAULTS, ...fromFile, ...fromFlags };
}

/**
 * A method's options: its defaults overridden by the config's `method` section. Every key must
 * be one of the defaults' and keep its type (a number stays a number), so a typo or a wrong type
 * is caught before anything is compiled.
 */
export function resolveMethodOptions(methodName: string, defaults: object, overrides: ConfigObject | undefined, source: string): ConfigObject {
  const base = toConfigObject(defaults, `${methodName} defaults`);
  const out: ConfigObject = { ...base };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (!(key in base)) {
      const names = Object.keys(base);
      throw new CliError(`${source}: method.${key} is not an option of ${methodName}${suggest(key, names)}; its options are ${names.join(", ") || "(none)"}`);
    }
    const want = base[key] as ConfigValue;
    const kind = (v: ConfigValue) => (v === null ? "null" : Array.isArray(v) ? "list" : typeof v);
    if (want !== null && kind(want) !== kind(value)) {
      throw new CliError(`${source}: method.${key} must be a ${kind(want)} like ${JSON.stringify(want)}, got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out;
}

/** Checks that a plain object holds only config values (defaults are plain data by contract). */
export function toConfigObject(value: object, where: string): ConfigObject {
  const json = JSON.parse(JSON.stringify(value)) as unknown;
  if (!isObject(json)) throw new Error(`${where}: not a plain object`);
  return json;
}

import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors } from "../train/safetensors.js";
import { finite, isRecord, isStringArray } from "./json.js";
import { type AudioRunFiles, readAudioFiles } from "./audio-run.js";
import { type TableReconstruction, parseTableReconstruction } from "./table-reconstruction.js";
import { type SampleRecord, type TextExamples, type ValidationRecord, parseSampleLine, parseValidationLine, readTextFiles } from "./text-run.js";

/**
 * Reading a run folder for the report: `config.json`, `metrics.jsonl`, `embeddings.safetensors`
 * and `views.png`, and for a text run the files of `text-run.ts`. Only `metrics.jsonl` is required;
 * each missing piece leaves its section of the report with a note instead of a chart.
 */

/** One logged training step: its position and every numeric field of the line (`loss`, `lr`, ...). */
export interface StepRecord {
  readonly step: number;
  readonly epoch: number | null;
  /** Numeric fields by name; a field logged as `null` (a NaN loss serialized by JSON) is absent. */
  readonly values: Readonly<Record<string, number>>;
}

/** Labels per class of a probe: a count, "all" for the full labelled training set, null where it does not apply (k-means). */
export type LabelsPerClass = number | "all" | null;

/** One evaluation line. */
export interface EvalRecord {
  /** "linear", "knn", "kmeans", ... */
  readonly probe: string;
  /** The method's name, or a baseline: "random", "raw_pixels", "supervised". */
  readonly encoder: string;
  readonly labelsPerClass: LabelsPerClass;
  /** Tables' label-fraction protocol: the share of the training rows labelled (`label_fraction`); absent otherwise. */
  readonly labelFraction?: number | null;
  readonly accuracy: number | null;
  readonly sd: number | null;
  readonly nmi: number | null;
  readonly ari: number | null;
  /** The perplexity probe's held-out scores; null on other probes. */
  readonly natsPerToken: number | null;
  readonly perplexity: number | null;
  readonly bitsPerByte: number | null;
}

/** The test-set embeddings, labels and (optionally) images. */
export interface EmbeddingSet {
  /** [n, d], row-major. */
  readonly embeddings: Float32Array;
  readonly n: number;
  readonly d: number;
  /** [n] class indices. */
  readonly labels: Int32Array;
  /** [n, channels, height, width], or null when the file has no `images` tensor. */
  readonly images: { readonly data: Float32Array; readonly channels: number; readonly height: number; readonly width: number } | null;
  /** Display names of the label ids (the file's `class_names` metadata, a JSON array), or null. */
  readonly classNames?: readonly string[] | null;
  /** The test texts of a text run (`texts.json`), aligned with the embeddings, or null. */
  readonly texts?: readonly string[] | null;
}

/** The run's step plan (the `plan` line pretraining writes first): how many steps, and from what limit. */
export interface PlanRecord {
  readonly totalSteps: number;
  /** "epochs", "max-steps" or "time-budget". */
  readonly from: string;
  readonly timeBudgetSeconds: number | null;
}

export type ConfigValue = null | boolean | number | string | ConfigValue[] | { [key: string]: ConfigValue };

export interface RunData {
  readonly dir: string;
  /** The resolved config, `{}` when `config.json` is absent. */
  readonly config: { [key: string]: ConfigValue };
  readonly steps: StepRecord[];
  readonly evals: EvalRecord[];
  /** The last plan line (a resumed run may re-plan), or null for runs written before plans. */
  readonly plan?: PlanRecord | null;
  readonly embeddings: EmbeddingSet | null;
  /** The bytes of `views.png`, or null. */
  readonly viewsPng: Uint8Array | null;
  /** Things the reader tolerated, shown at the top of the report (e.g. a truncated last line). */
  readonly warnings: string[];
  /** A text run: `pretrain.tokenizer` is set in config.json, or the folder holds `tokenizer.json`. */
  readonly isText?: boolean;
  /** Held-out losses logged during training, by step. */
  readonly validation?: ValidationRecord[];
  /** Generated texts at checkpoints, by step (in logged order within a step). */
  readonly samples?: SampleRecord[];
  /** `text-examples.json`, or null. */
  readonly textExamples?: TextExamples | null;
  /** A table run: the folder holds `table.json` (the training rows' encoding). */
  readonly isTable?: boolean;
  /** A masked table method's per-feature reconstruction errors (`reconstruction.json`), or null. */
  readonly tableReconstruction?: TableReconstruction | null;
  /** An audio run: the folder holds `audio.json` (and it is not a text run). */
  readonly isAudio?: boolean;
  /** An audio run's side files (`audio-run.ts`), or null for other runs. */
  readonly audio?: AudioRunFiles | null;
}

function parseLabelsPerClass(v: unknown): LabelsPerClass {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return v;
  return v === "all" ? "all" : null;
}

/**
 * Parses `metrics.jsonl`. Lines with an unknown `type` are ignored (newer writers may add kinds).
 * A malformed LAST line is tolerated with a warning, since a run killed mid-write leaves one;
 * a malformed line anywhere else means the file is damaged and throws, naming the line.
 */
export function parseMetrics(
  text: string,
  source = "metrics.jsonl",
): { steps: StepRecord[]; evals: EvalRecord[]; plan: PlanRecord | null; validation: ValidationRecord[]; samples: SampleRecord[]; warnings: string[] } {
  let plan: PlanRecord | null = null;
  const steps: StepRecord[] = [];
  const evals: EvalRecord[] = [];
  const validation: ValidationRecord[] = [];
  const samples: SampleRecord[] = [];
  const warnings: string[] = [];
  const lines = text.split("\n");
  let last = lines.length - 1;
  while (last >= 0 && lines[last]?.trim() === "") last--;
  for (let i = 0; i <= last; i++) {
    const line = lines[i]?.trim() ?? "";
    if (line === "") continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      if (i === last) {
        warnings.push(`${source}: ignored a truncated last line (${line.length} characters), as a killed run leaves one`);
        continue;
      }
      throw new Error(`${source}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    if (!isRecord(obj)) throw new Error(`${source}:${i + 1}: expected a JSON object, got ${JSON.stringify(obj).slice(0, 40)}`);
    if (obj.type === "step") {
      const step = finite(obj.step);
      if (step === null) throw new Error(`${source}:${i + 1}: a "step" line needs a numeric "step"`);
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(obj)) {
        const x = finite(v);
        if (x !== null && k !== "step" && k !== "epoch") values[k] = x;
      }
      steps.push({ step, epoch: finite(obj.epoch), values });
    } else if (obj.type === "plan") {
      const totalSteps = finite(obj.total_steps);
      if (totalSteps !== null) plan = { totalSteps, from: typeof obj.from === "string" ? obj.from : "epochs", timeBudgetSeconds: finite(obj.time_budget_s) };
    } else if (obj.type === "eval") {
      if (typeof obj.probe !== "string") throw new Error(`${source}:${i + 1}: an "eval" line needs a string "probe"`);
      evals.push({
        probe: obj.probe,
        encoder: typeof obj.encoder === "string" ? obj.encoder : "method",
        labelsPerClass: parseLabelsPerClass(obj.labels_per_class),
        ...(finite(obj.label_fraction) === null ? {} : { labelFraction: finite(obj.label_fraction) }),
        accuracy: finite(obj.accuracy),
        sd: finite(obj.sd),
        nmi: finite(obj.nmi),
        ari: finite(obj.ari),
        natsPerToken: finite(obj.nats_per_token),
        perplexity: finite(obj.perplexity),
        bitsPerByte: finite(obj.bits_per_byte),
      });
    } else if (obj.type === "validation") {
      validation.push(parseValidationLine(obj, `${source}:${i + 1}`));
    } else if (obj.type === "sample") {
      samples.push(parseSampleLine(obj, `${source}:${i + 1}`));
    }
  }
  // Stable sorts: lines of one step keep their logged order.
  steps.sort((a, b) => a.step - b.step);
  validation.sort((a, b) => a.step - b.step);
  samples.sort((a, b) => a.step - b.step);
  return { steps, evals, plan, validation, samples, warnings };
}

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function toInt32(data: ArrayLike<number | bigint>, name: string): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!Number.isInteger(v)) throw new Error(`embeddings.safetensors: "${name}" holds a non-integer label ${v}`);
    out[i] = v;
  }
  return out;
}

/** The `class_names` metadata entry: a JSON array of strings naming every label id, else null. */
function classNamesOf(metadata: Readonly<Record<string, string>>, labels: Int32Array): string[] | null {
  const raw = metadata.class_names;
  if (raw === undefined) return null;
  let names: unknown;
  try {
    names = JSON.parse(raw);
  } catch {
    return null;
  }
  return isStringArray(names) && labels.every((y) => y >= 0 && y < names.length) ? names : null;
}

/**
 * Reads `embeddings.safetensors`: `embeddings` F32 [N, D], `labels` integer [N], optional `images`
 * F32 [N, C, H, W] and optional `class_names` metadata (a JSON array of strings).
 */
export async function readEmbeddings(path: string): Promise<EmbeddingSet> {
  const { tensors, metadata } = await readSafetensors(path);
  const emb = tensors.get("embeddings");
  const labels = tensors.get("labels");
  if (!emb || !(emb.data instanceof Float32Array) || emb.shape.length !== 2) {
    throw new Error(`${path}: needs an F32 tensor "embeddings" of shape [N, D], found ${emb ? `${emb.dtype} [${emb.shape.join(", ")}]` : "none"}`);
  }
  const [n = 0, d = 0] = emb.shape;
  if (!labels || labels.shape.length !== 1 || labels.shape[0] !== n || labels.data instanceof Float32Array || labels.data instanceof Float64Array) {
    throw new Error(`${path}: needs an integer tensor "labels" of shape [${n}], found ${labels ? `${labels.dtype} [${labels.shape.join(", ")}]` : "none"}`);
  }
  const img = tensors.get("images");
  let images: EmbeddingSet["images"] = null;
  if (img) {
    if (!(img.data instanceof Float32Array) || img.shape.length !== 4 || img.shape[0] !== n) {
      throw new Error(`${path}: "images" must be F32 [${n}, C, H, W], found ${img.dtype} [${img.shape.join(", ")}]`);
    }
    const [, channels = 0, height = 0, width = 0] = img.shape;
    images = { data: img.data, channels, height, width };
  }
  const ids = toInt32(labels.data, "labels");
  return { embeddings: emb.data, n, d, labels: ids, images, classNames: classNamesOf(metadata, ids) };
}

/** Reads everything the report shows from a run folder; only `metrics.jsonl` is required. */
export async function readRun(dir: string): Promise<RunData> {
  const metricsBytes = await readIfExists(join(dir, "metrics.jsonl"));
  if (metricsBytes === null) throw new Error(`${dir}: no metrics.jsonl; is this a run folder written by \`pretext pretrain\`?`);
  const { steps, evals, plan, validation, samples, warnings } = parseMetrics(metricsBytes.toString("utf8"), join(dir, "metrics.jsonl"));

  const configBytes = await readIfExists(join(dir, "config.json"));
  let config: RunData["config"] = {};
  if (configBytes !== null) {
    const parsed: unknown = JSON.parse(configBytes.toString("utf8"));
    if (!isRecord(parsed)) throw new Error(`${join(dir, "config.json")}: expected a JSON object`);
    config = parsed as RunData["config"];
  }

  const embPath = join(dir, "embeddings.safetensors");
  const hasEmbeddings = await access(embPath).then(
    () => true,
    () => false,
  );
  const read = hasEmbeddings ? await readEmbeddings(embPath) : null;
  const views = await readIfExists(join(dir, "views.png"));
  const text = await readTextFiles(dir, read?.n ?? null);
  const pretrain = config.pretrain;
  const tokenizer = isRecord(pretrain) ? pretrain.tokenizer : undefined;
  const isText = (tokenizer !== undefined && tokenizer !== null) || text.hasTokenizer;
  const embeddings = read === null ? null : { ...read, texts: text.texts };
  const audio = isText ? null : await readAudioFiles(dir, read?.n ?? null);
  const isAudio = audio?.hasAudioJson === true;
  const isTable = await access(join(dir, "table.json")).then(
    () => true,
    () => false,
  );
  const reconstructionPath = join(dir, "reconstruction.json");
  const reconstructionBytes = isTable ? await readIfExists(reconstructionPath) : null;
  const tableReconstruction = reconstructionBytes === null ? null : parseTableReconstruction(reconstructionBytes.toString("utf8"), reconstructionPath, warnings);
  return {
    isTable,
    tableReconstruction,
    dir,
    config,
    steps,
    evals,
    plan,
    embeddings,
    viewsPng: views === null ? null : new Uint8Array(views),
    warnings: [...warnings, ...text.warnings, ...(isAudio ? (audio?.warnings ?? []) : [])],
    isText,
    validation,
    samples,
    textExamples: text.examples,
    isAudio,
    audio: isAudio ? audio : null,
  };
}

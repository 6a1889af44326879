import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { finite, isRecord, isStringArray } from "./json.js";

/**
 * What a text run's folder adds for the report: `validation` and `sample` lines in
 * `metrics.jsonl`, `text-examples.json` (masked-token predictions and nearest neighbours, written by
 * `pretext eval`) and `texts.json` (the test texts, aligned with `embeddings.safetensors`).
 * The side files are optional and read leniently: a damaged one becomes a warning, not a failed report.
 */

/** A language model's held-out loss at a training step (`{"type":"validation",...}`). */
export interface ValidationRecord {
  readonly step: number;
  readonly natsPerToken: number | null;
  readonly perplexity: number | null;
  readonly bitsPerByte: number | null;
}

/** Text generated from `prompt` at a checkpoint (`{"type":"sample",...}`). */
export interface SampleRecord {
  readonly step: number;
  readonly prompt: string;
  /** The generated text; it may or may not repeat the prompt at its start. */
  readonly text: string;
}

/** A masked position of a sentence and the model's most probable tokens there. */
export interface MaskedPrediction {
  /** Index into the sentence's tokens. */
  readonly position: number;
  readonly original: string;
  /** Most probable first. */
  readonly top: readonly { readonly token: string; readonly p: number }[];
}

export interface MaskedSentence {
  /** Display strings (a token's leading space included), joined without separators. */
  readonly tokens: readonly string[];
  readonly predictions: readonly MaskedPrediction[];
}

export interface LabeledText {
  readonly text: string;
  readonly label: string | null;
}

/** A query test text and its closest test texts by cosine similarity, closest first. */
export interface TextNeighbours {
  readonly query: LabeledText;
  readonly neighbours: readonly (LabeledText & { readonly similarity: number })[];
}

/** `text-examples.json`; either list may be empty. */
export interface TextExamples {
  readonly masked: readonly MaskedSentence[];
  readonly neighbours: readonly TextNeighbours[];
}

/** A `validation` metrics line; `where` names the line in errors. */
export function parseValidationLine(obj: Record<string, unknown>, where: string): ValidationRecord {
  const step = finite(obj.step);
  if (step === null) throw new Error(`${where}: a "validation" line needs a numeric "step"`);
  return { step, natsPerToken: finite(obj.nats_per_token), perplexity: finite(obj.perplexity), bitsPerByte: finite(obj.bits_per_byte) };
}

/** A `sample` metrics line. */
export function parseSampleLine(obj: Record<string, unknown>, where: string): SampleRecord {
  const step = finite(obj.step);
  if (step === null || typeof obj.text !== "string") throw new Error(`${where}: a "sample" line needs a numeric "step" and a string "text"`);
  return { step, prompt: typeof obj.prompt === "string" ? obj.prompt : "", text: obj.text };
}

const labelOf = (v: unknown): string | null => (typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : null);

function labeledText(v: unknown): LabeledText | null {
  if (!isRecord(v) || typeof v.text !== "string") return null;
  return { text: v.text, label: labelOf(v.label) };
}

function maskedSentence(v: unknown): MaskedSentence | null {
  if (!isRecord(v) || !isStringArray(v.tokens)) return null;
  const tokens = v.tokens;
  const predictions: MaskedPrediction[] = [];
  for (const p of Array.isArray(v.predictions) ? v.predictions : []) {
    if (!isRecord(p)) continue;
    const position = finite(p.position);
    if (position === null || !Number.isInteger(position) || position < 0 || position >= tokens.length) continue;
    const top = (Array.isArray(p.top) ? p.top : []).flatMap((t: unknown) => {
      const prob = isRecord(t) ? finite(t.p) : null;
      return isRecord(t) && typeof t.token === "string" && prob !== null ? [{ token: t.token, p: prob }] : [];
    });
    predictions.push({ position, original: typeof p.original === "string" ? p.original : (tokens[position] ?? ""), top });
  }
  predictions.sort((a, b) => a.position - b.position);
  return { tokens, predictions };
}

function textNeighbours(v: unknown): TextNeighbours | null {
  const query = isRecord(v) ? labeledText(v.query) : null;
  if (!isRecord(v) || query === null) return null;
  const neighbours = (Array.isArray(v.neighbours) ? v.neighbours : []).flatMap((n: unknown) => {
    const t = labeledText(n);
    const similarity = isRecord(n) ? finite(n.similarity) : null;
    return t === null || similarity === null ? [] : [{ ...t, similarity }];
  });
  return { query, neighbours };
}

/** Parses `text-examples.json`'s contents; entries of the wrong shape are dropped and counted in the warnings. */
export function parseTextExamples(value: unknown, source = "text-examples.json"): { examples: TextExamples; warnings: string[] } {
  if (!isRecord(value)) return { examples: { masked: [], neighbours: [] }, warnings: [`${source}: expected a JSON object with "masked" and "neighbours"; not shown`] };
  const warnings: string[] = [];
  const list = <T>(key: string, parse: (v: unknown) => T | null): T[] => {
    const raw = value[key];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      warnings.push(`${source}: "${key}" is not a list; not shown`);
      return [];
    }
    const parsed = raw.map(parse);
    const bad = parsed.filter((x) => x === null).length;
    if (bad > 0) warnings.push(`${source}: skipped ${bad} of ${raw.length} "${key}" entries of the wrong shape`);
    return parsed.filter((x): x is T => x !== null);
  };
  return { examples: { masked: list("masked", maskedSentence), neighbours: list("neighbours", textNeighbours) }, warnings };
}

/** The side files of a text run, each null when absent or unusable (with a warning saying why). */
export interface TextFiles {
  readonly examples: TextExamples | null;
  /** `texts.json`: the test texts in the order of `embeddings.safetensors`. */
  readonly texts: readonly string[] | null;
  readonly hasTokenizer: boolean;
  readonly warnings: string[];
}

async function readJson(path: string, name: string, warnings: string[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    warnings.push(`${name}: not valid JSON (${(e as Error).message}); not shown`);
    return undefined;
  }
}

/** Reads `text-examples.json`, `texts.json` and whether `tokenizer.json` exists; `n` is the number of embeddings (null without them). */
export async function readTextFiles(dir: string, n: number | null): Promise<TextFiles> {
  const warnings: string[] = [];
  const rawExamples = await readJson(join(dir, "text-examples.json"), "text-examples.json", warnings);
  let examples: TextExamples | null = null;
  if (rawExamples !== undefined) {
    const parsed = parseTextExamples(rawExamples);
    examples = parsed.examples;
    warnings.push(...parsed.warnings);
  }
  const rawTexts = await readJson(join(dir, "texts.json"), "texts.json", warnings);
  let texts: string[] | null = null;
  if (rawTexts !== undefined) {
    if (!isStringArray(rawTexts)) warnings.push("texts.json: expected a JSON array of strings; not used");
    else if (n !== null && rawTexts.length !== n) warnings.push(`texts.json: ${rawTexts.length} texts for ${n} embeddings; not used`);
    else texts = rawTexts;
  }
  const hasTokenizer = await access(join(dir, "tokenizer.json")).then(
    () => true,
    () => false,
  );
  return { examples, texts, hasTokenizer, warnings };
}

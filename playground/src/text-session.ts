import {
  type ArrayDataset,
  type CharTokenizer,
  type CompileOptions,
  type Encoder,
  type Method,
  type NamedTensor,
  Rng,
  SPECIAL_IDS,
  type StepEvent,
  TextTransformer,
  effectiveRank,
  embedDataset,
  encodeSafetensors,
  exportOnnx,
  methodsFor,
  nn,
  pca2d,
  pretrain,
  recipeDefaults,
  releaseEmbeddings,
  textSpec,
  tokenizeDocuments,
  trainCharTokenizer,
} from "../../src/browser.js";
import { type EvaluationPoint, type SessionProgress, progressCallback } from "./session.js";
import type { PlaygroundSettings } from "./settings.js";

/**
 * Tokens per document, which the character tokenizer makes characters: long pieces are cut at
 * spaces to fit, so nothing is truncated. 64 as the CLI's text recipes (a step costs half of one
 * at 128; docs/text.md).
 */
export const TEXT_CONTEXT = 64;
/**
 * The playground's text transformer: 2 pre-LN blocks of width 64 (the CLI's recipe is 4 × 128;
 * a wasm step of it is ~8× slower, and a minute in the tab should show a falling loss).
 */
export const TEXT_ENCODER = { dModel: 64, layers: 2, heads: 4 } as const;
/** At most this many documents are kept (the rest named and left out): every one is embedded for the search. */
export const MAX_TEXT_DOCUMENTS = 5000;
/** Documents embedded at each evaluation point (evenly spaced), for the map and the effective rank. */
const EVALUATION_DOCUMENTS = 1000;

export type TextSplit = "sentences" | "lines";

/** A text run's data: the documents (each ≤ `TEXT_CONTEXT` characters) and where they came from. */
export interface TextRunData {
  readonly kind: "text";
  readonly texts: readonly string[];
  readonly source: string;
}

/** The methods the playground offers on text: every registry method that learns from text (mlm, clm, simcse). */
export function playgroundTextMethods(): Method[] {
  return methodsFor("text");
}

/** Cuts `piece` at spaces into parts of at most `max` characters (a word longer than that is cut where it must be). */
function fit(piece: string, max: number): string[] {
  const out: string[] = [];
  let rest = piece;
  while (rest.length > max) {
    const space = rest.lastIndexOf(" ", max);
    const cut = space > max / 2 ? space : max;
    out.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest !== "") out.push(rest);
  return out;
}

/**
 * A pasted text or file as documents: "sentences" joins each paragraph's hard-wrapped lines
 * (paragraphs end at blank lines) and splits it after . ! or ?; "lines" takes each line as it is.
 * Pieces longer than `TEXT_CONTEXT` characters are cut at spaces; pieces under 4 characters are
 * dropped. A one-line error when fewer documents than `minimum` are left.
 */
export function textDocuments(raw: string, split: TextSplit, name: string, minimum: number): TextRunData {
  const text = raw.replace(/\r\n?/g, "\n");
  const pieces =
    split === "lines"
      ? text.split("\n")
      : text.split(/\n\s*\n/).flatMap((paragraph) => paragraph.replace(/\s+/g, " ").split(/(?<=[.!?]["')\]]?)\s+/));
  const all = pieces.map((p) => p.replace(/\s+/g, " ").trim()).flatMap((p) => fit(p, TEXT_CONTEXT)).filter((p) => p.length >= 4);
  if (all.length < minimum) {
    throw new Error(`${name}: ${all.length} ${split === "lines" ? "lines" : "sentences"} of 4 characters or more; a run needs at least ${minimum} (one batch): paste more text`);
  }
  const texts = all.slice(0, MAX_TEXT_DOCUMENTS);
  const cut = all.length > texts.length ? `, the first ${MAX_TEXT_DOCUMENTS} of ${all.length} kept` : "";
  return { kind: "text", texts, source: `${name} (${texts.length} ${split === "lines" ? "lines" : "sentences"} of ≤ ${TEXT_CONTEXT} characters${cut})` };
}

/** The CLI's encoder name for a text method: a causal transformer for clm, a bidirectional one otherwise. */
export function textEncoderName(method: string): "gpt" | "transformer" {
  return method === "clm" ? "gpt" : "transformer";
}

/** The text encoder's settings as the CLI stores them (the safetensors' `textEncoder` metadata). */
export function textEncoderSettings(method: string, vocabSize: number): { vocabSize: number; context: number; dModel: number; layers: number; heads: number; dropout: number } {
  // NOTE: BERT's dropout 0.1 for mlm and simcse (SimCSE's only augmentation); none for clm, as the CLI's recipe.
  return { vocabSize, context: TEXT_CONTEXT, ...TEXT_ENCODER, dropout: method === "clm" ? 0 : 0.1 };
}

/** A fresh text encoder, initialized as `pretext pretrain` does (`new Rng(seed)`), so `pretext eval` rebuilds it. */
export function makeTextEncoder(method: string, vocabSize: number, seed: number): TextTransformer {
  return new TextTransformer(new Rng(seed), { ...textEncoderSettings(method, vocabSize), causal: method === "clm", padId: SPECIAL_IDS.pad });
}

export interface TextSessionHooks {
  onStep?(event: StepEvent): void | Promise<void>;
  onEvaluation?(point: EvaluationPoint, embeddings: Float32Array): void;
  waitWhilePaused?(): Promise<void>;
}

export interface TextSessionResult {
  readonly losses: number[];
  readonly evaluations: EvaluationPoint[];
  readonly steps: number;
  readonly seconds: number;
  readonly encoder: TextTransformer;
  readonly tokenizer: CharTokenizer;
  /** Every document's embedding by the trained encoder, `[documents, dim]`, for the search. */
  readonly embeddings: Float32Array;
}

/** Documents as `tokens: int64[length]` samples under `tokenizer`. */
export function textDataset(texts: readonly string[], tokenizer: CharTokenizer, length: number): ArrayDataset {
  return tokenizeDocuments({ texts: [...texts] }, tokenizer, length).dataset;
}

/**
 * One text run: a character tokenizer learned from the documents, a fresh text transformer
 * pretrained with the chosen text method, and at `evalPoints` evenly spaced steps the embeddings
 * of up to 1,000 documents (the map and the effective rank; text has no labels to probe).
 */
export async function runTextSession(settings: PlaygroundSettings, data: TextRunData, compile: CompileOptions, hooks: TextSessionHooks = {}, signal?: AbortSignal): Promise<TextSessionResult> {
  const method = playgroundTextMethods().find((m) => m.name === settings.method);
  if (method === undefined) throw new Error(`method "${settings.method}" does not learn from text; pick one of ${playgroundTextMethods().map((m) => m.name).join(", ")}`);
  if (settings.batchSize > data.texts.length) throw new Error(`batch size ${settings.batchSize} is more than the ${data.texts.length} documents: lower it to ${data.texts.length} or less, or paste more text`);
  const tokenizer = trainCharTokenizer(data.texts);
  const encoder = makeTextEncoder(method.name, tokenizer.vocabSize, settings.seed);
  const dim = encoder.outputDim;
  // clm trains on T + 1 tokens (inputs and, shifted, targets); every encoder embeds T.
  const trainSet = textDataset(data.texts, tokenizer, method.tokensPerSample?.(TEXT_CONTEXT) ?? TEXT_CONTEXT);
  const all = textDataset(data.texts, tokenizer, TEXT_CONTEXT);
  const n = Math.min(EVALUATION_DOCUMENTS, all.length);
  const sample = all.subset(Int32Array.from({ length: n }, (_, i) => Math.floor((i * all.length) / n)));
  const embed = async (current: Encoder, set: ArrayDataset) => (await embedDataset(current, set, { compile })).data;

  const evaluations: EvaluationPoint[] = [];
  const losses: number[] = [];
  const progress: SessionProgress = { losses, evaluations, lastStep: 0 };
  let latest: Float32Array = new Float32Array(0);
  const point = (step: number, embeddings: Float32Array, rank: number): EvaluationPoint => ({
    step,
    trained: null,
    map: pca2d(Array.from({ length: n }, (_, i) => Float64Array.from(embeddings.subarray(i * dim, (i + 1) * dim))), new Rng(settings.seed)),
    effectiveRank: rank,
  });
  const started = performance.now();
  const result = await pretrain({
    method,
    methodOptions: { ...recipeDefaults(method, "text"), ...settings.methodOptions },
    encoder,
    dataset: trainSet,
    tokenizer,
    batchSize: settings.batchSize,
    epochs: Number.POSITIVE_INFINITY,
    seed: settings.seed,
    maxSteps: settings.steps,
    ...(settings.budgetSeconds > 0 ? { timeBudgetSeconds: settings.budgetSeconds } : {}),
    compile,
    ...(signal === undefined ? {} : { signal }),
    effectiveRank: {
      points: settings.evalPoints,
      embed: async (current) => {
        latest = await embed(current, sample);
        evaluations.push(point(progress.lastStep, latest, Number.NaN));
        return { data: latest, length: n, dim };
      },
    },
    callbacks: [progressCallback(progress, () => latest, hooks)],
  });
  await result.step.release();
  if (evaluations.at(-1)?.step !== losses.length) {
    // Stopped early: the planned last evaluation never came, so map the weights it stopped with.
    latest = await embed(encoder, sample);
    const done = point(losses.length, latest, effectiveRank(latest, n, dim));
    evaluations.push(done);
    hooks.onEvaluation?.(done, latest);
  }
  const embeddings = await embed(encoder, all);
  await releaseEmbeddings(encoder);
  return { losses, evaluations, steps: losses.length, seconds: (performance.now() - started) / 1000, encoder, tokenizer, embeddings };
}

/** The downloads of a text run: `encoder.onnx` (ids `int64[1, 64]` → embedding), its weights with the CLI's metadata, `tokenizer.json`, `config.json`. */
export function textExportFiles(encoder: TextTransformer, tokenizer: CharTokenizer, settings: PlaygroundSettings): { onnx: Uint8Array; weights: Uint8Array; config: string; tokenizer: string } {
  const name = textEncoderName(settings.method);
  const onnx = exportOnnx(encoder, { inputShape: [1, TEXT_CONTEXT], inputDType: "int64", description: `pretext playground: ${settings.method} on ${name}` });
  const tensors = new Map<string, NamedTensor>();
  for (const [k, p] of [...nn.namedParameters(encoder), ...nn.namedState(encoder)]) tensors.set(k, { shape: [...p.shape], data: p.value });
  const metadata = { format: "pretext-encoder", encoder: name, sampleSpec: JSON.stringify(textSpec(TEXT_CONTEXT)), textEncoder: JSON.stringify(textEncoderSettings(settings.method, tokenizer.vocabSize)) };
  const weights = encodeSafetensors(tensors, metadata);
  const config = JSON.stringify(
    { pretrain: { method: settings.method, encoder: name, seed: settings.seed, batchSize: settings.batchSize, tokenizer: "char", context: TEXT_CONTEXT, ...TEXT_ENCODER }, method: settings.methodOptions },
    null,
    2,
  );
  return { onnx, weights, config, tokenizer: `${JSON.stringify(tokenizer.toTokenizerJson())}\n` };
}

/**
 * The `k` documents most cosine-similar to `query` by the trained encoder, best first, after
 * subtracting the documents' mean embedding from both.
 */
export async function similarTexts(query: string, encoder: TextTransformer, tokenizer: CharTokenizer, embeddings: Float32Array, k: number, compile: CompileOptions): Promise<{ indices: Int32Array; similarities: Float32Array<ArrayBuffer> }> {
  const q = (await embedDataset(encoder, textDataset([query.slice(0, TEXT_CONTEXT)], tokenizer, TEXT_CONTEXT), { compile })).data;
  const dim = encoder.outputDim;
  const n = embeddings.length / dim;
  // NOTE: a briefly trained encoder's mean-pooled embeddings share one large direction (after 100
  // MLM steps on Moby Dick any two sentences had cosine ≥ 0.9997), which raw cosine would rank by;
  // centring on the documents' mean leaves what tells them apart.
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] = (mean[j] ?? 0) + (embeddings[i * dim + j] ?? 0) / n;
  const centred = (x: Float32Array, at: number) => Float64Array.from({ length: dim }, (_, j) => (x[at + j] ?? 0) - (mean[j] ?? 0));
  const unit = (v: Float64Array) => {
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  };
  const qc = unit(centred(q, 0));
  const scores = Array.from({ length: n }, (_, i) => {
    const d = unit(centred(embeddings, i * dim));
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += (qc[j] ?? 0) * (d[j] ?? 0);
    return { i, s: dot };
  }).sort((a, b) => b.s - a.s || a.i - b.i);
  const top = scores.slice(0, k);
  return { indices: Int32Array.from(top.map((t) => t.i)), similarities: Float32Array.from(top.map((t) => t.s)) };
}

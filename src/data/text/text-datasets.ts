import { ArrayDataset } from "../dataset.js";
import type { Dataset } from "../dataset.js";
import { textSpec } from "../sample.js";
import { type TokenStream, ArrayTokenStream, TokenWindowDataset } from "./token-windows.js";
import type { TextChunks } from "./text-chunks.js";
import { type LabeledTexts, type TextSource, trainingTexts } from "./text-source.js";
import { trainByteLevelBpe } from "./tokenizer/byte-level-bpe.js";
import { trainCharTokenizer } from "./tokenizer/char.js";
import type { Tokenizer } from "./tokenizer/tokenizer.js";

export type TokenizerKind = "char" | "bpe";

export interface TokenizerTrainingOptions {
  readonly kind: TokenizerKind;
  /** For "bpe": the vocabulary size, specials and the 256 bytes included. */
  readonly vocabSize?: number;
}

/** A tokenizer learned from a source's training texts only (held-out text stays unseen; a corpus piece by piece). */
export function trainTokenizer(source: TextSource, { kind, vocabSize = 4096 }: TokenizerTrainingOptions): Tokenizer {
  const texts = trainingTexts(source);
  return kind === "char" ? trainCharTokenizer(texts) : trainByteLevelBpe(texts, { vocabSize });
}

/** Documents tokenized to `length` ids each: the first `length` tokens, then padding (id 0). */
export interface TokenizedDocuments {
  readonly dataset: ArrayDataset;
  /** Documents longer than `length` tokens, cut. */
  readonly truncated: number;
}

/** Each document a sample `tokens: int64[length]`, truncated or padded with the tokenizer's pad id; labels carried over. */
export function tokenizeDocuments(docs: LabeledTexts, tokenizer: Tokenizer, length: number): TokenizedDocuments {
  const n = docs.texts.length;
  if (n === 0) throw new Error("no documents to tokenize");
  const tokens = new BigInt64Array(n * length);
  const pad = BigInt(tokenizer.specials.pad);
  if (pad !== 0n) tokens.fill(pad);
  let truncated = 0;
  docs.texts.forEach((text, i) => {
    const ids = tokenizer.encode(text);
    if (ids.length > length) truncated++;
    const k = Math.min(length, ids.length);
    for (let j = 0; j < k; j++) tokens[i * length + j] = BigInt(ids[j] as number);
  });
  const dataset = new ArrayDataset({
    spec: textSpec(length),
    fields: { tokens },
    ...(docs.labels === undefined ? {} : { labels: docs.labels }),
    ...(docs.classNames === undefined ? {} : { classNames: docs.classNames, numClasses: docs.classNames.length }),
  });
  return { dataset, truncated };
}

/** A running text's ids, piece by piece (the pieces are cut where tokenizing them apart changes nothing). */
export function* tokenizeChunks(text: TextChunks, tokenizer: Tokenizer): Generator<Int32Array> {
  for (const chunk of text.chunks()) yield tokenizer.encode(chunk);
}

/** A running text as one stream of ids in memory. */
export function tokenizeCorpus(text: TextChunks, tokenizer: Tokenizer): Int32Array {
  return concatIds(tokenizeChunks(text, tokenizer));
}

function concatIds(chunks: Iterable<Int32Array>): Int32Array {
  const pieces = [...chunks];
  const out = new Int32Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface TextDatasetOptions {
  readonly tokenizer: Tokenizer;
  /** Tokens per sample: a document's padded length, or a corpus window's length. */
  readonly length: number;
  /**
   * A corpus's held-out windows: their stride (default `length`, non-overlapping; a causal LM
   * scored on windows of context + 1 passes its context, so consecutive windows share one token,
   * as the PyTorch anchor's evaluation).
   */
  readonly testStride?: number;
  /** Stores a corpus's token streams from their ids piece by piece (e.g. as token files in the run folder, never all in memory); in memory by default. */
  readonly store?: (name: "train" | "test", ids: Iterable<Int32Array>) => TokenStream;
  /** A corpus's token streams already made (token files of an earlier run): used as they are, nothing is tokenized. */
  readonly streams?: { readonly train: TokenStream; readonly test: TokenStream | null };
}

export interface TextDatasets {
  readonly train: Dataset;
  readonly test: Dataset | null;
  /** Notes for the user: truncated documents, replaced characters. */
  readonly warnings: readonly string[];
}

/**
 * The datasets of a text source under a tokenizer: a corpus gives windows of its token stream
 * (every offset, for training; non-overlapping held-out windows), documents give one padded
 * sample each, labels kept for evaluation.
 */
export function textDatasets(source: TextSource, options: TextDatasetOptions): TextDatasets {
  const { tokenizer, length } = options;
  const warnings = [...source.warnings];
  if (source.kind === "corpus") {
    const store = options.store ?? ((_name: string, ids: Iterable<Int32Array>) => new ArrayTokenStream(concatIds(ids)));
    const trainStream = options.streams?.train ?? store("train", tokenizeChunks(source.train, tokenizer));
    const testStream = source.test === null ? null : (options.streams?.test ?? store("test", tokenizeChunks(source.test, tokenizer)));
    const train = new TokenWindowDataset(trainStream, { window: length });
    const test = testStream === null ? null : new TokenWindowDataset(testStream, { window: length, stride: options.testStride ?? length });
    return { train, test, warnings };
  }
  const train = tokenizeDocuments(source.train, tokenizer, length);
  const test = source.test === null ? null : tokenizeDocuments(source.test, tokenizer, length);
  const cut = train.truncated + (test?.truncated ?? 0);
  if (cut > 0) warnings.push(`${cut} of ${source.train.texts.length + (source.test?.texts.length ?? 0)} documents are longer than ${length} tokens and were cut; a longer --context keeps more`);
  return { train: train.dataset, test: test?.dataset ?? null, warnings };
}

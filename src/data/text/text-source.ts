import type { TextChunks } from "./text-chunks.js";

/** Documents with, when labeled, a class per document. */
export interface LabeledTexts {
  readonly texts: readonly string[];
  /** `[texts.length]` class ids in 0..classNames.length − 1. */
  readonly labels?: Int32Array;
  readonly classNames?: readonly string[];
}

/**
 * Text as a data spec resolves to it, before tokenization: one running text (a corpus, for
 * language modelling: its samples are windows of the token stream; read in pieces, so it may be
 * larger than memory) or a collection of documents (its samples are documents, padded; labels
 * kept for evaluation). `test` is the fixed held-out split that goes with the spec, or null when
 * the user must give one.
 */
export type TextSource =
  | { readonly kind: "corpus"; readonly name: string; readonly train: TextChunks; readonly test: TextChunks | null; readonly warnings: readonly string[] }
  | { readonly kind: "documents"; readonly name: string; readonly train: LabeledTexts; readonly test: LabeledTexts | null; readonly warnings: readonly string[] };

/** The texts a tokenizer learns from: the training split only, so held-out text stays unseen (a corpus piece by piece). */
export function trainingTexts(source: TextSource): Iterable<string> {
  return source.kind === "corpus" ? source.train.chunks() : source.train.texts;
}

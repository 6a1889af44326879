import type { LabeledTexts } from "../data/text/text-source.js";
import { accuracy } from "./accuracy.js";
import { type CsrMatrix, csrTakeRows } from "./csr.js";
import { labelSubsets, meanSd, takeLabels } from "./label-subsets.js";
import type { PerClassProbe } from "./protocol.js";
import { type LogisticFit, SparseLogisticRegression, type SparseLogisticRegressionOptions } from "./sparse-logistic-regression.js";
import { type TfidfOptions, TfidfVectorizer } from "./tfidf.js";

export interface TfidfBaselineOptions {
  /** Labels per class of the few-label settings; 1, 10, 100 as the protocol's probes. */
  readonly perClass?: readonly number[];
  /** Seeded draws per setting (seeds seed … seed + draws − 1), the protocol's `labelSubsets`. */
  readonly draws?: number;
  readonly seed?: number;
  /** Also train on every train label. */
  readonly includeAll?: boolean;
  readonly vectorizer?: TfidfOptions;
  /**
   * What the vocabulary and idf are fitted on. "train" (default): every train text, labeled or
   * not, as an SSL method sees the unlabeled pool (and as the linear probe standardizes with the
   * whole pool); labels never touch it. "labeled": only each draw's labeled texts, the
   * strictly supervised reading. Measured with examples/tfidf-fortunes.ts (fortunes(), 3 draws):
   * on its 39 categories "train" scores 9.0 / 19.1% at 1 / 10 labels per class against
   * "labeled"'s 8.0 / 17.9%; on the 31 with ≥ 100 train fortunes 9.4 / 20.2 / 33.2% at
   * 1 / 10 / 100 against 8.8 / 19.4 / 33.3%. On the State of the Union fixture (3 parties, 10
   * draws) 37.2 / 47.0 / 55.1% at 1 / 5 / 20 against 35.6 / 43.4 / 53.2%. The gain is at few
   * labels: 39 labeled fortunes give a vocabulary of ~550 terms, so most test words are unknown
   * and every idf comes from 39 documents; at 100 per class the two agree.
   */
  readonly fitVectorizerOn?: "train" | "labeled";
  readonly logisticRegression?: SparseLogisticRegressionOptions;
}

/** A few-label setting's accuracy over draws, with each draw's solver report. */
export interface TfidfPerClass extends PerClassProbe {
  readonly fits: readonly LogisticFit[];
  /** Vocabulary size per draw (all the same unless `fitVectorizerOn` is "labeled"). */
  readonly vocabularySizes: readonly number[];
}

export interface TfidfBaselineResult {
  /** Test accuracy with every train label, or null when `includeAll` is off. */
  readonly all: { readonly accuracy: number; readonly fit: LogisticFit } | null;
  readonly perClass: readonly TfidfPerClass[];
  /** Terms of the vectorizer fitted on all train texts (0 when none was). */
  readonly vocabularySize: number;
  /** Wall time: tokenizing and weighting, the regressions with their predictions, the whole. */
  readonly seconds: { readonly vectorize: number; readonly classify: number; readonly total: number };
}

const DEFAULTS = { perClass: [1, 10, 100], draws: 5, seed: 0 } as const;

/**
 * The honest text baseline under the evaluation protocol: TF-IDF features (`TfidfVectorizer`)
 * and multinomial logistic regression (`SparseLogisticRegression`, sklearn's C = 1 objective)
 * trained on exactly the label subsets the probes use, `labelSubsets(train.labels, k, draws,
 * seed, numClasses)` for each k of `perClass`, and on all train labels; accuracy on `test`.
 * Takes a text source's splits as they are (`fortunes().train`); both must carry labels.
 */
export function tfidfBaseline(trainTexts: LabeledTexts, testTexts: LabeledTexts, numClasses: number, options: TfidfBaselineOptions = {}): TfidfBaselineResult {
  const start = performance.now();
  const train = withLabels("train", trainTexts);
  const test = withLabels("test", testTexts);
  const { perClass = DEFAULTS.perClass, draws = DEFAULTS.draws, seed = DEFAULTS.seed, includeAll = true, fitVectorizerOn = "train" } = options;
  let vectorizeMs = 0;
  let classifyMs = 0;
  const vectorized = (texts: readonly string[]): { x: CsrMatrix; xTest: CsrMatrix; terms: number } => {
    const t = performance.now();
    const vectorizer = new TfidfVectorizer(options.vectorizer);
    const x = vectorizer.fitTransform(texts);
    const xTest = vectorizer.transform(test.texts);
    vectorizeMs += performance.now() - t;
    return { x, xTest, terms: vectorizer.vocabulary.length };
  };
  const scored = (x: CsrMatrix, y: Int32Array, xTest: CsrMatrix): { accuracy: number; fit: LogisticFit } => {
    const t = performance.now();
    const model = SparseLogisticRegression.fit(x, y, numClasses, options.logisticRegression);
    const result = { accuracy: accuracy(model.predict(xTest), test.labels), fit: model.fit };
    classifyMs += performance.now() - t;
    return result;
  };

  const pool = fitVectorizerOn === "train" || includeAll ? vectorized(train.texts) : null;
  const all = includeAll && pool !== null ? scored(pool.x, train.labels, pool.xTest) : null;
  const results: TfidfPerClass[] = [];
  for (const k of perClass) {
    const accuracies: number[] = [];
    const fits: LogisticFit[] = [];
    const vocabularySizes: number[] = [];
    for (const indices of labelSubsets(train.labels, k, draws, seed, numClasses)) {
      const y = takeLabels(train.labels, indices);
      const features =
        fitVectorizerOn === "train" && pool !== null
          ? { x: csrTakeRows(pool.x, indices), xTest: pool.xTest, terms: pool.terms }
          : vectorized(Array.from(indices, (i) => train.texts[i] as string));
      const r = scored(features.x, y, features.xTest);
      accuracies.push(r.accuracy);
      fits.push(r.fit);
      vocabularySizes.push(features.terms);
    }
    results.push({ perClass: k, accuracy: meanSd(accuracies), draws: "seeded", fits, vocabularySizes });
  }
  return {
    all,
    perClass: results,
    vocabularySize: pool?.terms ?? 0,
    seconds: { vectorize: vectorizeMs / 1000, classify: classifyMs / 1000, total: (performance.now() - start) / 1000 },
  };
}

function withLabels(name: string, data: LabeledTexts): { texts: readonly string[]; labels: Int32Array } {
  const { texts, labels } = data;
  if (labels === undefined) throw new Error(`tfidfBaseline: ${name} texts have no labels`);
  if (texts.length !== labels.length) throw new Error(`tfidfBaseline: ${name} has ${texts.length} texts and ${labels.length} labels`);
  if (texts.length === 0) throw new Error(`tfidfBaseline: ${name} is empty`);
  return { texts, labels };
}

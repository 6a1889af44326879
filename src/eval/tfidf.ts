import type { CsrMatrix } from "./csr.js";
import { numpyArgsort } from "./numpy-argsort.js";

/**
 * A document-frequency bound as scikit-learn's `min_df` / `max_df` take it: a plain number is a
 * count of documents (Python's `int`), `{ fraction }` a proportion of them (Python's `float`).
 * JavaScript has one number type, so `maxDf: 1` could mean either; a plain non-integer throws.
 */
export type DocumentFrequencyBound = number | { readonly fraction: number };

export interface TfidfOptions {
  /** Lowercase before tokenizing (Python's `str.lower`, which `toLowerCase` matches). */
  readonly lowercase?: boolean;
  /** Smallest and largest n of the word n-grams; [1, 2] adds bigrams joined by one space. */
  readonly ngramRange?: readonly [number, number];
  /** Drop terms in fewer documents than this (sklearn's default 1 keeps all). */
  readonly minDf?: DocumentFrequencyBound;
  /** Drop terms in more documents than this (default every document: `{ fraction: 1 }`). */
  readonly maxDf?: DocumentFrequencyBound;
  /** Keep only this many terms, the most frequent by count over the corpus. */
  readonly maxFeatures?: number | null;
  /** idf = ln((1 + n) / (1 + df)) + 1, as if one document held every term; else ln(n / df) + 1. */
  readonly smoothIdf?: boolean;
  /** tf = 1 + ln(count) instead of count. */
  readonly sublinearTf?: boolean;
  /** Scale each row to unit Euclidean norm (rows without known terms stay zero). */
  readonly norm?: "l2" | null;
  /** Storage of the values; they are computed in float64 either way (sklearn's default dtype). */
  readonly dtype?: "float64" | "float32";
}

/**
 * A word run of scikit-learn's token pattern `(?u)\b\w\w+\b`. Python's Unicode `\w` is exactly
 * the letters (L*), numbers (N*) and `_` — checked over every code point of Python 3.11's Unicode
 * 14 — while JavaScript's `\w` and `\b` stay ASCII even with the `u` flag, so the class is spelt
 * out. `\b…\b` around a greedy run is a maximal run, and with the `u` flag `{2,}` counts code
 * points, as Python's `len` does (an astral letter is one character, two UTF-16 units).
 * NOTE: Node's ICU knows later Unicode versions than Python 3.11; letters assigned since
 * Unicode 14 are word characters here and not there (no text in our corpora has any).
 */
const TOKEN = /[\p{L}\p{N}_]{2,}/gu;

/** The words of `text` as scikit-learn's default `build_tokenizer()` finds them. */
export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/**
 * Tokens then word n-grams, in the order of sklearn's `_word_ngrams` (unigrams first, then each
 * larger n left to right): the analyzer `TfidfVectorizer.build_analyzer()` returns.
 */
export function analyze(text: string, options: Pick<TfidfOptions, "lowercase" | "ngramRange"> = {}): string[] {
  const [minN, maxN] = options.ngramRange ?? [1, 1];
  const tokens = tokenize((options.lowercase ?? true) ? text.toLowerCase() : text);
  if (maxN === 1) return tokens;
  const out = minN === 1 ? [...tokens] : [];
  for (let n = Math.max(minN, 2); n <= Math.min(maxN, tokens.length); n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(" "));
  }
  return out;
}

/**
 * Orders strings by code point, as Python's `sorted` does, where `<` on JavaScript strings
 * compares UTF-16 units and puts astral characters (surrogates 0xD800–0xDFFF) before U+E000–U+FFFF.
 * At the first differing unit both orders agree unless that unit is a surrogate or ≥ 0xE000, so
 * those units are shifted above / below each other there (ICU's code point order fix-up).
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Term counts per document: row d's distinct terms at `ids[start[d] … start[d + 1])`. */
interface Counts {
  readonly start: Int32Array;
  readonly ids: Int32Array;
  readonly counts: Int32Array;
}

/**
 * TF-IDF features, scikit-learn 1.2's `TfidfVectorizer` with its defaults (lowercase, token
 * pattern `(?u)\b\w\w+\b`, unigrams, smooth idf, l2 rows, float64): the vocabulary in code point
 * order, idf = ln((1 + n) / (1 + df)) + 1, and each row tf · idf scaled to unit norm. Rows come
 * out as CSR, so a large corpus never becomes dense. Checked against sklearn in
 * test/eval/tfidf.test.ts (scripts/sklearn-tfidf.py).
 */
export class TfidfVectorizer {
  readonly options: Required<TfidfOptions>;
  /** Terms by column, in code point order; empty before `fit`. */
  vocabulary: readonly string[] = [];
  /** `[terms]` inverse document frequency of each column. */
  idf: Float64Array = new Float64Array(0);
  #index = new Map<string, number>();

  constructor(options: TfidfOptions = {}) {
    // `??` rather than a spread, so an option passed as undefined still gets its default.
    this.options = {
      lowercase: options.lowercase ?? true,
      ngramRange: options.ngramRange ?? [1, 1],
      minDf: options.minDf ?? 1,
      maxDf: options.maxDf ?? { fraction: 1 },
      maxFeatures: options.maxFeatures ?? null,
      smoothIdf: options.smoothIdf ?? true,
      sublinearTf: options.sublinearTf ?? false,
      norm: options.norm === undefined ? "l2" : options.norm,
      dtype: options.dtype ?? "float64",
    };
    const [minN, maxN] = this.options.ngramRange;
    if (!(Number.isInteger(minN) && Number.isInteger(maxN) && minN >= 1 && maxN >= minN)) throw new Error(`TfidfVectorizer: ngramRange [${minN}, ${maxN}] is not 1 ≤ min ≤ max`);
    const { maxFeatures } = this.options;
    if (maxFeatures !== null && !(Number.isInteger(maxFeatures) && maxFeatures >= 1)) throw new Error(`TfidfVectorizer: maxFeatures must be a positive integer, got ${maxFeatures}`);
    checkBound("minDf", this.options.minDf);
    checkBound("maxDf", this.options.maxDf);
  }

  /** Term → column. */
  get index(): ReadonlyMap<string, number> {
    return this.#index;
  }

  /** Learns the vocabulary and idf of `texts`. */
  fit(texts: readonly string[]): this {
    this.#fit(texts);
    return this;
  }

  /** `fit(texts)` then `transform(texts)`, tokenizing once. */
  fitTransform(texts: readonly string[]): CsrMatrix {
    const { counts, column } = this.#fit(texts);
    return this.#weigh(texts.length, counts, column);
  }

  /** `[texts.length, vocabulary.length]` TF-IDF rows; unknown terms are ignored. */
  transform(texts: readonly string[]): CsrMatrix {
    if (this.vocabulary.length === 0) throw new Error("TfidfVectorizer.transform: call fit first");
    const index = this.#index;
    const counts = countTerms(texts, this.options, (term) => index.get(term) ?? -1);
    return this.#weigh(texts.length, counts, null);
  }

  #fit(texts: readonly string[]): { counts: Counts; column: Int32Array } {
    const n = texts.length;
    if (n === 0) throw new Error("TfidfVectorizer.fit: no documents");
    const seen = new Map<string, number>();
    const terms: string[] = [];
    const counts = countTerms(texts, this.options, (term) => {
      let id = seen.get(term);
      if (id === undefined) {
        id = terms.length;
        seen.set(term, id);
        terms.push(term);
      }
      return id;
    });
    if (terms.length === 0) throw new Error("TfidfVectorizer.fit: empty vocabulary; the documents hold no tokens");
    const df = new Float64Array(terms.length);
    const total = new Float64Array(terms.length);
    for (let p = 0; p < counts.ids.length; p++) {
      const id = counts.ids[p] as number;
      df[id] = (df[id] as number) + 1;
      total[id] = (total[id] as number) + (counts.counts[p] as number);
    }
    // sklearn: max_df * n_doc for a float, the count itself for an int (compared as floats).
    const { minDf, maxDf, maxFeatures } = this.options;
    const high = typeof maxDf === "number" ? maxDf : maxDf.fraction * n;
    const low = typeof minDf === "number" ? minDf : minDf.fraction * n;
    if (high < low) throw new Error("TfidfVectorizer.fit: maxDf corresponds to fewer documents than minDf");
    const sorted = Int32Array.from(terms.keys()).sort((a, b) => compareCodePoints(terms[a] as string, terms[b] as string));
    let kept = Array.from(sorted).filter((id) => (df[id] as number) <= high && (df[id] as number) >= low);
    if (maxFeatures !== null && kept.length > maxFeatures) {
      // sklearn sorts the vocabulary first, then keeps `(-tfs[mask]).argsort()[:limit]`.
      const top = numpyArgsort(kept.map((id) => -(total[id] as number))).subarray(0, maxFeatures);
      const keep = new Uint8Array(kept.length);
      for (const k of top) keep[k] = 1;
      kept = kept.filter((_, k) => keep[k] === 1);
    }
    if (kept.length === 0) throw new Error("TfidfVectorizer.fit: after pruning, no terms remain; lower minDf or raise maxDf");
    const column = new Int32Array(terms.length).fill(-1);
    kept.forEach((id, c) => (column[id] = c));
    this.vocabulary = kept.map((id) => terms[id] as string);
    this.#index = new Map(this.vocabulary.map((t, c) => [t, c]));
    const smooth = this.options.smoothIdf ? 1 : 0;
    this.idf = Float64Array.from(kept, (id) => Math.log((n + smooth) / ((df[id] as number) + smooth)) + 1);
    return { counts, column };
  }

  /** CSR rows of tf · idf from counts, their ids mapped to columns by `column` (or already columns). */
  #weigh(rows: number, counts: Counts, column: Int32Array | null): CsrMatrix {
    const cols = this.vocabulary.length;
    const { sublinearTf, norm, dtype } = this.options;
    const indptr = new Int32Array(rows + 1);
    let nnz = 0;
    for (let d = 0; d < rows; d++) {
      for (let p = counts.start[d] as number; p < (counts.start[d + 1] as number); p++) if (column === null || (column[counts.ids[p] as number] as number) >= 0) nnz++;
      indptr[d + 1] = nnz;
    }
    const indices = new Int32Array(nnz);
    const values = dtype === "float32" ? new Float32Array(nnz) : new Float64Array(nnz);
    const scratch = new Float64Array(cols);
    const weight = (c: number) => {
      const count = scratch[c] as number;
      return (sublinearTf ? Math.log(count) + 1 : count) * (this.idf[c] as number);
    };
    for (let d = 0; d < rows; d++) {
      const begin = indptr[d] as number;
      let at = begin;
      for (let p = counts.start[d] as number; p < (counts.start[d + 1] as number); p++) {
        const c = column === null ? (counts.ids[p] as number) : (column[counts.ids[p] as number] as number);
        if (c < 0) continue;
        indices[at++] = c;
        scratch[c] = counts.counts[p] as number;
      }
      indices.subarray(begin, at).sort();
      // NOTE: the squared norm is a float64 sum in column order, as sklearn's
      // inplace_csr_row_normalize_l2 runs over its sorted indices; values are divided by the norm
      // in float64 before any float32 storage rounds them.
      let sq = 0;
      for (let p = begin; p < at; p++) sq += weight(indices[p] as number) ** 2;
      const scale = norm === "l2" && sq > 0 ? Math.sqrt(sq) : 1;
      for (let p = begin; p < at; p++) values[p] = weight(indices[p] as number) / scale;
    }
    return { rows, cols, indptr, indices, values };
  }
}

/** Counts of each document's analyzed terms, `id(term)` naming them (−1 skips a term). */
function countTerms(texts: readonly string[], options: Required<TfidfOptions>, id: (term: string) => number): Counts {
  const start = new Int32Array(texts.length + 1);
  const ids: number[] = [];
  const counts: number[] = [];
  // Where in `counts` each id last sat, so a repeat within a document is one lookup.
  const slot = new Map<number, number>();
  texts.forEach((text, d) => {
    slot.clear();
    for (const term of analyze(text, options)) {
      const i = id(term);
      if (i < 0) continue;
      const s = slot.get(i);
      if (s === undefined) {
        slot.set(i, ids.length);
        ids.push(i);
        counts.push(1);
      } else counts[s] = (counts[s] as number) + 1;
    }
    start[d + 1] = ids.length;
  });
  return { start, ids: Int32Array.from(ids), counts: Int32Array.from(counts) };
}

/** sklearn 1.2's constraints: an integer count ≥ 1 or a fraction in [0, 1]. */
function checkBound(name: string, value: DocumentFrequencyBound): void {
  if (typeof value === "number") {
    if (!(Number.isInteger(value) && value >= 1)) throw new Error(`TfidfVectorizer: ${name} ${value} must be a count (an integer ≥ 1) or { fraction } in [0, 1]`);
  } else if (!(value.fraction >= 0 && value.fraction <= 1)) throw new Error(`TfidfVectorizer: ${name}.fraction ${value.fraction} is outside [0, 1]`);
}

import type { Dataset } from "../dataset.js";
import { type Sample, type SampleSpec, textSpec } from "../sample.js";

/** A sequence of token ids that can be read at any offset: in memory, or a token file on disk. */
export interface TokenStream {
  readonly length: number;
  /** Fills `out` with the ids at `[start, start + out.length)`. */
  read(start: number, out: BigInt64Array): void;
}

/** Token ids held in memory. */
export class ArrayTokenStream implements TokenStream {
  constructor(readonly ids: Int32Array) {}

  get length(): number {
    return this.ids.length;
  }

  read(start: number, out: BigInt64Array): void {
    if (start < 0 || start + out.length > this.ids.length) throw new RangeError(`tokens [${start}, ${start + out.length}) outside [0, ${this.ids.length})`);
    for (let i = 0; i < out.length; i++) out[i] = BigInt(this.ids[start + i] as number);
  }
}

export interface TokenWindowOptions {
  /** Tokens per sample (a causal LM's context + 1: its inputs and, shifted by one, its targets). */
  readonly window: number;
  /**
   * Offset between consecutive windows. 1 (default) makes every position a window start, so a
   * shuffled epoch samples windows as nanoGPT's `get_batch` does (uniform random offsets) but
   * without replacement; `window` gives non-overlapping windows (evaluation).
   */
  readonly stride?: number;
}

/**
 * A running text's token stream as a dataset of fixed-length windows: sample i is
 * `tokens[i·stride, i·stride + window)`. Unlabeled: a corpus is for language modelling.
 */
export class TokenWindowDataset implements Dataset {
  readonly spec: SampleSpec;
  readonly length: number;
  readonly window: number;
  readonly stride: number;

  constructor(
    readonly tokens: TokenStream,
    { window, stride = 1 }: TokenWindowOptions,
  ) {
    if (!Number.isInteger(window) || window < 2) throw new Error(`token windows: window must be an integer >= 2, got ${window}`);
    if (!Number.isInteger(stride) || stride < 1) throw new Error(`token windows: stride must be a positive integer, got ${stride}`);
    if (tokens.length < window) throw new Error(`the text has ${tokens.length} tokens, fewer than one window of ${window}; use a shorter --context or more text`);
    this.spec = textSpec(window);
    this.window = window;
    this.stride = stride;
    this.length = Math.floor((tokens.length - window) / stride) + 1;
  }

  get(index: number): Sample {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new RangeError(`token windows: index ${index} out of range [0, ${this.length})`);
    const tokens = new BigInt64Array(this.window);
    this.tokens.read(index * this.stride, tokens);
    return { fields: { tokens } };
  }
}

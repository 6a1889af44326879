import { Rng } from "../random/rng.js";
import type { KvCacheDecoder } from "./kv-cache-decoder.js";
import { type SamplingOptions, sampleToken } from "./sampling.js";

/** What generation needs of a decoder: `KvCacheDecoder` (batch 1), or a stand-in in tests. */
export type TokenDecoder = Pick<KvCacheDecoder, "batch" | "context" | "vocabSize" | "position" | "reset" | "feed">;

/**
 * What happens when the cache is full and the next token does not fit:
 * - "slide" (default): the cache is rebuilt from the last `slideKeep` tokens (one prefill call),
 *   and generation goes on. Each token then sees between `slideKeep` and `context − 1` earlier
 *   tokens. nanoGPT instead crops to the last `context` tokens and re-runs the whole window for
 *   every token, which a cache cannot do cheaply: learned absolute positions are baked into the
 *   cached keys and values, so shifting the window by one means recomputing all of them.
 * - "stop": generation ends with reason "context" (the token that filled the cache is yielded).
 */
export type ContextLimit = "slide" | "stop";

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens sampled (a stop id included). */
  readonly maxTokens: number;
  /** Seed of the draws; a fixed seed reproduces the tokens exactly. Default 0. */
  readonly seed?: number;
  /** Ids that end generation when sampled; they are not yielded. */
  readonly stopIds?: readonly number[];
  readonly contextLimit?: ContextLimit;
  /** Tokens kept when the window slides; default half the context (a prefill every context/2 tokens). */
  readonly slideKeep?: number;
}

/** Why generation ended: `maxTokens` sampled, a stop id or stop string, or a full context with `contextLimit: "stop"`. */
export type StopReason = "maxTokens" | "stopId" | "stopString" | "context";

export interface GenerationEnd {
  readonly reason: StopReason;
  /** Tokens generated, a stop id not counted (for text: those decoded up to the stop string, held-back text included). */
  readonly tokens: number;
  /** The stop id sampled, for reason "stopId". */
  readonly stopId?: number;
  /** The stop string found, for reason "stopString". */
  readonly stop?: string;
}

// A decoder holds one sequence's cache, so the generation started last on it owns it; an older
// one still iterating would corrupt that cache, and fails at its next step instead. (A flag held
// until the end would leave a decoder blocked by any generator its caller stopped reading.)
const owners = new WeakMap<TokenDecoder, object>();

/**
 * Generates tokens after `promptIds` with `decoder` (batch 1), one id per step as soon as it is
 * sampled. The prompt is fed as prefill calls where it is long enough; the generator's return
 * value says why it ended. Starting another generation on the same decoder ends this one: its
 * next step throws.
 */
export async function* generateTokens(decoder: TokenDecoder, promptIds: ArrayLike<number>, options: GenerateOptions): AsyncGenerator<number, GenerationEnd, undefined> {
  const { maxTokens, seed = 0, stopIds = [], contextLimit = "slide" } = options;
  const c = decoder.context;
  const keep = options.slideKeep ?? Math.floor(c / 2);
  if (decoder.batch !== 1) throw new Error(`generateTokens: the decoder must have batch 1, got ${decoder.batch}`);
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new Error(`generateTokens: maxTokens must be an integer >= 0, got ${maxTokens}`);
  if (!Number.isInteger(keep) || keep < 1 || keep >= c) throw new Error(`generateTokens: slideKeep must be an integer from 1 to ${c - 1} (context − 1), got ${keep}`);
  if (contextLimit !== "slide" && contextLimit !== "stop") throw new Error(`generateTokens: contextLimit must be "slide" or "stop", got ${String(contextLimit)}`);
  if (promptIds.length === 0) throw new Error("generateTokens: the prompt is empty; start from a token such as <eos>");
  if (promptIds.length > c && contextLimit === "stop") {
    throw new Error(`generateTokens: the prompt has ${promptIds.length} tokens, more than the context of ${c}; shorten it or use contextLimit "slide"`);
  }
  const lease = {};
  owners.set(decoder, lease);
  try {
    const rng = new Rng(seed);
    const stops = new Set(stopIds);
    const v = decoder.vocabSize;
    // The tokens that may still be re-encoded; only the last `keep` ever are.
    let history = Array.from(promptIds, Number);
    if (history.length > c) history = history.slice(-keep);
    let pending = history;
    decoder.reset();
    let yielded = 0;
    for (let sampled = 0; sampled < maxTokens; sampled++) {
      if (owners.get(decoder) !== lease) throw new Error("generateTokens: another generation started on this decoder; this one cannot go on");
      if (decoder.position + pending.length > c) {
        if (contextLimit === "stop") return { reason: "context", tokens: yielded };
        history = history.slice(-keep);
        pending = history;
        decoder.reset();
      }
      const logits = await decoder.feed(pending);
      const next = sampleToken(logits.subarray(logits.length - v), options, rng);
      if (stops.has(next)) return { reason: "stopId", tokens: yielded, stopId: next };
      yield next;
      yielded++;
      history.push(next);
      if (history.length > 2 * c) history = history.slice(-c);
      pending = [next];
    }
    return { reason: "maxTokens", tokens: yielded };
  } finally {
    if (owners.get(decoder) === lease) owners.delete(decoder);
  }
}

/** The tokenizer members text generation uses (the project's tokenizers have them). */
export interface TextTokenizer {
  encode(text: string): Int32Array;
  /** Decodes ids one at a time into text, holding back bytes of a character not yet complete. */
  streamDecoder(): { push(id: number): string; flush(): string };
  readonly specials: { readonly eos: number };
}

export interface GenerateTextOptions extends Omit<GenerateOptions, "stopIds"> {
  /** Default `[tokenizer.specials.eos]`. */
  readonly stopIds?: readonly number[];
  /** Strings that end generation where they first appear in the generated text; they are not emitted. */
  readonly stop?: readonly string[];
}

/**
 * Generates text after `prompt`: chunks of decoded text as tokens are sampled, stopping at `<eos>`
 * (or `stopIds`) or before the first of the `stop` strings. Text that could be the start of a stop
 * string is held back until it is known not to be. An empty prompt starts from `<eos>`, as GPT-2's
 * `<|endoftext|>` begins a document.
 */
export async function* generateText(decoder: TokenDecoder, tokenizer: TextTokenizer, prompt: string, options: GenerateTextOptions): AsyncGenerator<string, GenerationEnd, undefined> {
  const { stop = [], stopIds = [tokenizer.specials.eos], ...rest } = options;
  if (stop.some((s) => s.length === 0)) throw new Error("generateText: a stop string is empty");
  const encoded = tokenizer.encode(prompt);
  const ids = encoded.length > 0 ? encoded : Int32Array.of(tokenizer.specials.eos);
  const tokens = generateTokens(decoder, ids, { ...rest, stopIds });
  const text = tokenizer.streamDecoder();
  let held = "";
  let count = 0;
  try {
    for (;;) {
      const step = await tokens.next();
      if (!step.done) count++;
      held += step.done ? text.flush() : text.push(step.value);
      const hit = firstStop(held, stop);
      if (hit !== null) {
        if (hit.index > 0) yield held.slice(0, hit.index);
        return { reason: "stopString", tokens: count, stop: hit.stop };
      }
      if (step.done) {
        if (held.length > 0) yield held;
        return step.value;
      }
      const safe = held.length - heldBack(held, stop);
      if (safe > 0) {
        yield held.slice(0, safe);
        held = held.slice(safe);
      }
    }
  } finally {
    // Ends the token generator also when the caller stops reading early (a `break` returns here).
    await tokens.return({ reason: "stopString", tokens: count });
  }
}

/** The earliest occurrence of any stop string in `text` (the longest stop at that index), or null. */
function firstStop(text: string, stops: readonly string[]): { index: number; stop: string } | null {
  let best: { index: number; stop: string } | null = null;
  for (const stop of stops) {
    const index = text.indexOf(stop);
    if (index >= 0 && (best === null || index < best.index || (index === best.index && stop.length > best.stop.length))) best = { index, stop };
  }
  return best;
}

/** The length of the longest end of `text` that begins some stop string (and so cannot be emitted yet). */
function heldBack(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    for (let n = Math.min(stop.length - 1, text.length); n > longest; n--) {
      if (text.endsWith(stop.slice(0, n))) {
        longest = n;
        break;
      }
    }
  }
  return longest;
}

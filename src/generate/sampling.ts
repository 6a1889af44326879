import type { Rng } from "../random/rng.js";

export interface SamplingOptions {
  /**
   * Divides the logits before the softmax: below 1 sharpens, above 1 flattens. 0 means greedy
   * (the argmax, no random draw). Default 1, the model's own distribution.
   */
  readonly temperature?: number;
  /** Keep only the k most likely tokens (ties with the k-th kept, as nanoGPT and Hugging Face). 0 = off (default). */
  readonly topK?: number;
  /**
   * Nucleus sampling (Holtzman et al. 2020): keep the smallest set of most likely tokens whose
   * probability reaches p, after top-k; always at least one token. 1 = off (default).
   */
  readonly topP?: number;
}

/** The tokens sampling may pick and their probabilities (float64, summing to 1), most likely first. */
export interface TokenDistribution {
  readonly ids: Int32Array;
  readonly probs: Float64Array;
}

/** The index of the largest logit; the lowest index among ties. NaN logits are never chosen. */
export function argmax(logits: ArrayLike<number>): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (v > bestValue || (best < 0 && v === bestValue)) {
      best = i;
      bestValue = v;
    }
  }
  if (best < 0) throw new Error("argmax: no finite or infinite logit to choose (empty or all NaN)");
  return best;
}

/**
 * The distribution `sampleToken` draws from for `logits: [V]`: temperature, then top-k, then
 * top-p, each on the survivors of the one before (the order of Hugging Face's logits warpers).
 * With temperature 0 it is the argmax with probability 1.
 */
export function tokenDistribution(logits: ArrayLike<number>, options: SamplingOptions = {}): TokenDistribution {
  const { temperature = 1, topK = 0, topP = 1 } = options;
  checkOptions(temperature, topK, topP);
  const v = logits.length;
  if (v === 0) throw new Error("tokenDistribution: empty logits");
  if (temperature === 0) return { ids: Int32Array.of(argmax(logits)), probs: Float64Array.of(1) };

  // Most likely first; ties by index, so the kept set and the draw order are deterministic.
  const order = Array.from({ length: v }, (_, i) => i).sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
  const top = logits[order[0] as number] as number;
  if (!Number.isFinite(top)) throw new Error(`tokenDistribution: the largest logit is ${top}`);

  let kept = v;
  if (topK > 0 && topK < v) {
    const kth = logits[order[topK - 1] as number] as number;
    kept = topK;
    while (kept < v && logits[order[kept] as number] === kth) kept++;
  }
  // NOTE: softmax in float64 with the maximum subtracted, so exp never overflows and the largest
  // term is exactly 1; float32 logits divided by a small temperature stay exact enough.
  const weights = new Float64Array(kept);
  let total = 0;
  for (let r = 0; r < kept; r++) {
    const w = Math.exp(((logits[order[r] as number] as number) - top) / temperature);
    weights[r] = w;
    total += w;
  }
  if (topP < 1) {
    // The smallest prefix of the sorted tokens whose probability reaches p; at least the first.
    let cumulative = 0;
    let n = 0;
    while (n < kept) {
      cumulative += (weights[n] as number) / total;
      n++;
      if (cumulative >= topP) break;
    }
    kept = n;
    total = 0;
    for (let r = 0; r < kept; r++) total += weights[r] as number;
  }
  const ids = new Int32Array(kept);
  const probs = new Float64Array(kept);
  for (let r = 0; r < kept; r++) {
    ids[r] = order[r] as number;
    probs[r] = (weights[r] as number) / total;
  }
  return { ids, probs };
}

/**
 * Picks the next token from `logits: [V]` with `rng` (one uniform draw, none when greedy), so a
 * fixed seed reproduces a generation exactly.
 */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  if ((options.temperature ?? 1) === 0) {
    checkOptions(0, options.topK ?? 0, options.topP ?? 1);
    return argmax(logits);
  }
  const { ids, probs } = tokenDistribution(logits, options);
  const u = rng.uniform();
  let cumulative = 0;
  for (let r = 0; r < ids.length; r++) {
    cumulative += probs[r] as number;
    if (u < cumulative) return ids[r] as number;
  }
  // Rounding can leave the cumulative sum a hair below 1; u then falls past it onto the last token.
  return ids[ids.length - 1] as number;
}

function checkOptions(temperature: number, topK: number, topP: number): void {
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new Error(`sampling: temperature must be a finite number >= 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`sampling: topK must be an integer >= 0 (0 = off), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`sampling: topP must be in (0, 1] (1 = off), got ${topP}`);
}

import type { Dataset } from "../data/index.js";
import { sequenceLength } from "../data/sample.js";
import { Graph, type Tensor } from "../graph/index.js";
import { BoundContext, type Linear, type TextTransformer, bindModule } from "../nn/index.js";
import { crossEntropyWithLogits, reshape, slice } from "../ops/index.js";
import { type CompileOptions, type HostTensor, Program, hostTensor } from "../runtime/index.js";

/** A language model's held-out scores. */
export interface PerplexityResult {
  /** Mean cross-entropy per predicted token, in nats. */
  readonly natsPerToken: number;
  /** exp(natsPerToken). */
  readonly perplexity: number;
  /** Total bits over the UTF-8 bytes the predicted tokens stand for: comparable across tokenizers. */
  readonly bitsPerByte: number;
  /** Tokens scored (padding targets are not) and the bytes they stand for. */
  readonly tokens: number;
  readonly bytes: number;
}

export interface PerplexityOptions {
  /** Windows per inference run (default 64; the last run is padded with padding windows, which score nothing). */
  readonly batchSize?: number;
  readonly compile?: CompileOptions;
}

/**
 * Scores a causal language model (`encoder` causal, `head` to the vocabulary) on windows of T + 1
 * tokens (`TokenWindowDataset` with stride T, as the PyTorch anchor evaluates): every window's
 * last T tokens are predicted from the ones before them, in eval mode, and the cross-entropy is
 * summed over all of them. Padding targets (ids equal to the encoder's pad id) are not scored.
 * `byteLength` (the tokenizer's) turns nats into bits per byte: total nats / ln 2 / total bytes.
 */
export async function perplexity(encoder: TextTransformer, head: Linear, windows: Dataset, byteLength: (id: number) => number, options: PerplexityOptions = {}): Promise<PerplexityResult> {
  const window = sequenceLength(windows.spec, "perplexity");
  const t = window - 1;
  const n = windows.length;
  if (n === 0) throw new Error("perplexity: no windows to score");
  const batch = Math.min(options.batchSize ?? 64, n);
  const graph = new Graph();
  const bindings = new Map([...bindModule(graph, encoder, { parameters: "constant", state: "constant" }).bindings, ...bindModule(graph, head, { parameters: "constant", state: "constant" }).bindings]);
  const ctx = new BoundContext(false, bindings);
  const tokens = graph.input("tokens", [batch, window], "int64");
  const logits: Tensor = head.call(ctx, encoder.tokens(ctx, slice(tokens, [0], [t], [1]))); // [B, T, V]
  const v = logits.shape[2] as number;
  const targets = reshape(slice(tokens, [1], [window], [1]), [batch * t]);
  const nats = crossEntropyWithLogits(reshape(logits, [batch * t, v]), targets, { reduction: "none" }); // [B·T]
  const program = await Program.compile(graph, { inputs: [tokens], outputs: { nats } }, options.compile);
  const pad = BigInt(encoder.padId);
  let total = 0;
  let scored = 0;
  let bytes = 0;
  try {
    const feed = new BigInt64Array(batch * window);
    for (let start = 0; start < n; start += batch) {
      const rows = Math.min(batch, n - start);
      feed.fill(pad);
      for (let r = 0; r < rows; r++) feed.set(windows.get(start + r).fields.tokens as BigInt64Array, r * window);
      const out = (await program.run({ tokens: hostTensor("int64", [batch, window], feed) })).nats as HostTensor<"float32">;
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < t; j++) {
          const target = feed[r * window + j + 1] as bigint;
          if (target === pad) continue;
          total += out.data[r * t + j] as number;
          scored++;
          bytes += byteLength(Number(target));
        }
      }
    }
  } finally {
    await program.release();
  }
  if (scored === 0) throw new Error("perplexity: every target is padding");
  const natsPerToken = total / scored;
  return { natsPerToken, perplexity: Math.exp(natsPerToken), bitsPerByte: bytes > 0 ? total / Math.LN2 / bytes : Number.NaN, tokens: scored, bytes };
}

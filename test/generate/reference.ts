import { Graph } from "../../src/graph/index.js";
import { BoundContext, Linear, TransformerEncoder, type TransformerEncoderOptions, bindModule } from "../../src/nn/index.js";
import type { CausalLm } from "../../src/generate/index.js";
import { Rng } from "../../src/random/rng.js";
import { type HostTensor, Program, int64 } from "../../src/runtime/index.js";

export const smallLm: Omit<TransformerEncoderOptions, "causal"> = { vocabSize: 13, dModel: 16, layers: 2, heads: 2, context: 12 };

/** A random causal TransformerEncoder and an untied head without bias, as TinyGpt's. */
export function randomLm(seed: number, options: Omit<TransformerEncoderOptions, "causal"> = smallLm): CausalLm {
  const rng = new Rng(seed);
  const transformer = new TransformerEncoder(rng, { ...options, causal: true });
  return { transformer, head: new Linear(options.dModel, options.vocabSize, rng, { bias: false }) };
}

/**
 * `head(transformer(ids))` recomputed in full for `batch` sequences of up to the context, padded
 * with token 0 to the context: with causal attention the logits at a position do not depend on
 * the tokens after it. Returns logits `[batch, context, V]` row-major.
 */
export async function fullRecompute(lm: CausalLm, batch: number): Promise<{ run(rows: readonly (readonly number[])[]): Promise<Float32Array>; release(): Promise<void> }> {
  const c = lm.transformer.context;
  const graph = new Graph();
  const bindings = new Map([
    ...bindModule(graph, lm.transformer, { parameters: "constant", prefix: "transformer" }).bindings,
    ...bindModule(graph, lm.head, { parameters: "constant", prefix: "head" }).bindings,
  ]);
  const ids = graph.input("ids", [batch, c], "int64");
  const ctx = new BoundContext(false, bindings);
  const logits = lm.head.call(ctx, lm.transformer.call(ctx, ids));
  const program = await Program.compile(graph, { inputs: [ids], outputs: { logits } }, { threads: 1 });
  return {
    async run(rows) {
      const flat = new Array<number>(batch * c).fill(0);
      rows.forEach((row, r) => row.forEach((id, i) => (flat[r * c + i] = id)));
      const out = await program.run({ ids: int64([batch, c], flat) });
      return (out.logits as HostTensor<"float32">).data;
    },
    release: () => program.release(),
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Deterministic random token ids. */
export function randomIds(n: number, vocab: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.int(vocab));
}

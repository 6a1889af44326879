/**
 * The bench's MLM step, built from the real method so that it measures what `pretext pretrain
 * --method mlm` runs: a bidirectional `TextTransformer` shaped as the `mlm` recipe (d 128, 4
 * layers, 4 heads, context 128, BPE vocabulary 4,096, dropout 0.1, padding id 0), `mlm.plan` with
 * its defaults (BERT masking, 20 prediction slots per sequence, the tied-embedding head, AdamW)
 * and `TrainStep.compile` as `pretrain` compiles it. It is fed one fixed batch of random ordinary
 * token ids masked once on the host by the plan's own `views`, so the figure is the step alone
 * (masking a batch is host work that `fit` overlaps with the previous step).
 */
import type { Batch } from "../src/data/loader.js";
import { textSpec } from "../src/data/sample.js";
import { NUM_SPECIAL_TOKENS } from "../src/data/text/tokenizer/tokenizer.js";
import { mlm } from "../src/methods/mlm.js";
import { TEXT_RECIPES } from "../src/methods/recipes.js";
import { TextTransformer } from "../src/nn/encoders/text-transformer.js";
import { Rng } from "../src/random/rng.js";
import type { CompileOptions, HostTensor } from "../src/runtime/index.js";
import { TrainStep } from "../src/train/train-step.js";

/** The MLM recipe's shape, which bench/pytorch/reference.py's `mlm` workload copies. */
export const mlmBenchShape = (() => {
  const r = TEXT_RECIPES.mlm;
  if (r === undefined) throw new Error("no mlm recipe");
  return { batchSize: r.batchSize, context: r.context, vocabSize: r.vocabSize, dModel: r.dModel, layers: r.layers, heads: r.heads, dropout: r.dropout };
})();

export interface MlmBench {
  readonly step: TrainStep<string>;
  readonly feeds: Readonly<Record<string, HostTensor>>;
  /** Tokens per step: B·T (every position is encoded, 20 per sequence are scored). */
  readonly tokensPerStep: number;
}

/** Compiles the MLM step and masks one batch for it. `totalSteps` only shapes the learning-rate schedule. */
export async function buildMlmStep(compile: CompileOptions = {}, totalSteps = 1000): Promise<MlmBench> {
  const { batchSize: B, context: T, vocabSize: V, dModel, layers, heads, dropout } = mlmBenchShape;
  const rng = new Rng(0);
  const encoder = new TextTransformer(rng, { vocabSize: V, dModel, layers, heads, context: T, dropout, padId: 0 });
  const spec = textSpec(T);
  const plan = mlm.plan({ encoder, spec, batchSize: B, totalSteps, rng: rng.split() }, mlm.defaults);
  const step = await TrainStep.compile({ ...plan, seed: 0, compile });
  // Full-length sequences of ordinary ids (no padding): every position is a candidate.
  const tokens = BigInt64Array.from({ length: B * T }, () => BigInt(NUM_SPECIAL_TOKENS + Math.floor(rng.uniform() * (V - NUM_SPECIAL_TOKENS))));
  const batch: Batch = {
    size: B,
    spec,
    fields: { tokens: { dtype: "int64", shape: [B, T], data: tokens } },
    labels: null,
    indices: Int32Array.from({ length: B }, (_, i) => i),
    epoch: 0,
    batchIndex: 0,
  };
  return { step, feeds: plan.views(batch, rng.split()), tokensPerStep: B * T };
}

import type { ArrayDataset, Dataset } from "../../src/data/dataset.js";
import { sotu } from "../../src/data/text/corpora/sotu.js";
import { type MlmMaskingOptions, maskTokens, predictionSlots } from "../../src/data/text/masking.js";
import { stratifiedSplitIndices } from "../../src/data/split.js";
import { tokenizeDocuments } from "../../src/data/text/text-datasets.js";
import type { LabeledTexts } from "../../src/data/text/text-source.js";
import { trainByteLevelBpe } from "../../src/data/text/tokenizer/byte-level-bpe.js";
import type { Tokenizer } from "../../src/data/text/tokenizer/tokenizer.js";
import { Graph } from "../../src/graph/index.js";
import { type MlmHead, maskedTokenLoss } from "../../src/methods/mlm.js";
import { BoundContext, type TextTransformer, bindModule } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { type HostTensor, Program, hostTensor } from "../../src/runtime/index.js";

/** SOTU passages for the text methods' learns-tests: a BPE on the training passages and both splits tokenized. */
export interface SotuSample {
  readonly tokenizer: Tokenizer;
  readonly train: LabeledTexts;
  readonly test: LabeledTexts;
  /** Documents padded to `length` tokens, party labels kept. */
  readonly trainSet: ArrayDataset;
  readonly testSet: ArrayDataset;
}

const cache = new Map<string, SotuSample>();

/**
 * `trainSize` passages of SOTU's training addresses and `testSize` of its held-out ones (each
 * a stratified draw by party, seeded), a byte-level BPE of `vocabSize` ids trained on the
 * training passages only, and both splits as documents of `length` tokens.
 */
export function sotuSample({ trainSize = 512, testSize = 256, vocabSize = 512, length = 48 } = {}): SotuSample {
  const key = `${trainSize}:${testSize}:${vocabSize}:${length}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const source = sotu();
  if (source.kind !== "documents" || source.test === null) throw new Error("sotu: expected documents with a test split");
  const draw = (docs: LabeledTexts, n: number, seed: number): LabeledTexts => {
    const labels = docs.labels as Int32Array;
    const rows = stratifiedSplitIndices(labels, { testSize: n, seed }).test;
    return { texts: Array.from(rows, (i) => docs.texts[i] as string), labels: Int32Array.from(rows, (i) => labels[i] as number), ...(docs.classNames ? { classNames: docs.classNames } : {}) };
  };
  const train = draw(source.train, trainSize, 1);
  const test = draw(source.test, testSize, 2);
  const tokenizer = trainByteLevelBpe(train.texts, { vocabSize });
  const sample = { tokenizer, train, test, trainSet: tokenizeDocuments(train, tokenizer, length).dataset, testSet: tokenizeDocuments(test, tokenizer, length).dataset };
  cache.set(key, sample);
  return sample;
}

/** The entropy, in nats, of the distribution of `ids` (the best any context-free predictor of them can do). */
export function unigramEntropy(ids: Iterable<number>): number {
  const counts = new Map<number, number>();
  let n = 0;
  for (const id of ids) {
    counts.set(id, (counts.get(id) ?? 0) + 1);
    n++;
  }
  let h = 0;
  for (const c of counts.values()) h -= (c / n) * Math.log(c / n);
  return h;
}

/** Every non-special id of a dataset's token samples. */
export function realTokens(dataset: Dataset, firstOrdinary = 6): number[] {
  const out: number[] = [];
  for (let i = 0; i < dataset.length; i++) for (const id of dataset.get(i).fields.tokens as BigInt64Array) if (Number(id) >= firstOrdinary) out.push(Number(id));
  return out;
}

/**
 * The masked-LM loss of `encoder` + `head` (eval mode) on `dataset`, its sequences masked as
 * in training from a fixed seed: mean nats per predicted token, and the entropy of the targets'
 * own distribution (the best a predictor that ignores the context can do on them).
 */
export async function heldOutMaskedLoss(encoder: TextTransformer, head: MlmHead, dataset: Dataset, tokenizer: Tokenizer, masking: MlmMaskingOptions, seed = 0): Promise<{ loss: number; targetEntropy: number }> {
  const t = encoder.context;
  const batch = 64;
  const slots = predictionSlots(t, masking.maskProbability);
  const graph = new Graph();
  const bind = { parameters: "constant", state: "constant" } as const;
  const ctx = new BoundContext(false, new Map([...bindModule(graph, encoder, bind).bindings, ...bindModule(graph, head, bind).bindings]));
  const input = graph.input("input", [batch, t], "int64");
  const positions = graph.input("positions", [batch, slots], "int64");
  const targets = graph.input("targets", [batch, slots], "int64");
  const weights = graph.input("weights", [batch, slots]);
  const { loss } = maskedTokenLoss(ctx, encoder.tokens(ctx, input), positions, targets, weights, (h) => head.call(ctx, h, ctx.value(encoder.transformer.tok.weight)));
  const program = await Program.compile(graph, { inputs: [input, positions, targets, weights], outputs: { loss } }, { threads: 2 });
  const rng = new Rng(seed);
  let total = 0;
  let count = 0;
  const predicted: number[] = [];
  try {
    for (let start = 0; start + batch <= dataset.length; start += batch) {
      const ids = new BigInt64Array(batch * t);
      for (let r = 0; r < batch; r++) ids.set(dataset.get(start + r).fields.tokens as BigInt64Array, r * t);
      const m = maskTokens(ids, t, tokenizer, masking, rng);
      const out = await program.run({
        input: hostTensor("int64", [batch, t], m.input),
        positions: hostTensor("int64", [batch, slots], m.positions),
        targets: hostTensor("int64", [batch, slots], m.targets),
        weights: hostTensor("float32", [batch, slots], m.weights),
      });
      const n = m.weights.reduce((a, w) => a + w, 0);
      total += Number((out.loss as HostTensor).data[0]) * n;
      count += n;
      m.targets.forEach((id, k) => void (m.weights[k] === 1 && predicted.push(Number(id))));
    }
  } finally {
    await program.release();
  }
  return { loss: total / count, targetEntropy: unigramEntropy(predicted) };
}

/** Mean of the first and last `k` values of a run's losses. */
export function lossEnds(values: readonly number[], k = 5): { first: number; last: number } {
  const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { first: mean(values.slice(0, k)), last: mean(values.slice(-k)) };
}

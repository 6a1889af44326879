import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORTUNES_DIR, fortunes } from "../../src/data/text/corpora/fortunes.js";
import { tokenizeDocuments } from "../../src/data/text/text-datasets.js";
import type { LabeledTexts } from "../../src/data/text/text-source.js";
import { trainByteLevelBpe } from "../../src/data/text/tokenizer/byte-level-bpe.js";
import { evaluateEncoder } from "../../src/eval/protocol.js";
import { type MlmHead, mlm, mlmDefaults } from "../../src/methods/mlm.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { TextTransformer, type TextTransformerOptions } from "../../src/nn/encoders/text-transformer.js";
import { namedParameters } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { heldOutMaskedLoss, lossEnds, sotuSample } from "../helpers/text-methods.js";

const LENGTH = 48;
const encoderOptions: TextTransformerOptions = { vocabSize: 512, dModel: 64, layers: 2, heads: 4, context: LENGTH, padId: 0 };
const LN_V = Math.log(512);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("mlm on State of the Union passages", () => {
  const { tokenizer, trainSet, testSet } = sotuSample({ length: LENGTH });
  let run: { losses: number[]; heldOut: { loss: number; targetEntropy: number }; untrained: number };

  beforeAll(async () => {
    const encoder = new TextTransformer(new Rng(1), encoderOptions);
    const losses: number[] = [];
    const result = await pretrain({ method: mlm, encoder, dataset: trainSet, tokenizer, batchSize: 64, epochs: 1000, maxSteps: 300, callbacks: [{ onStep: (e) => void losses.push(e.loss) }] });
    await result.step.release();
    const heldOut = await heldOutMaskedLoss(encoder, result.plan.modules.head as MlmHead, testSet, tokenizer, mlmDefaults);
    // the same architecture untrained, with the head the run started from
    const fresh = new TextTransformer(new Rng(1), encoderOptions);
    const head = mlm.plan({ encoder: fresh, spec: trainSet.spec, tokenizer, batchSize: 64, totalSteps: 300, rng: new Rng(0).split() }, mlmDefaults).modules.head as MlmHead;
    const untrained = (await heldOutMaskedLoss(fresh, head, testSet, tokenizer, mlmDefaults)).loss;
    run = { losses, heldOut, untrained };
    console.log(JSON.stringify({ method: "mlm", loss: lossEnds(losses), heldOut, untrained, lnV: LN_V }));
  }, 60_000);

  it("the masked-token loss falls clearly, on the training batches and on held-out passages", () => {
    const { first, last } = lossEnds(run.losses);
    expect(run.losses).toHaveLength(300);
    expect(last).toBeLessThan(first - 0.8);
    expect(run.heldOut.loss).toBeLessThan(run.untrained - 0.8);
  });

  it("starts near the uniform guess, ln V nats: the tied output embeddings do not inflate the first logits", () => {
    // BERT initializes its (tied) embeddings with std 0.02; with N(0, 1) ones the head's logits
    // have std ≈ √dModel and the first loss is ~4x ln V, which the run spends its steps undoing.
    expect(run.losses[0]).toBeLessThan(LN_V + 1);
  });

  it("held-out masked tokens are predicted better than the uniform guess ln V after 300 steps", () => {
    expect(run.heldOut.loss).toBeLessThan(LN_V - 0.5);
  });

  it("refuses a causal encoder, and whole-word masking without the tokenizer, in one line", async () => {
    const options = { method: mlm, dataset: trainSet, batchSize: 64, epochs: 1 };
    const causal = new TextTransformer(new Rng(1), { ...encoderOptions, causal: true });
    await expect(pretrain({ ...options, tokenizer, encoder: causal })).rejects.toThrow(/^method mlm needs a bidirectional \(BERT-style\) transformer; the encoder is causal$/);
    const encoder = new TextTransformer(new Rng(1), encoderOptions);
    await expect(pretrain({ ...options, encoder, methodOptions: { wholeWord: true } })).rejects.toThrow(
      /^mlm: wholeWord needs the tokenizer \(pretrain's `tokenizer` option\) to find word boundaries$/,
    );
  });
});

describe("mlm resumed from a checkpoint", () => {
  it("repeats the uninterrupted run bit for bit: losses, metrics, parameters, optimizer state and RNG (masks and dropout are host draws)", async () => {
    const { tokenizer, trainSet } = sotuSample({ length: 32 });
    // whole-word masking and dropout 0.1: both drawn on the host from the run's generators
    const make = () => new TextTransformer(new Rng(5), { vocabSize: 512, dModel: 32, layers: 1, heads: 2, context: 32, padId: 0, dropout: 0.1 });
    const options = { method: mlm, methodOptions: { wholeWord: true }, dataset: trainSet, tokenizer, batchSize: 64, epochs: 2, seed: 3 } as const;
    const fresh = () => {
      const dir = mkdtempSync(join(tmpdir(), "pretext-mlm-resume-"));
      dirs.push(dir);
      return dir;
    };
    const events = () => {
      const log: string[] = [];
      return { log, onStep: (e: { step: number; loss: number; metrics: Readonly<Record<string, number>> }) => void log.push(`${e.step} ${e.loss} ${e.metrics.masked_accuracy}`) };
    };

    const whole = events();
    const wholeEncoder = make();
    const uninterrupted = await pretrain({ ...options, encoder: wholeEncoder, checkpoint: { dir: fresh(), everySteps: 5 }, callbacks: [whole] });
    const expected = uninterrupted.step.snapshot();
    await uninterrupted.step.release();
    expect(uninterrupted.fit.steps).toBe(16);

    // Stopped as a kill would stop it, part-way through the first epoch…
    const dir = fresh();
    const first = events();
    const controller = new AbortController();
    const stopped = await pretrain({
      ...options,
      encoder: make(),
      checkpoint: { dir, everySteps: 5 },
      signal: controller.signal,
      callbacks: [first, { onStep: (e) => (e.step === 6 ? controller.abort() : undefined) }],
    });
    await stopped.step.release();
    expect(stopped.fit.stoppedBy).toBe("signal");
    const at = stopped.fit.steps;
    expect(at).toBeGreaterThan(6);
    expect(at).toBeLessThan(16);
    expect(readdirSync(dir)).toContain(`checkpoint-${at}.json`);

    // …then a fresh process rebuilds everything from the seed and resumes.
    const second = events();
    let resumedFrom = -1;
    const resumedEncoder = make();
    const resumed = await pretrain({ ...options, encoder: resumedEncoder, checkpoint: { dir, everySteps: 5 }, resume: true, callbacks: [second, { onResume: (e) => void (resumedFrom = e.step) }] });
    const got = resumed.step.snapshot();
    await resumed.step.release();

    expect(resumedFrom).toBe(at);
    expect([...first.log, ...second.log]).toEqual(whole.log);
    expect(got.step).toBe(expected.step);
    expect(got.rngState).toEqual(expected.rngState);
    expect([...got.tensors.keys()]).toEqual([...expected.tensors.keys()]);
    for (const [name, values] of expected.tensors) expect(Buffer.from((got.tensors.get(name) as Float32Array).buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    for (const [name, p] of namedParameters(wholeEncoder)) expect(Array.from(namedParameters(resumedEncoder).get(name)?.value ?? []), name).toEqual(Array.from(p.value));
  }, 60_000);
});

describe.skipIf(!existsSync(FORTUNES_DIR))("mlm on fortunes: what pretraining buys downstream", () => {
  it("the 10-label linear probe of the pretrained encoder beats the same architecture untrained", async () => {
    // The 8 largest categories, 160 training and 80 held-out fortunes each.
    const source = fortunes();
    if (source.kind !== "documents" || source.test === null) throw new Error("fortunes: expected documents with a test split");
    const sizes = new Map<number, number>();
    for (const y of source.train.labels as Int32Array) sizes.set(y, (sizes.get(y) ?? 0) + 1);
    const classes = [...sizes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([y]) => y);
    const pick = (docs: LabeledTexts, per: number): LabeledTexts => {
      const texts: string[] = [];
      const labels: number[] = [];
      classes.forEach((y, k) => {
        const rows = [...(docs.labels as Int32Array).keys()].filter((i) => (docs.labels as Int32Array)[i] === y).slice(0, per);
        for (const i of rows) texts.push(docs.texts[i] as string), labels.push(k);
      });
      return { texts, labels: Int32Array.from(labels), classNames: classes.map((y) => source.train.classNames?.[y] ?? String(y)) };
    };
    const train = pick(source.train, 160);
    const test = pick(source.test, 80);
    const tokenizer = trainByteLevelBpe(train.texts, { vocabSize: 512 });
    const [trainSet, testSet] = [tokenizeDocuments(train, tokenizer, 48).dataset, tokenizeDocuments(test, tokenizer, 48).dataset];
    const options = { ...encoderOptions, dropout: 0.1 };
    const encoder = new TextTransformer(new Rng(1), options);
    const result = await pretrain({ method: mlm, encoder, dataset: trainSet, tokenizer, batchSize: 64, epochs: 1000, maxSteps: 700 });
    await result.step.release();
    const protocol = { perClass: [10], draws: 3, linearAll: false };
    const trained = await evaluateEncoder(encoder, { train: trainSet, test: testSet }, protocol);
    const untrained = await evaluateEncoder(new TextTransformer(new Rng(2), options), { train: trainSet, test: testSet }, protocol);
    const acc = (r: typeof trained) => r.linearPerClass[0]?.accuracy.mean ?? 0;
    console.log(JSON.stringify({ method: "mlm", data: "fortunes, 8 categories", trained: acc(trained), untrained: acc(untrained), knn: [trained.knn, untrained.knn] }));
    expect(acc(trained)).toBeGreaterThan(acc(untrained) + 0.03);
  }, 240_000);
});

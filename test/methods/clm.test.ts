import { beforeAll, describe, expect, it } from "vitest";
import { imageDataset } from "../../src/data/image/image-dataset.js";
import { tokenizeCorpus } from "../../src/data/text/text-datasets.js";
import { ArrayTokenStream, TokenWindowDataset } from "../../src/data/text/token-windows.js";
import { perplexity } from "../../src/eval/perplexity.js";
import { clm } from "../../src/methods/clm.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { TextTransformer } from "../../src/nn/encoders/text-transformer.js";
import type { Linear } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { lossEnds, sotuSample, unigramEntropy } from "../helpers/text-methods.js";
import { textChunks } from "../../src/data/text/text-chunks.js";

const CONTEXT = 32;
const encoderOptions = { vocabSize: 512, dModel: 64, layers: 2, heads: 4, context: CONTEXT, padId: 0 } as const;

describe("clm on State of the Union passages", () => {
  // 512 training passages as one running text, windows of context + 1 at every offset; held-out
  // passages (other addresses) in windows at stride context, as the PyTorch anchor scores them.
  const { tokenizer, train, test } = sotuSample();
  const trainIds = tokenizeCorpus(textChunks(train.texts.join("\n")), tokenizer);
  const testIds = tokenizeCorpus(textChunks(test.texts.join("\n")), tokenizer);
  const windows = new TokenWindowDataset(new ArrayTokenStream(trainIds), { window: CONTEXT + 1 });
  const heldOut = new TokenWindowDataset(new ArrayTokenStream(testIds), { window: CONTEXT + 1, stride: CONTEXT });
  const byteLength = (id: number) => tokenizer.byteLength(id);
  let run: { losses: number[]; before: number; after: number };

  beforeAll(async () => {
    const encoder = new TextTransformer(new Rng(1), { ...encoderOptions, causal: true });
    const losses: number[] = [];
    const result = await pretrain({
      method: clm,
      encoder,
      dataset: windows,
      tokenizer,
      batchSize: 32,
      epochs: 1000,
      maxSteps: 400,
      callbacks: [{ onStep: (e) => void losses.push(e.loss) }],
    });
    await result.step.release();
    const head = result.plan.modules.lmHead as Linear;
    const after = (await perplexity(encoder, head, heldOut, byteLength)).natsPerToken;
    // the same architecture untrained (the plan's head is initialized from the run's seed as before)
    const fresh = new TextTransformer(new Rng(1), { ...encoderOptions, causal: true });
    const untrainedHead = clm.plan({ encoder: fresh, spec: windows.spec, tokenizer, batchSize: 32, totalSteps: 400, rng: new Rng(0).split() }, clm.defaults).modules.lmHead as Linear;
    const before = (await perplexity(fresh, untrainedHead, heldOut, byteLength)).natsPerToken;
    run = { losses, before, after };
    console.log(JSON.stringify({ method: "clm", loss: lossEnds(losses), heldOut: { before, after }, unigramEntropy: unigramEntropy(testIds) }));
  }, 60_000);

  it("the training loss falls clearly (by more than a nat)", () => {
    const { first, last } = lossEnds(run.losses);
    expect(run.losses).toHaveLength(400);
    expect(last).toBeLessThan(first - 1);
  });

  it("held-out nats per token fall below the unigram entropy of the held-out text: the model uses the context", () => {
    // no predictor that ignores the context does better than the held-out tokens' own unigram entropy
    expect(run.after).toBeLessThan(unigramEntropy(testIds) - 0.3);
    expect(run.after).toBeLessThan(run.before - 1);
  });

  it("refuses a bidirectional encoder, samples longer than its context + 1, and images, in one line", async () => {
    const bidirectional = new TextTransformer(new Rng(1), encoderOptions);
    const options = { method: clm, dataset: windows, tokenizer, batchSize: 32, epochs: 1 };
    const refusal = pretrain({ ...options, encoder: bidirectional });
    await expect(refusal).rejects.toThrow(/^method clm needs a causal \(GPT-style\) transformer; the encoder is bidirectional$/);
    const short = new TextTransformer(new Rng(1), { ...encoderOptions, context: CONTEXT - 1, causal: true });
    await expect(pretrain({ ...options, encoder: short })).rejects.toThrow(`samples of ${CONTEXT + 1} tokens need a context of ${CONTEXT}; the encoder's is ${CONTEXT - 1}`);
    const images = imageDataset(new Float32Array(4 * 16), [1, 4, 4]);
    await expect(pretrain({ ...options, dataset: images, encoder: short })).rejects.toThrow(/^method clm learns from text data; the dataset is image \(image float32\[1, 4, 4\]\)$/);
  });
});

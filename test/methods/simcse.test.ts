import { beforeAll, describe, expect, it } from "vitest";
import { embedDataset } from "../../src/eval/embed.js";
import { cloneModule } from "../../src/methods/heads.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { simcse } from "../../src/methods/simcse.js";
import { TextTransformer } from "../../src/nn/encoders/text-transformer.js";
import { Rng } from "../../src/random/rng.js";
import { lossEnds, sotuSample } from "../helpers/text-methods.js";

const LENGTH = 32;
const encoderOptions = { vocabSize: 512, dModel: 64, layers: 2, heads: 4, context: LENGTH, padId: 0 } as const;

/**
 * Wang & Isola (2020)'s uniformity, log E exp(−2‖x − y‖²) over pairs of distinct normalized
 * embeddings (lower: more spread over the sphere), and their mean cosine (anisotropy).
 */
async function spread(encoder: TextTransformer, dataset: Parameters<typeof embedDataset>[1]): Promise<{ uniformity: number; meanCosine: number }> {
  const { data, length: n, dim: d } = await embedDataset(encoder, dataset, { bind: "constant" });
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = 0; k < d; k++) norm += (data[i * d + k] as number) ** 2;
    for (let k = 0; k < d; k++) x[i * d + k] = (data[i * d + k] as number) / Math.sqrt(norm);
  }
  let cosines = 0;
  let kernel = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let c = 0;
      for (let k = 0; k < d; k++) c += (x[i * d + k] as number) * (x[j * d + k] as number);
      cosines += c;
      kernel += Math.exp(-2 * (2 - 2 * c));
      pairs++;
    }
  }
  return { uniformity: Math.log(kernel / pairs), meanCosine: cosines / pairs };
}

describe("simcse on State of the Union passages", () => {
  const { tokenizer, trainSet, testSet } = sotuSample({ length: LENGTH });
  let run: { losses: number[]; positiveCosine: number[]; trained: { uniformity: number; meanCosine: number }; random: { uniformity: number; meanCosine: number } };

  beforeAll(async () => {
    const encoder = new TextTransformer(new Rng(1), { ...encoderOptions, dropout: 0.1 });
    const untrained = cloneModule(encoder);
    const losses: number[] = [];
    const positiveCosine: number[] = [];
    const result = await pretrain({
      method: simcse,
      encoder,
      dataset: trainSet,
      tokenizer,
      batchSize: 64,
      epochs: 1000,
      maxSteps: 100,
      callbacks: [{ onStep: (e) => void (losses.push(e.loss), positiveCosine.push(e.metrics.positive_cosine ?? Number.NaN)) }],
    });
    await result.step.release();
    run = { losses, positiveCosine, trained: await spread(encoder, testSet), random: await spread(untrained, testSet) };
    console.log(JSON.stringify({ method: "simcse", loss: lossEnds(losses), positiveCosine: lossEnds(positiveCosine), heldOut: { trained: run.trained, random: run.random } }));
  }, 60_000);

  it("the in-batch InfoNCE loss falls clearly while the two dropout passes of a sentence stay close", () => {
    const { first, last } = lossEnds(run.losses);
    expect(run.losses).toHaveLength(100);
    expect(Math.min(...run.losses)).toBeGreaterThanOrEqual(0); // a cross-entropy
    expect(last).toBeLessThan(0.25 * first);
    expect(lossEnds(run.positiveCosine).last).toBeGreaterThan(0.6);
  });

  it("spreads the embeddings of held-out passages (other addresses) over the sphere, as the paper's uniformity analysis", () => {
    // the untrained mean-pooled encoder is anisotropic: unrelated passages share most of their direction
    expect(run.random.meanCosine).toBeGreaterThan(0.4);
    expect(run.trained.meanCosine).toBeLessThan(0.5 * run.random.meanCosine);
    expect(run.trained.uniformity).toBeLessThan(run.random.uniformity - 1);
  });

  it("refuses an encoder without dropout (its two passes would be equal), in one line", async () => {
    const options = { method: simcse, dataset: trainSet, tokenizer, batchSize: 64, epochs: 1 };
    await expect(pretrain({ ...options, encoder: new TextTransformer(new Rng(1), encoderOptions) })).rejects.toThrow(
      /^simcse: the encoder has no dropout, so its two passes of a sentence are equal; build it with dropout > 0 \(SimCSE: 0\.1\)$/,
    );
  });
});

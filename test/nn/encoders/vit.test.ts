import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ShapeError } from "../../../src/graph/index.js";
import { VisionTransformer, namedParameters, parameterCount } from "../../../src/nn/index.js";
import { Rng } from "../../../src/random/rng.js";
import { float32 } from "../../../src/runtime/index.js";
import { cloneModule } from "../../../src/methods/heads.js";
import { pretrain } from "../../../src/methods/pretrain.js";
import { simclr } from "../../../src/methods/simclr.js";
import { allClose } from "../../helpers/evaluate.js";
import { fewLabelScores } from "../../methods/pretext-probe.js";
import { ends, smallMnist } from "../../methods/two-view-harness.js";
import { randomInput, runModule } from "../run-module.js";

/** A tiny PyTorch ViT's parameter names (its order) and output (float64), written by vit_reference.py. */
const reference = JSON.parse(readFileSync(new URL("./vit-reference.json", import.meta.url), "utf8")) as { names: string[]; vit_output: number[] };

/** vit_reference.py's sizes: 2×8×12 images, 4×4 patches (a 2×3 grid), d 8, 2 blocks of 2 heads, MLP ratio 2. */
const tiny = () => new VisionTransformer(new Rng(0), { imageShape: [2, 8, 12], patchSize: 4, dModel: 8, layers: 2, heads: 2, mlpRatio: 2 });

describe("VisionTransformer", () => {
  it("maps [N, C, H, W] to [N, dModel] with named parameters", async () => {
    const vit = tiny();
    expect(vit.tokens).toBe(6);
    expect(vit.outputDim).toBe(8);
    const params = namedParameters(vit);
    expect(params.get("patch.weight")?.shape).toEqual([8, 2 * 4 * 4]);
    expect(params.get("pos")?.shape).toEqual([6, 8]);
    for (const n of ["patch.bias", "blocks.0.attn.qkv.weight", "blocks.1.fc2.bias", "ln.weight", "ln.bias"]) expect(params.has(n)).toBe(true);
    // The CLI's default for 28×28 digits: 7×7 patches, d 128, 4 blocks, MLP ratio 2.
    expect(parameterCount(new VisionTransformer(new Rng(0), { imageShape: [1, 28, 28] }))).toBe(538_624);
    const { y } = await runModule(vit, randomInput([3, 2, 8, 12]));
    expect(y.shape).toEqual([3, 8]);
    expect(y.values.every(Number.isFinite)).toBe(true);
  });

  it("computes what the same ViT in PyTorch (a strided-conv patch embedding) computes, given the same weights", async () => {
    const vit = tiny();
    // pretext's attention keeps its projections under `attn.`; PyTorch's script has them on the block.
    const params = namedParameters(vit);
    let k = 0;
    for (const torchName of reference.names) {
      const p = params.get(torchName.replace(/^(blocks\.\d+)\.(qkv|proj)\./, "$1.attn.$2."));
      if (p === undefined) throw new Error(`no pretext parameter for ${torchName}`);
      for (let i = 0; i < p.value.length; i++, k++) p.value[i] = 0.3 * Math.sin(0.7 * k + 0.3);
    }
    expect(k).toBe(parameterCount(vit));
    const x = float32([3, 2, 8, 12], Array.from({ length: 3 * 2 * 8 * 12 }, (_, i) => Math.sin(0.37 * i + 1)));
    const { y } = await runModule(vit, x);
    // NOTE: ORT computes in float32 against a float64 reference, through 5 layer norms.
    expect(allClose([...y.values], reference.vit_output, 2e-4, 2e-4)).toBe(true);
  });

  it("rejects a patch that does not divide the image, and images of another size", () => {
    expect(() => new VisionTransformer(new Rng(0), { imageShape: [1, 28, 28], patchSize: 5 })).toThrow(/patch 5 does not divide the image 1x28x28/);
    const vit = tiny();
    return expect(runModule(vit, randomInput([1, 2, 8, 8]))).rejects.toThrow(ShapeError);
  });
});

describe("VisionTransformer learns", () => {
  it("with SimCLR on 1,024 MNIST images in 60 steps: the loss falls and the 10-label probe beats the untrained ViT", async () => {
    const { train, test } = smallMnist();
    const encoder = new VisionTransformer(new Rng(1), { imageShape: [1, 28, 28] });
    const random = await fewLabelScores(cloneModule(encoder), train, test);
    const losses: number[] = [];
    const result = await pretrain({
      method: simclr,
      // τ 1 as the MNIST recipe (simclrMnistRecipe).
      methodOptions: { temperature: 1 },
      encoder,
      dataset: train,
      batchSize: 128,
      epochs: 1000,
      maxSteps: 60,
      callbacks: [{ onStep: (e) => void losses.push(e.loss) }],
    });
    await result.step.release();
    const trained = await fewLabelScores(encoder, train, test);
    const loss = ends(losses);
    console.log(JSON.stringify({ loss, trained, random }));
    expect(loss.last).toBeLessThan(loss.first - 0.2);
    expect(trained.linear).toBeGreaterThan(random.linear + 0.05);
  }, 60_000);
});

/**
 * The bench's ViT step, built from the real method so that it measures what `pretext pretrain
 * --method simclr --encoder vit` runs on 28×28 digits: the `vit` encoder the CLI makes
 * (`VisionTransformer` with its defaults: 7×7 patches, d 128, 4 blocks of 4 heads, MLP ratio 2),
 * `simclr.plan` with its defaults (the 128-ReLU-64 projector, NT-Xent at τ 0.5, Adam 1e-3) at a
 * batch of 256 images (two views each, one pass of 512), and `TrainStep.compile` as `pretrain`
 * compiles it.
 *
 * It is fed one fixed pair of uniform [0, 1) view batches, not augmented views drawn by the plan:
 * drawing them is host work that `fit` overlaps with the previous step, so the figure is the step
 * alone. bench/pytorch/reference.py's `vit` workload copies these sizes.
 */
import { imageSpec } from "../src/data/sample.js";
import { simclr } from "../src/methods/simclr.js";
import { VisionTransformer, type VisionTransformerOptions } from "../src/nn/index.js";
import { Rng } from "../src/random/rng.js";
import { type CompileOptions, type HostTensor, hostTensor } from "../src/runtime/index.js";
import { TrainStep } from "../src/train/train-step.js";

/** The shapes of the bench's ViT SimCLR step, which reference.py's `vit` workload copies. */
export const vitBenchShape = { batchSize: 256, image: [1, 28, 28] as const, patchSize: 7, dModel: 128, layers: 4, heads: 4, mlpRatio: 2 } as const;

export interface VitBench {
  readonly step: TrainStep<string>;
  readonly feeds: Readonly<Record<string, HostTensor>>;
  /** Images per step (each seen as two views). */
  readonly imagesPerStep: number;
}

/** Compiles the SimCLR step of a ViT with fixed random views; `vit` overrides the encoder's sizes (to compare them). */
export async function buildVitStep(compile: CompileOptions = {}, vit: Partial<VisionTransformerOptions> = {}, batchSize: number = vitBenchShape.batchSize): Promise<VitBench> {
  const { image, patchSize, dModel, layers, heads, mlpRatio } = vitBenchShape;
  const rng = new Rng(0);
  const encoder = new VisionTransformer(rng, { imageShape: image, patchSize, dModel, layers, heads, mlpRatio, ...vit });
  const plan = simclr.plan({ encoder, spec: imageSpec([...image]), batchSize, totalSteps: 1000, rng: rng.split() }, simclr.defaults);
  const step = await TrainStep.compile({ ...plan, seed: 0, compile });
  const shape = [batchSize, ...image];
  const size = batchSize * image[0] * image[1] * image[2];
  const feeds = { view0: hostTensor("float32", shape, rng.uniformArray(size)), view1: hostTensor("float32", shape, rng.uniformArray(size)) };
  return { step, feeds, imagesPerStep: batchSize };
}

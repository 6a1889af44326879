import { imageBatch } from "../data/image/image-dataset.js";
import type { Batch } from "../data/loader.js";
import { imageShape } from "../data/sample.js";
import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { AbstractModule, type ForwardContext, Parameter } from "../nn/module.js";
import { add, div, mean, mul, sub, sum } from "../ops/index.js";
import { adam } from "../optim/index.js";
import type { Rng } from "../random/rng.js";
import { hostTensor } from "../runtime/index.js";
import { type DecoderKind, type ReconstructionLoss, makeDecoder, reconstructionError } from "./decoders.js";
import { collapseStd } from "./collapse.js";
import type { Method, MethodPlan } from "./method.js";

export interface MaskedAutoencoderOptions {
  /** Side of a square patch in pixels; must divide the image. 4 on 28×28 gives a 7×7 grid of 49. */
  readonly patchSize: number;
  /**
   * Fraction of patches masked in every image, rounded to a whole number of patches. MAE's 0.75
   * is for 224² natural images, whose patches are redundant; a 28×28 digit is mostly background
   * and its strokes are thin, so 75% of 4×4 patches leaves too little of the digit to infer the
   * rest. Measured (NarrowCnn, 1,024 MNIST images, 100 steps, 10-label linear probe, mean of 3
   * draws; test/methods/mae.test.ts): 0.75 → 69.8% (one draw), 0.5 → 70.8%, 0.25 → 74.3%,
   * random encoder 71.1%; 7×7 patches at 0.5 → 71.9%. Hence 0.25 by default.
   */
  readonly maskRatio: number;
  readonly decoder: DecoderKind;
  /** BCE with logits (default) for MNIST's near-binary [0, 1] pixels, or MSE as the MAE paper. */
  readonly reconstructionLoss: ReconstructionLoss;
  readonly learningRate: number;
}

/** The number of patches masked in each image: round(maskRatio · patches), the same for every image. */
export function maskedPatchCount(patches: number, maskRatio: number): number {
  if (!(maskRatio > 0 && maskRatio < 1)) throw new Error(`masked autoencoder: maskRatio must lie in (0, 1), got ${maskRatio}`);
  const k = Math.round(maskRatio * patches);
  if (k < 1 || k >= patches) throw new Error(`masked autoencoder: maskRatio ${maskRatio} of ${patches} patches masks ${k}; need 1..${patches - 1}`);
  return k;
}

/**
 * Per-pixel masks `[B, 1, H, W]` (1 = masked): in each image exactly `count` of the
 * (H/patch)·(W/patch) patches, chosen uniformly without replacement (MAE's random sampling).
 */
export function patchMasks(batchSize: number, height: number, width: number, patchSize: number, count: number, rng: Rng): Float32Array {
  const gh = height / patchSize;
  const gw = width / patchSize;
  const out = new Float32Array(batchSize * height * width);
  for (let b = 0; b < batchSize; b++) {
    const order = rng.permutation(gh * gw);
    for (let t = 0; t < count; t++) {
      const p = order[t] as number;
      const r0 = Math.floor(p / gw) * patchSize;
      const c0 = (p % gw) * patchSize;
      for (let r = r0; r < r0 + patchSize; r++) out.fill(1, b * height * width + r * width + c0, b * height * width + r * width + c0 + patchSize);
    }
  }
  return out;
}

/**
 * A learned value per channel that replaces masked pixels (SimMIM's mask token, applied in pixel
 * space so a convolutional encoder can tell "masked" from a black background).
 * `weight: [1, C, 1, 1]`, initialized to 0.
 */
export class MaskToken extends AbstractModule {
  readonly weight: Parameter;

  constructor(channels: number) {
    super();
    this.weight = new Parameter([1, channels, 1, 1], new Float32Array(channels), false);
  }

  /** x·(1 − m) + m·token. `x: [N, C, H, W]`, `mask: [N, 1, H, W]`. */
  call(ctx: ForwardContext, x: Tensor, mask: Tensor): Tensor {
    return add(mul(x, sub(1, mask)), mul(mask, ctx.value(this.weight)));
  }
}

/**
 * Masked autoencoder (He et al. 2021) for a convolutional encoder, as SimMIM (Xie et al. 2022):
 * a random quarter of the patches (75% in the paper; see `maskRatio`) are replaced by a learned mask token, the encoder embeds the
 * masked image, a decoder reconstructs the whole image, and the loss counts only masked pixels.
 *
 * Why convolutional rather than a ViT: the method must pretrain the encoder it is given
 * (SmallCnn for images), and on 28×28 in minutes a conv encoder learns much faster than a ViT,
 * which needs hundreds of epochs. Masking the input (instead of dropping tokens) is what a conv
 * net can take; the decoder reads the pooled 128-d embedding, so the embedding itself must hold
 * the digit's shape — which is what the probe uses.
 */
export const maskedAutoencoder: Method<MaskedAutoencoderOptions> = {
  name: "mae",
  family: "auto-associative",
  modalities: ["image"],
  description: "mask 25% of 4×4 patches with a learned token, reconstruct the image, loss on masked patches only",
  paper: "He et al. 2021, Masked Autoencoders Are Scalable Vision Learners (conv form: Xie et al. 2022, SimMIM)",
  defaults: { patchSize: 4, maskRatio: 0.25, decoder: "conv", reconstructionLoss: "bce", learningRate: 1e-3 },
  plan: (setup, options): MethodPlan<"image" | "mask"> => {
    const { encoder, batchSize } = setup;
    const sampleShape = imageShape(setup.spec, "method mae");
    const [c, h, w] = sampleShape;
    const { patchSize } = options;
    if (!Number.isInteger(patchSize) || patchSize < 1 || h % patchSize !== 0 || w % patchSize !== 0) {
      throw new ShapeError("maskedAutoencoder", `patchSize ${patchSize} must divide the image ${formatShape(sampleShape)}`);
    }
    const count = maskedPatchCount((h / patchSize) * (w / patchSize), options.maskRatio);
    const maskToken = new MaskToken(c);
    const decoder = makeDecoder(options.decoder, encoder.outputDim, sampleShape, setup.rng);
    const imagesShape = [batchSize, c, h, w];
    const maskShape = [batchSize, 1, h, w];
    // Every image has exactly `count` masked patches, so the masked-pixel count is a constant.
    const maskedValues = batchSize * count * patchSize * patchSize * c;
    return {
      modules: { encoder, decoder, maskToken },
      batch: { image: { shape: imagesShape }, mask: { shape: maskShape } },
      views: (batch: Batch, rng: Rng) => ({
        image: hostTensor("float32", imagesShape, imageBatch(batch, "mae").images),
        mask: hostTensor("float32", maskShape, patchMasks(batchSize, h, w, patchSize, count, rng)),
      }),
      loss: (ctx, { image, mask }) => {
        const z = encoder.call(ctx, maskToken.call(ctx, image, mask)); // [B, D]
        const logits = decoder.call(ctx, z); // [B, C, H, W]
        const error = reconstructionError(options.reconstructionLoss, logits, image);
        const loss = div(sum(mul(error, mask)), maskedValues);
        // The reconstruction of the visible pixels, logged to see it is not what is optimized.
        const visible = div(sum(mul(error, sub(1, mask))), batchSize * c * h * w - maskedValues);
        return { loss, metrics: { collapse_std: collapseStd(z), visible_loss: visible, full_loss: mean(error) } };
      },
      optimizer: adam({ lr: options.learningRate }),
      learningRate: options.learningRate,
    };
  },
};

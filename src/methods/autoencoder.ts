import { imageBatch } from "../data/image/image-dataset.js";
import type { Batch } from "../data/loader.js";
import { imageShape } from "../data/sample.js";
import type { Tensor } from "../graph/index.js";
import { mean, mul, sigmoid, sub } from "../ops/index.js";
import { adam } from "../optim/index.js";
import type { Rng } from "../random/rng.js";
import { hostTensor } from "../runtime/index.js";
import { type DecoderKind, type ReconstructionLoss, makeDecoder, reconstructionError } from "./decoders.js";
import { collapseStd } from "./collapse.js";
import type { Method, MethodPlan, MethodSetup } from "./method.js";

export interface AutoencoderOptions {
  /** "conv" mirrors SmallCnn with transposed convolutions; "mlp" is one hidden layer of 512. */
  readonly decoder: DecoderKind;
  /**
   * "bce" (default): binary cross-entropy with logits per pixel, the classic choice for MNIST's
   * near-binary [0, 1] pixels (Vincent et al. 2010 use it for [0, 1] inputs; PyTorch's MNIST VAE
   * too); "mse" for inputs that are not in [0, 1].
   */
  readonly reconstructionLoss: ReconstructionLoss;
  /** Adam's learning rate (PyTorch's default 1e-3; constant, as the autoencoder papers). */
  readonly learningRate: number;
}

export type Corruption = "masking" | "gaussian";

export interface DenoisingAutoencoderOptions extends AutoencoderOptions {
  /**
   * "masking" (default): each pixel is set to 0 with probability `noiseLevel` — Vincent et al.
   * 2008's masking noise, their best corruption on MNIST; "gaussian": x + N(0, noiseLevel²),
   * clipped to [0, 1].
   */
  readonly corruption: Corruption;
  /** The fraction of pixels zeroed (masking; ν = 0.25 in Vincent et al. 2010) or the noise std. */
  readonly noiseLevel: number;
}

export const autoencoderDefaults: AutoencoderOptions = { decoder: "conv", reconstructionLoss: "bce", learningRate: 1e-3 };

/** Corrupts a batch of images on the host (a fresh array; the batch is left as it is). */
export function corruptImages(images: Float32Array, corruption: Corruption, noiseLevel: number, rng: Rng): Float32Array {
  if (!(noiseLevel >= 0) || (corruption === "masking" && noiseLevel > 1)) {
    throw new Error(`denoising autoencoder: noiseLevel ${noiseLevel} is out of range for ${corruption} noise`);
  }
  const out = new Float32Array(images.length);
  if (corruption === "masking") {
    for (let i = 0; i < images.length; i++) out[i] = rng.uniform() < noiseLevel ? 0 : (images[i] as number);
  } else {
    const noise = rng.normalArray(images.length, 0, noiseLevel);
    for (let i = 0; i < images.length; i++) out[i] = Math.min(1, Math.max(0, (images[i] as number) + (noise[i] as number)));
  }
  return out;
}

/**
 * The plan shared by the autoencoder and its denoising variant: encoder → decoder, the loss is the
 * reconstruction of `target` from `input` (the same images for the plain autoencoder).
 */
function planReconstruction(
  setup: MethodSetup,
  options: AutoencoderOptions,
  corrupt: ((images: Float32Array, rng: Rng) => Float32Array) | null,
): MethodPlan<"input" | "target"> {
  const { encoder, batchSize } = setup;
  const sampleShape = imageShape(setup.spec, "an autoencoder");
  const decoder = makeDecoder(options.decoder, encoder.outputDim, sampleShape, setup.rng);
  const shape = [batchSize, ...sampleShape];
  return {
    modules: { encoder, decoder },
    batch: { input: { shape }, target: { shape } },
    views: (batch: Batch, rng: Rng) => {
      const { images } = imageBatch(batch, "autoencoder");
      return { input: hostTensor("float32", shape, corrupt === null ? images : corrupt(images, rng)), target: hostTensor("float32", shape, images) };
    },
    loss: (ctx, { input, target }) => {
      const z = encoder.call(ctx, input); // [B, D]
      const logits = decoder.call(ctx, z); // [B, C, H, W]
      const loss = mean(reconstructionError(options.reconstructionLoss, logits, target));
      const prediction: Tensor = options.reconstructionLoss === "bce" ? sigmoid(logits) : logits;
      const d = sub(prediction, target);
      return { loss, metrics: { collapse_std: collapseStd(z), reconstruction_mse: mean(mul(d, d)) } };
    },
    optimizer: adam({ lr: options.learningRate }),
    learningRate: options.learningRate,
  };
}

/**
 * Autoencoder (Hinton & Salakhutdinov 2006): the encoder's embedding is decoded back to the
 * image; the bottleneck (SmallCnn's 128-d pooled output) forces a compact code.
 */
export const autoencoder: Method<AutoencoderOptions> = {
  name: "autoencoder",
  family: "auto-associative",
  modalities: ["image"],
  description: "reconstruct the image from the encoder's embedding through a decoder (BCE on [0, 1] pixels)",
  paper: "Hinton & Salakhutdinov 2006, Reducing the Dimensionality of Data with Neural Networks",
  defaults: autoencoderDefaults,
  plan: (setup, options) => planReconstruction(setup, options, null),
};

/**
 * Denoising autoencoder (Vincent et al. 2008): reconstruct the clean image from a corrupted one,
 * so the code must capture the digit's structure rather than copy pixels. The corruption is drawn
 * on the host from the batch's seeded generator.
 */
export const denoisingAutoencoder: Method<DenoisingAutoencoderOptions> = {
  name: "denoising-autoencoder",
  family: "auto-associative",
  modalities: ["image"],
  description: "reconstruct the clean image from a corrupted one (25% of pixels zeroed by default)",
  paper: "Vincent et al. 2008, Extracting and Composing Robust Features with Denoising Autoencoders",
  defaults: { ...autoencoderDefaults, corruption: "masking", noiseLevel: 0.25 },
  plan: (setup, options) => planReconstruction(setup, options, (images, rng) => corruptImages(images, options.corruption, options.noiseLevel, rng)),
};

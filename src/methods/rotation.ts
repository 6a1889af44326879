import { augmentBatch, simclrMnistPipeline } from "../data/image/augment/index.js";
import { imageBatch } from "../data/image/image-dataset.js";
import type { Batch } from "../data/loader.js";
import { imageShape } from "../data/sample.js";
import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { Mlp, type MlpBlockSpec } from "../nn/index.js";
import { cast, crossEntropyWithLogits, greaterEqual, max, mean, mul, oneHot, sum } from "../ops/index.js";
import { adam } from "../optim/index.js";
import type { Rng } from "../random/rng.js";
import { hostTensor } from "../runtime/index.js";
import type { PlannedRateOptions } from "../optim/schedule.js";
import { collapseStd } from "./collapse.js";
import { scheduledRate } from "./heads.js";
import type { Method, MethodPlan } from "./method.js";

/**
 * Rotates square images by k·90° counter-clockwise, as `torch.rot90(x, k, dims=(2, 3))`:
 * for k = 1, out[r][c] = in[c][W − 1 − r] (the top row becomes the left column, read upwards).
 * @param images `[N, C, S, S]` row-major
 * @param turns one k ∈ {0, 1, 2, 3} per image
 */
export function rotateImages(images: Float32Array, shape: readonly [number, number, number, number], turns: ArrayLike<number>): Float32Array {
  const [n, c, h, w] = shape;
  if (h !== w) throw new ShapeError("rotateImages", `needs square images, got ${formatShape(shape)}`);
  if (turns.length !== n) throw new ShapeError("rotateImages", `${turns.length} rotations for ${n} images`);
  const s = h;
  const out = new Float32Array(images.length);
  for (let i = 0; i < n; i++) {
    const k = (((turns[i] as number) % 4) + 4) % 4;
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s * s;
      for (let r = 0; r < s; r++) {
        for (let col = 0; col < s; col++) {
          // source pixel of out[r][col] after k counter-clockwise quarter turns
          const [sr, sc] = k === 0 ? [r, col] : k === 1 ? [col, s - 1 - r] : k === 2 ? [s - 1 - r, s - 1 - col] : [s - 1 - col, r];
          out[base + r * s + col] = images[base + sr * s + sc] as number;
        }
      }
    }
  }
  return out;
}

/**
 * Top-1 accuracy of `logits: [N, K]` against int64 `labels: [N]`, in the graph (a logged metric,
 * not differentiated): a row counts when its label's logit is the row's maximum.
 */
export function argMaxAccuracy(logits: Tensor, labels: Tensor): Tensor {
  const k = logits.shape[1] as number;
  const picked = sum(mul(logits, oneHot(labels, k)), 1); // [N]
  return mean(cast(greaterEqual(picked, max(logits, 1)), "float32"));
}

export interface RotationOptions {
  /**
   * Feed all four rotations of every image in the same batch (the paper's finding on CIFAR), so
   * the step sees 4·batchSize inputs; false (default) draws one rotation per image. On MNIST the
   * task is learned within a few dozen steps either way and one rotation per image (more distinct
   * digits per step) probed better: 1,024 images, 100 steps, 10-label probe 76.8% (batch 128, one
   * each) vs 72.8% (64 images × 4), random encoder 72.0%.
   */
  readonly allRotations: boolean;
  /** Hidden width of the classifier head (one BN-ReLU layer), 0 for a linear head. */
  readonly headHidden: number;
  /** Hidden BN-ReLU layers of width `headHidden` in the classifier head. */
  readonly headLayers: number;
  readonly learningRate: number;
  /**
   * Augmentation of each image before it is turned: "none", or the SimCLR MNIST pipeline (crop,
   * intensity jitter, noise). On clean digits the rotation is read off low-level cues within ~50
   * steps (loss 0.1) and the encoder specializes in them; augmented, the task stays open (loss
   * 0.75) and needs the digit's shape. Measured with the SmallCnn, batch 256, 75 steps (linear
   * probe 10 labels/class, kNN): "none" 73.2%, 84.3%; "simclr" 82.4%, 91.2%; random encoder
   * 75.9%, 90.2%. (A 512-wide head and cosine decay did not help: 78.1% and 81.1%.)
   */
  readonly augmentation: "none" | "simclr";
  /** How `learningRate` runs over the planned steps. */
  readonly learningRateSchedule: PlannedRateOptions["schedule"];
  readonly warmupFraction: number;
}

/**
 * RotNet (Gidaris et al. 2018): predict which of 0°, 90°, 180°, 270° an image was rotated by.
 * Recognizing the rotation needs the object's canonical orientation, i.e. what and where its
 * parts are. Rotations are made on the host in plain JS; the labels are the quarter turns.
 */
export const rotation: Method<RotationOptions> = {
  name: "rotation",
  family: "pretext-task",
  modalities: ["image"],
  description: "classify the rotation (0/90/180/270°) of each augmented image, one random rotation per image",
  paper: "Gidaris et al. 2018, Unsupervised Representation Learning by Predicting Image Rotations",
  defaults: { allRotations: false, headHidden: 128, headLayers: 1, augmentation: "simclr", learningRate: 1e-3, learningRateSchedule: "constant", warmupFraction: 0 },
  plan: (setup, options): MethodPlan<"images" | "labels"> => {
    const { encoder, batchSize } = setup;
    const [c, h, w] = imageShape(setup.spec, "method rotation");
    if (h !== w) throw new ShapeError("rotation", `needs square images, got ${formatShape([c, h, w])}`);
    const hidden: MlpBlockSpec[] = options.headHidden > 0 ? Array.from({ length: options.headLayers }, () => ({ out: options.headHidden, norm: "batch", act: "relu" })) : [];
    const specs: MlpBlockSpec[] = [...hidden, { out: 4 }];
    const head = new Mlp(encoder.outputDim, specs, setup.rng);
    const rows = options.allRotations ? 4 * batchSize : batchSize;
    const lr = scheduledRate(options, setup.totalSteps);
    const augment = options.augmentation === "simclr" ? augmentBatch(simclrMnistPipeline()) : null;
    const shape = [rows, c, h, w];
    return {
      modules: { encoder, head },
      batch: { images: { shape }, labels: { shape: [rows], dtype: "int64" } },
      views: (batch: Batch, rng: Rng) => {
        const turns = new Int32Array(rows);
        const sample = c * h * w;
        let source = imageBatch(augment === null ? batch : augment(batch, rng.split()), "rotation").images;
        if (options.allRotations) {
          const images = source;
          // rows 4i..4i+3 are image i turned 0, 1, 2, 3 times
          source = new Float32Array(rows * sample);
          for (let i = 0; i < batchSize; i++) {
            for (let k = 0; k < 4; k++) {
              source.set(images.subarray(i * sample, (i + 1) * sample), (4 * i + k) * sample);
              turns[4 * i + k] = k;
            }
          }
        } else {
          for (let i = 0; i < rows; i++) turns[i] = rng.int(4);
        }
        return {
          images: hostTensor("float32", shape, rotateImages(source, [rows, c, h, w], turns)),
          labels: hostTensor("int64", [rows], BigInt64Array.from(turns, (k) => BigInt(k))),
        };
      },
      loss: (ctx, { images, labels }) => {
        const z = encoder.call(ctx, images); // [R, D]
        const logits = head.call(ctx, z); // [R, 4]
        return { loss: crossEntropyWithLogits(logits, labels), metrics: { collapse_std: collapseStd(z), accuracy: argMaxAccuracy(logits, labels) } };
      },
      optimizer: adam({ lr }),
      learningRate: lr,
    };
  },
};

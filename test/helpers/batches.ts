import { imageDataset } from "../../src/data/image/image-dataset.js";
import { type Batch, DataLoader } from "../../src/data/loader.js";
import type { ImageShape } from "../../src/data/sample.js";

/** `images` (`[N, C, H, W]`) as one unshuffled, unlabeled batch, exactly as the loader assembles it. */
export function imageBatchOf(images: Float32Array, shape: ImageShape): Batch {
  const dataset = imageDataset(images, shape);
  return new DataLoader(dataset, { batchSize: dataset.length, shuffle: false }).batch(0, 0);
}

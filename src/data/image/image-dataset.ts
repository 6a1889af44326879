import { ArrayDataset } from "../dataset.js";
import { type Batch, batchField } from "../loader.js";
import { type ImageShape, type Sample, imageSpec } from "../sample.js";
import type { ImageBatch } from "./augment/transform.js";

export interface ImageDatasetOptions {
  /** `[N]` class labels. */
  readonly labels?: Int32Array;
  readonly numClasses?: number;
  readonly classNames?: readonly string[];
}

/** An in-memory image dataset: `images` is `[N, C, H, W]` row-major. */
export function imageDataset(images: Float32Array, shape: ImageShape, options: ImageDatasetOptions = {}): ArrayDataset {
  return new ArrayDataset({ spec: imageSpec(shape), fields: { image: images }, ...options });
}

/** The `[C, H, W]` pixels of an image sample (a view: read, do not write). */
export function sampleImage(sample: Sample): Float32Array {
  const image = sample.fields.image;
  if (!(image instanceof Float32Array)) throw new Error("expected an image sample (a float32 \"image\" field)");
  return image;
}

/** An image batch's pixels and `[N, C, H, W]` shape, as the augmentations take them; `who` names the caller in errors. */
export function imageBatch(batch: Batch, who: string): ImageBatch {
  const { data, shape } = batchField(batch, "image", "float32", who);
  if (shape.length !== 4) throw new Error(`${who} needs [N, C, H, W] images, the batch has [${shape.join(", ")}]`);
  return { images: data, shape: [shape[0] as number, shape[1] as number, shape[2] as number, shape[3] as number] };
}

import type { Rng } from "../../../random/rng.js";
import type { Batch } from "../../loader.js";
import { imageBatch } from "../image-dataset.js";
import { composeMaps, resampleAffine } from "./geometric.js";
import { type ImageBatch, type ImageShape, type Pipeline, checkBatch } from "./transform.js";

/** One augmented copy of a batch: `[N, C, H, W]` in, a new `[N, C, H, W]` array out. */
export type Augmentation = (batch: ImageBatch, rng: Rng) => Float32Array;

/** N views of a batch: one new `[N, C, H, W]` array per view. */
export type MultiViewAugmentation = (batch: ImageBatch, rng: Rng) => Float32Array[];

/**
 * Runs `pipeline` on a batch and returns a new array; `images` is not modified. Each run of
 * consecutive geometric transforms becomes one composed affine map per sample and one bilinear
 * resample; pixel transforms then work in place on the result.
 */
export function applyPipeline(pipeline: Pipeline, images: Float32Array, shape: ImageShape, rng: Rng): Float32Array {
  checkBatch("applyPipeline", images, shape);
  let current = images;
  let maps: Float64Array | null = null;
  const flush = (): void => {
    if (maps !== null) current = resampleAffine(current, shape, maps);
    maps = null;
  };
  for (const transform of pipeline) {
    if (transform.kind === "geometric") {
      const next = transform.sampleMaps(shape, rng);
      maps = maps === null ? next : composeMaps(maps, next);
      continue;
    }
    flush();
    if (current === images) current = images.slice(); // never write into the caller's batch
    transform.applyInPlace(current, shape, rng);
  }
  flush();
  return current === images ? images.slice() : current;
}

/** `pipeline` as a function of (batch, rng). */
export function compose(pipeline: Pipeline): Augmentation {
  const steps = [...pipeline];
  return (batch, rng) => applyPipeline(steps, batch.images, batch.shape, rng);
}

/**
 * N views per sample, view k made by `views[k]` (lightly's `MultiViewTransform`; SimCLR uses the
 * same pipeline twice, BYOL two different ones). Each view draws from its own generator split off
 * `rng` in view order, so a view does not depend on how many numbers the others used.
 */
export function multiView(views: readonly Pipeline[]): MultiViewAugmentation {
  if (views.length === 0) throw new Error("multiView: needs at least one view");
  const pipelines = views.map((v) => [...v]);
  return (batch, rng) => {
    const rngs = pipelines.map(() => rng.split());
    return pipelines.map((p, k) => applyPipeline(p, batch.images, batch.shape, rngs[k] as Rng));
  };
}

/** A loader `transform` that replaces each batch's images by one augmented view (e.g. supervised training with augmentation). */
export function augmentBatch(pipeline: Pipeline): (batch: Batch, rng: Rng) => Batch {
  const run = compose(pipeline);
  return (batch, rng) => {
    const images = imageBatch(batch, "augmentBatch");
    return { ...batch, fields: { ...batch.fields, image: { dtype: "float32", shape: images.shape, data: run(images, rng) } } };
  };
}

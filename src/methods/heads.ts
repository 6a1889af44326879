import { imageBatch } from "../data/image/image-dataset.js";
import type { Batch } from "../data/loader.js";
import { imageShape } from "../data/sample.js";
import { type AugmentationPreset, type MultiViewAugmentation, byolPreset, mocoV2Preset, multiView, simclrPreset } from "../data/image/augment/index.js";
import type { Tensor } from "../graph/index.js";
import { AbstractModule, type ForwardContext, Mlp, type MlpBlockSpec, Parameter, StateBuffer } from "../nn/index.js";
import { concat, split } from "../ops/index.js";
import type { LearningRate } from "../optim/optimizer.js";
import { type PlannedRateOptions, plannedRate } from "../optim/schedule.js";
import type { Rng } from "../random/rng.js";
import { type HostTensor, hostTensor } from "../runtime/index.js";
import type { BatchSpec } from "../train/train-step.js";
import type { Encoder, MethodSetup } from "./method.js";

/**
 * A projector, predictor or expander: an `Mlp` from typed block specs (lightly's `heads.py`).
 * SimCLR's MNIST projector is `head(128, [{ out: 128, act: "relu" }, { out: 64 }], rng)`.
 */
export function head(inFeatures: number, blocks: readonly MlpBlockSpec[], rng: Rng): Mlp {
  return new Mlp(inFeatures, blocks, rng);
}

/**
 * A deep copy of a module: the same class and fields, with fresh `Parameter`s and `StateBuffer`s
 * holding copies of the values. The momentum (target) networks of BYOL and MoCo start this way.
 */
export function cloneModule<M extends AbstractModule>(module: M): M {
  return cloneValue(module) as M;
}

function cloneValue(value: unknown): unknown {
  if (value instanceof Parameter) return new Parameter(value.shape, Float32Array.from(value.value), value.decay);
  if (value instanceof StateBuffer) return new StateBuffer(value.shape, Float32Array.from(value.value));
  if (Array.isArray(value)) return value.map(cloneValue);
  if (value instanceof AbstractModule) {
    const copy: object = Object.create(Object.getPrototypeOf(value) as object | null);
    for (const [key, field] of Object.entries(value)) Object.defineProperty(copy, key, { value: cloneValue(field), enumerable: true, writable: false });
    return copy;
  }
  return value; // numbers, strings, null: immutable
}

/** An encoder followed by a head, one module: what a momentum network copies and follows. */
export class EncoderWithHead extends AbstractModule {
  constructor(
    readonly encoder: Encoder,
    readonly projector: Mlp,
  ) {
    super();
  }

  /** `x: [N, C, H, W]` → the embeddings `h: [N, D]` and projections `z: [N, P]`. */
  call(ctx: ForwardContext, x: Tensor): { h: Tensor; z: Tensor } {
    const h = this.encoder.call(ctx, x);
    return { h, z: this.projector.call(ctx, h) };
  }
}

/** The augmentation presets a method option can name. */
export type PresetName = "simclr" | "byol" | "moco-v2";

const PRESETS: Readonly<Record<PresetName, () => AugmentationPreset>> = { simclr: simclrPreset, byol: byolPreset, "moco-v2": mocoV2Preset };

/** The two-view augmentation of a preset, by name or given. */
export function twoViewAugmentation(preset: PresetName | AugmentationPreset): MultiViewAugmentation {
  const p = typeof preset === "string" ? PRESETS[preset]() : preset;
  if (p.views.length !== 2) throw new Error(`augmentation preset ${p.name} has ${p.views.length} views; a two-view method needs 2`);
  return multiView(p.views);
}

export type TwoViews = "view0" | "view1";

/** The step inputs of a two-view method, and the host function that makes them from a batch. */
export function twoViewInputs(
  setup: MethodSetup,
  preset: PresetName | AugmentationPreset,
): { batch: Record<TwoViews, BatchSpec>; views: (batch: Batch, rng: Rng) => Record<TwoViews, HostTensor> } {
  const augment = twoViewAugmentation(preset);
  const shape = [setup.batchSize, ...imageShape(setup.spec, "a two-view image method")];
  return {
    batch: { view0: { shape }, view1: { shape } },
    views: (batch, rng) => {
      const [a, b] = augment(imageBatch(batch, "two-view augmentation"), rng) as [Float32Array, Float32Array];
      return { view0: hostTensor("float32", shape, a), view1: hostTensor("float32", shape, b) };
    },
  };
}

/**
 * Both views through one network as a single batch of 2N (as the PyTorch anchor's
 * `head(enc(cat([v1, v2])))`: one pass is faster than two, and batch norm sees both views).
 *
 * @returns the embeddings `h: [2N, D]` and each view's projections `[N, P]`
 */
export function forwardBoth(ctx: ForwardContext, net: EncoderWithHead, view0: Tensor, view1: Tensor): { h: Tensor; z0: Tensor; z1: Tensor } {
  const n = view0.shape[0] as number;
  const { h, z } = net.call(ctx, concat([view0, view1], 0)); // [2N, D], [2N, P]
  const [z0, z1] = split(z, [n, n], 0) as [Tensor, Tensor];
  return { h, z0, z1 };
}

/** A predictor on both views' projections as one batch of 2N: `[N, P]` × 2 → `[N, Q]` × 2. */
export function predictBoth(ctx: ForwardContext, predictor: Mlp, z0: Tensor, z1: Tensor): [Tensor, Tensor] {
  const n = z0.shape[0] as number;
  return split(predictor.call(ctx, concat([z0, z1], 0)), [n, n], 0) as [Tensor, Tensor];
}

/**
 * A method's learning rate over its planned steps: a numeric `learningRate` through
 * `plannedRate` (constant, or warmup + cosine over `totalSteps`); a schedule given in code as is.
 */
export function scheduledRate(
  options: { readonly learningRate: LearningRate; readonly learningRateSchedule: PlannedRateOptions["schedule"]; readonly warmupFraction: number },
  totalSteps: number,
): LearningRate {
  const { learningRate, learningRateSchedule, warmupFraction } = options;
  return typeof learningRate === "number" ? plannedRate(learningRate, totalSteps, { schedule: learningRateSchedule, warmupFraction }) : learningRate;
}

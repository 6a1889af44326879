import { DataLoader, type Dataset, type FieldBatch, imageBatch, inputField } from "../data/index.js";
import type { Tensor } from "../graph/index.js";
import { AbstractModule, type ForwardContext, Linear, type Parameter, type StateBuffer, type UnaryModule, namedParameters, namedState } from "../nn/index.js";
import { crossEntropyWithLogits, reshape } from "../ops/index.js";
import { adam } from "../optim/index.js";
import { Rng } from "../random/rng.js";
import { type CompileOptions, hostTensor } from "../runtime/index.js";
import { TrainStep } from "../train/train-step.js";
import { accuracy, argmaxRows } from "./accuracy.js";
import { embedDataset, embeddingDim, releaseEmbeddings } from "./embed.js";

/** Changes a batch of `[B, C, H, W]` images in place or returns new ones, drawing from `rng`. */
export type BatchAugmentation = (images: Float32Array, shape: readonly [number, number, number, number], rng: Rng) => Float32Array;

export interface FinetuneOptions {
  /** Optimizer steps; 300 as the PyTorch anchor's supervised-on-100-labels baseline (`--sup-steps`). */
  readonly steps?: number;
  /**
   * Examples per step. With fewer labeled examples than this, every step is the full labeled set
   * (the anchor trains on its 100 labels as one batch); otherwise seeded shuffled batches.
   */
  readonly batchSize?: number;
  /** Adam's learning rate; 1e-3 as the anchor. */
  readonly learningRate?: number;
  /** Coupled L2 on weights (ndim ≥ 2); 0 as the anchor. */
  readonly weightDecay?: number;
  /** Applied to every training batch of images (e.g. the SSL augmentations); none by default. */
  readonly augment?: BatchAugmentation;
  /** Seeds the head's init, the batch order and the augmentation draws. */
  readonly seed?: number;
  readonly compile?: CompileOptions;
}

export interface FinetuneResult {
  readonly accuracy: number;
  /** Cross-entropy of the last training batch. */
  readonly finalLoss: number;
  readonly trainSeconds: number;
}

/** An encoder followed by a linear head on its flattened output. */
class Classifier extends AbstractModule {
  constructor(
    readonly encoder: UnaryModule,
    readonly head: Linear,
  ) {
    super();
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    const z = this.encoder.call(ctx, x);
    return this.head.call(ctx, reshape(z, [z.shape[0] as number, -1])); // [B, classes]
  }
}

/**
 * Trains `encoder` and a new linear head end to end on the labeled examples (cross-entropy,
 * Adam, batch norm in training mode), then scores the test set in eval mode. The encoder is
 * left as it was: its parameters and state are restored afterwards, so a pretrained encoder can
 * be fine-tuned on several label draws in turn.
 */
export async function finetune(encoder: UnaryModule, labeled: Dataset, test: Dataset, options: FinetuneOptions = {}): Promise<FinetuneResult> {
  const { steps = 300, batchSize = 256, learningRate = 1e-3, weightDecay = 0, augment, seed = 0 } = options;
  const numClasses = labeled.numClasses ?? test.numClasses;
  if (numClasses === undefined || labeled.labels === undefined || test.labels === undefined) throw new Error("finetune: both datasets must be labeled");
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`finetune: steps must be a positive integer, got ${steps}`);
  const rng = new Rng(seed);
  const head = new Linear(embeddingDim(encoder, labeled.spec), numClasses, rng);
  const model = new Classifier(encoder, head);
  const saved = snapshotValues(encoder);
  const batch = Math.min(batchSize, labeled.length);
  const field = inputField(labeled.spec);
  const shape = [batch, ...field.shape];
  if (augment !== undefined && labeled.spec.modality !== "image") throw new Error(`finetune: augment takes images; the data is ${labeled.spec.modality}`);
  const loader = new DataLoader(labeled, {
    batchSize: batch,
    seed,
    transform: (b, r): { x: FieldBatch; labels: BigInt64Array } => {
      const x = b.fields[b.spec.input] as FieldBatch;
      if (augment === undefined) return { x, labels: b.labels as BigInt64Array };
      const images = imageBatch(b, "finetune");
      return { x: { dtype: "float32", shape: x.shape, data: augment(images.images, images.shape, r) }, labels: b.labels as BigInt64Array };
    },
  });
  const step = await TrainStep.compile<"x" | "y">({
    modules: { model },
    batch: { x: { shape, dtype: field.dtype }, y: { shape: [batch], dtype: "int64" } },
    loss: (ctx, { x, y }) => ({ loss: crossEntropyWithLogits(model.call(ctx, x), y) }),
    optimizer: adam({ lr: learningRate, weightDecay }),
    seed,
    ...(options.compile === undefined ? {} : { compile: options.compile }),
  });
  try {
    const start = performance.now();
    let finalLoss = Number.NaN;
    for (let s = 0; s < steps; ) {
      const call = Array.from({ length: Math.min(step.stepsPerRun, steps - s) }, () => {
        const b = loader.next();
        return { x: b.x, y: hostTensor("int64", [batch], b.labels) };
      });
      finalLoss = (await step.runSteps(call)).at(-1)?.loss ?? finalLoss;
      s += call.length;
    }
    const trainSeconds = (performance.now() - start) / 1000;
    step.syncToModules();
    const logits = await embedDataset(model, test, options.compile === undefined ? {} : { compile: options.compile });
    return { accuracy: accuracy(argmaxRows(logits.data, numClasses), test.labels), finalLoss, trainSeconds };
  } finally {
    await Promise.all([step.release(), releaseEmbeddings(model)]);
    restoreValues(saved);
  }
}

/**
 * The "supervised on only the k labels" baseline: a freshly initialized encoder from
 * `makeEncoder`, fine-tuned exactly as `finetune` does.
 */
export function trainFromScratch(makeEncoder: (rng: Rng) => UnaryModule, labeled: Dataset, test: Dataset, options: FinetuneOptions = {}): Promise<FinetuneResult> {
  return finetune(makeEncoder(new Rng(options.seed ?? 0)), labeled, test, options);
}

function snapshotValues(module: AbstractModule): Map<Parameter | StateBuffer, Float32Array> {
  const saved = new Map<Parameter | StateBuffer, Float32Array>();
  for (const leaf of [...namedParameters(module).values(), ...namedState(module).values()]) saved.set(leaf, leaf.value.slice());
  return saved;
}

function restoreValues(saved: ReadonlyMap<Parameter | StateBuffer, Float32Array>): void {
  for (const [leaf, value] of saved) leaf.value.set(value);
}

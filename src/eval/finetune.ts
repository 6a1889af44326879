import { DataLoader, type Dataset, type FieldBatch, inputField } from "../data/index.js";
import { batchField } from "../data/loader.js";
import type { Tensor } from "../graph/index.js";
import { AbstractModule, type ForwardContext, Linear, type Parameter, type StateBuffer, type UnaryModule, namedParameters, namedState } from "../nn/index.js";
import { crossEntropyWithLogits, reshape } from "../ops/index.js";
import { type Optimizer, adam, partition } from "../optim/index.js";
import { Rng } from "../random/rng.js";
import { type CompileOptions, hostTensor } from "../runtime/index.js";
import { TrainStep } from "../train/train-step.js";
import { accuracy, argmaxRows } from "./accuracy.js";
import { embedDataset, embeddingDim, releaseEmbeddings } from "./embed.js";
import { stratifiedHoldOut, subsetDataset } from "./label-subsets.js";
import { standardizer, trainLinearClassifier } from "./linear-probe.js";

/** Changes a batch of `[B, C, H, W]` images (or `[B, 1, mels, frames]` log-mel clips) in place or returns new ones, drawing from `rng`. */
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
  /** Applied to every training batch of images or log-mel clips (e.g. the SSL augmentations); none by default. */
  readonly augment?: BatchAugmentation;
  /**
   * The encoder's Adam rate; the head's is `learningRate`. By default the same (one Adam): a lower
   * one keeps a pretrained start closer to its features (Kumar et al. 2022 discuss why).
   */
  readonly encoderLearningRate?: number;
  /**
   * "random" (default): the head starts from its seeded init. "linear-probe": LP-FT (Kumar et al.
   * 2022, arXiv:2202.10054): the head starts as logistic regression fitted on the frozen encoder's
   * eval-mode features of the labelled rows (λ = 1/N, scikit-learn's C = 1), so the first steps do
   * not push a random head's gradients into the encoder.
   */
  readonly headInit?: "random" | "linear-probe";
  /** Hold out part of the labelled rows and keep the step count whose held-out loss was lowest; none by default. */
  readonly earlyStopping?: EarlyStoppingOptions;
  /** Seeds the head's init, the batch order and the augmentation draws. */
  readonly seed?: number;
  readonly compile?: CompileOptions;
}

/**
 * Early stopping on a held-out slice of the labelled rows: `steps` becomes the most steps; the
 * held-out cross-entropy is scored every `every` steps and the step count with the lowest wins.
 */
export interface EarlyStoppingOptions {
  /** The share of each class held out (round(f · n_c), at least one row left to train on). */
  readonly heldOutFraction: number;
  /** Steps between two scorings of the held-out rows. */
  readonly every: number;
  /** Stop after this many scorings without a new lowest loss. */
  readonly patience: number;
  /**
   * true: train again on all labelled rows (held-out ones included) for the chosen step count, so
   * no label is lost to the stopping rule; false: keep the chosen checkpoint of the first run.
   */
  readonly refit: boolean;
}

export interface FinetuneResult {
  readonly accuracy: number;
  /** The steps the scored model was trained for (the chosen count with early stopping). */
  readonly steps: number;
  /** The predicted class of every test example, in order (for paired tests over the test rows). */
  readonly predictions: Int32Array;
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
 * be fine-tuned on several label draws in turn. With `earlyStopping`, a stratified slice of the
 * labeled examples picks the step count (see `EarlyStoppingOptions`); the test set never does.
 */
export async function finetune(encoder: UnaryModule, labeled: Dataset, test: Dataset, options: FinetuneOptions = {}): Promise<FinetuneResult> {
  const { steps = 300, seed = 0, earlyStopping } = options;
  const numClasses = labeled.numClasses ?? test.numClasses;
  if (numClasses === undefined || labeled.labels === undefined || test.labels === undefined) throw new Error("finetune: both datasets must be labeled");
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`finetune: steps must be a positive integer, got ${steps}`);
  if (options.augment !== undefined) {
    const field = inputField(labeled.spec);
    if (field.dtype !== "float32" || field.shape.length !== 3) {
      throw new Error(`finetune: augment takes [C, H, W] float inputs (images, log-mel clips); the data's ${labeled.spec.input} is ${field.dtype}[${field.shape.join(", ")}]`);
    }
  }
  if (earlyStopping !== undefined) checkEarlyStopping(earlyStopping);
  const saved = snapshotValues(encoder);
  const score = async (t: Trained): Promise<FinetuneResult> => {
    const logits = await embedDataset(t.model, test, options.compile === undefined ? {} : { compile: options.compile });
    const predictions = argmaxRows(logits.data, numClasses);
    return { accuracy: accuracy(predictions, test.labels as Int32Array), steps: t.steps, predictions, finalLoss: t.finalLoss, trainSeconds: t.trainSeconds };
  };
  try {
    let chosen = steps;
    const split = earlyStopping === undefined ? null : holdOutRows(labeled.labels, numClasses, earlyStopping.heldOutFraction, seed);
    if (earlyStopping !== undefined && split !== null && split.held.length > 0) {
      const first = await trainClassifier(encoder, subsetDataset(labeled, split.fit), numClasses, options, { held: subsetDataset(labeled, split.held), stop: earlyStopping });
      try {
        if (!earlyStopping.refit) return await score(first);
        chosen = first.steps;
      } finally {
        await first.release();
      }
      restoreValues(saved);
    }
    const run = await trainClassifier(encoder, labeled, numClasses, { ...options, steps: chosen }, null);
    try {
      return await score(run);
    } finally {
      await run.release();
    }
  } finally {
    restoreValues(saved);
  }
}

/** A fine-tuned classifier whose modules hold the scored values, with the sessions to free. */
interface Trained {
  readonly model: Classifier;
  readonly steps: number;
  readonly finalLoss: number;
  readonly trainSeconds: number;
  release(): Promise<void>;
}

/** Trains encoder + head on `train`; with `validation`, scores it every `every` steps and ends on the best-scored values. */
async function trainClassifier(
  encoder: UnaryModule,
  train: Dataset,
  numClasses: number,
  options: FinetuneOptions,
  validation: { readonly held: Dataset; readonly stop: EarlyStoppingOptions } | null,
): Promise<Trained> {
  const { steps = 300, batchSize = 256, learningRate = 1e-3, weightDecay = 0, augment, seed = 0 } = options;
  const rng = new Rng(seed);
  const head = new Linear(embeddingDim(encoder, train.spec), numClasses, rng);
  const model = new Classifier(encoder, head);
  if (options.headInit === "linear-probe") await fitHeadOnFrozen(encoder, head, train, numClasses, options);
  const batch = Math.min(batchSize, train.length);
  const field = inputField(train.spec);
  const shape = [batch, ...field.shape];
  const loader = new DataLoader(train, {
    batchSize: batch,
    seed,
    transform: (b, r): { x: FieldBatch; labels: BigInt64Array } => {
      const x = b.fields[b.spec.input] as FieldBatch;
      if (augment === undefined) return { x, labels: b.labels as BigInt64Array };
      const { data, shape: s } = batchField(b, b.spec.input, "float32", "finetune's augment");
      return { x: { dtype: "float32", shape: x.shape, data: augment(data, s as [number, number, number, number], r) }, labels: b.labels as BigInt64Array };
    },
  });
  const step = await TrainStep.compile<"x" | "y">({
    modules: { model },
    batch: { x: { shape, dtype: field.dtype }, y: { shape: [batch], dtype: "int64" } },
    loss: (ctx, { x, y }) => ({ loss: crossEntropyWithLogits(model.call(ctx, x), y) }),
    optimizer: finetuneOptimizer(learningRate, options.encoderLearningRate ?? learningRate, weightDecay),
    seed,
    ...(options.compile === undefined ? {} : { compile: options.compile }),
  });
  const release = () => Promise.all([step.release(), releaseEmbeddings(model)]).then(() => undefined);
  try {
    const start = performance.now();
    let finalLoss = Number.NaN;
    const every = validation?.stop.every ?? Number.POSITIVE_INFINITY;
    let best: { loss: number; steps: number; values: Map<Parameter | StateBuffer, Float32Array> } | null = null;
    let sinceBest = 0;
    let s = 0;
    while (s < steps) {
      const call = Array.from({ length: Math.min(step.stepsPerRun, steps - s, every - (s % every)) }, () => {
        const b = loader.next();
        return { x: b.x, y: hostTensor("int64", [batch], b.labels) };
      });
      finalLoss = (await step.runSteps(call)).at(-1)?.loss ?? finalLoss;
      s += call.length;
      if (validation !== null && s % every === 0) {
        step.syncToModules();
        const logits = await embedDataset(model, validation.held, options.compile === undefined ? {} : { compile: options.compile });
        const loss = meanCrossEntropy(logits.data, validation.held.labels as Int32Array, numClasses);
        if (best === null || loss < best.loss) {
          best = { loss, steps: s, values: snapshotValues(model) };
          sinceBest = 0;
        } else if (++sinceBest >= validation.stop.patience) break;
      }
    }
    const trainSeconds = (performance.now() - start) / 1000;
    step.syncToModules();
    if (best !== null) restoreValues(best.values);
    return { model, steps: best?.steps ?? s, finalLoss, trainSeconds, release };
  } catch (e) {
    await release();
    throw e;
  }
}

/** One Adam, or with a separate encoder rate, one for the encoder's parameters and one for the head's. */
function finetuneOptimizer(headRate: number, encoderRate: number, weightDecay: number): Optimizer {
  if (encoderRate === headRate) return adam({ lr: headRate, weightDecay });
  return partition({ encoder: adam({ lr: encoderRate, weightDecay }), head: adam({ lr: headRate, weightDecay }) }, (name) =>
    name.startsWith("model.head.") ? "head" : name.startsWith("model.encoder.") ? "encoder" : undefined,
  );
}

/**
 * LP-FT's first stage: logistic regression (λ = 1/N) on the frozen encoder's eval-mode features
 * of `train`, standardized with their own mean and std, folded into `head`:
 *   W·((z − μ)/σ) + b = (W/σ)·z + (b − Σ_j W_j μ_j/σ_j).
 */
async function fitHeadOnFrozen(encoder: UnaryModule, head: Linear, train: Dataset, numClasses: number, options: FinetuneOptions): Promise<void> {
  const z = await embedDataset(encoder, train, { bind: "constant", ...(options.compile === undefined ? {} : { compile: options.compile }) });
  const { dim } = z;
  const { mean, scale } = columnMoments(z.data, dim);
  const x = standardizer(z.data, dim)(z.data);
  const clf = await trainLinearClassifier({ features: x, labels: train.labels as Int32Array }, dim, numClasses, 1 / train.length, options.seed === undefined ? {} : { seed: options.seed });
  const weight = head.weight.value;
  const bias = head.bias?.value;
  if (bias === undefined) throw new Error("finetune: the head has no bias");
  for (let c = 0; c < numClasses; c++) {
    let shift = 0;
    for (let j = 0; j < dim; j++) {
      const w = (clf.weight[c * dim + j] as number) * (scale[j] as number);
      weight[c * dim + j] = w;
      shift += w * (mean[j] as number);
    }
    bias[c] = (clf.bias[c] as number) - shift;
  }
}

/** Per-column mean and 1/std of `[N, dim]` rows, as `standardizer` computes them (a constant column's scale is 1). */
function columnMoments(data: Float32Array, dim: number): { mean: Float64Array; scale: Float64Array } {
  const n = data.length / dim;
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (data[i * dim + j] as number) / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) sq[j] = (sq[j] as number) + ((data[i * dim + j] as number) - (mean[j] as number)) ** 2;
  return { mean, scale: Float64Array.from(sq, (v) => (Math.sqrt(v / n) > 1e-12 ? 1 / Math.sqrt(v / n) : 1)) };
}

/**
 * Mean cross-entropy of `[N, classes]` logits against `labels`.
 * NOTE: log-softmax as ℓ_y − max − log Σ exp(ℓ − max), so large logits do not overflow.
 */
export function meanCrossEntropy(logits: Float32Array, labels: Int32Array, classes: number): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c] as number);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp((logits[i * classes + c] as number) - max);
    total += max + Math.log(sum) - (logits[i * classes + (labels[i] as number)] as number);
  }
  return total / labels.length;
}

/**
 * A stratified split of labelled rows: from each class, round(f · n_c) rows of a `Rng(seed)`
 * permutation are held out, but never a class's last row (a class of one row is all training).
 */
export function holdOutRows(labels: Int32Array, classes: number, fraction: number, seed: number): { fit: Int32Array; held: Int32Array } {
  return stratifiedHoldOut(labels, classes, fraction, new Rng(seed ^ 0x5eed), "one-fit");
}

function checkEarlyStopping(o: EarlyStoppingOptions): void {
  if (!(o.heldOutFraction > 0 && o.heldOutFraction < 1)) throw new Error(`finetune: earlyStopping.heldOutFraction must be in (0, 1), got ${o.heldOutFraction}`);
  if (!Number.isInteger(o.every) || o.every < 1 || !Number.isInteger(o.patience) || o.patience < 1) throw new Error("finetune: earlyStopping.every and patience must be positive integers");
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

import type { Tensor } from "../graph/index.js";
import { Linear } from "../nn/index.js";
import { add, crossEntropyWithLogits, mul, reshape, sum } from "../ops/index.js";
import { adam, unpack, warmupCosine } from "../optim/index.js";
import { Rng } from "../random/rng.js";
import { type CompileOptions, hostTensor } from "../runtime/index.js";
import { TrainStep } from "../train/train-step.js";
import { accuracy, argmaxRows } from "./accuracy.js";
import { stratifiedHoldOut, takeLabels, takeRows } from "./label-subsets.js";

/** Frozen features with labels: `features` is `[labels.length, dim]` row-major. */
export interface LabeledFeatures {
  readonly features: Float32Array;
  readonly labels: Int32Array;
}

/**
 * How the L2 penalty λ/2·‖W‖² (on the weights, not the bias) is chosen:
 * - a number: that λ;
 * - "sklearn": λ = 1/N, which makes the objective mean-CE + ‖W‖²/(2N), i.e. scikit-learn's
 *   `LogisticRegression(C=1)` (0.5‖W‖² + C·Σ CE) divided by N — the PyTorch anchor's probe, so
 *   our numbers and its are the same experiment;
 * - "select": each λ of `decayGrid` is trained on a stratified 80% of the labeled examples and
 *   scored on the other 20%; the best (the larger on ties) is retrained on all of them;
 * - "auto" (default): "select" when there are at least `minPerClassToSelect` labels per class
 *   (a 20% slice then holds ≥ 10 per class, enough to rank λ), "sklearn" otherwise.
 */
export type WeightDecayChoice = number | "sklearn" | "select" | "auto";

export interface LinearProbeOptions {
  /**
   * Adam steps (full batch, 10-step warmup, cosine to 0). Logistic regression is convex, so the
   * probe should reach the optimum scikit-learn's L-BFGS finds, and 1,000 steps at lr 0.2 do:
   * on frozen MNIST embeddings (SmallCnn random or SimCLR-trained, raw pixels), 10 labels per
   * class × 5 draws, the objective equals `LogisticRegression(C=1)`'s to 5 digits and every
   * draw's test accuracy is the same. NOTE: the earlier 300 steps at lr 0.05 stopped short of
   * it (objective 0.1077 vs 0.1060 on one draw) and cost 0.1–0.3 points per draw; on all 9,000
   * labels in mini-batches of 1024 it was 0.5–1.2 points low (SimCLR 97.6% vs 98.1%, random
   * encoder 93.3% vs 94.5%). See /work/notes/simclr-recipe.md.
   */
  readonly steps?: number;
  /**
   * Examples per step: a labeled set up to this size is one full batch; a larger one is shuffled
   * once (seeded) into fixed mini-batches of this size, visited in a new order each epoch, so
   * every large set shares one session and a step costs the same whatever N. The default covers
   * the bundled MNIST's 9,000 in one batch: full batches converge (1,000 steps on 9,000 SimCLR embeddings: objective 0.03674 vs L-BFGS's
   * 0.03658) where mini-batch noise keeps Adam away from the optimum (1024: 0.054 at 300 steps).
   * A step on 9,000 × 128 features takes ~2 ms, on 9,000 raw pixels ~11 ms.
   */
  readonly batchSize?: number;
  /** Peak Adam learning rate (10-step warmup, cosine to 0). */
  readonly learningRate?: number;
  readonly weightDecay?: WeightDecayChoice;
  readonly decayGrid?: readonly number[];
  readonly minPerClassToSelect?: number;
  /**
   * Features whose per-dimension mean and standard deviation standardize both train and test
   * features; by default the labeled train features. With few labels, pass the whole unlabeled
   * pool (the anchor fits its StandardScaler on all 9,000 pretraining embeddings).
   */
  readonly standardizeWith?: Float32Array;
  /** Seeds the held-out slice of "select" and the mini-batch order. */
  readonly seed?: number;
  readonly compile?: CompileOptions;
}

export interface LinearProbeResult {
  readonly accuracy: number;
  /** The λ the final probe was trained with. */
  readonly weightDecay: number;
  /** Validation accuracy of each λ tried by "select", in grid order. */
  readonly selection?: readonly { readonly weightDecay: number; readonly accuracy: number }[];
  /** The final training objective (mean cross-entropy + penalty). */
  readonly trainLoss: number;
}

/** The classifier's weights in the standardized feature space. */
export interface LinearClassifier {
  /** `[classes, dim]` */
  readonly weight: Float32Array;
  /** `[classes]` */
  readonly bias: Float32Array;
  readonly classes: number;
  readonly dim: number;
  readonly loss: number;
}

const DEFAULTS = {
  steps: 1000,
  batchSize: 10_000,
  learningRate: 0.2,
  decayGrid: [1e-5, 1e-4, 1e-3, 1e-2],
  minPerClassToSelect: 50,
} as const;

/**
 * Multinomial logistic regression on frozen features, trained with pretext's own engine (one
 * compiled `TrainStep` of a `Linear` head and cross-entropy), scored on the test features.
 * Sessions are cached per (N, dim, classes), so the draws of a label-efficiency curve reuse one.
 */
export async function linearProbe(
  train: LabeledFeatures,
  test: LabeledFeatures,
  dim: number,
  numClasses: number,
  options: LinearProbeOptions = {},
): Promise<LinearProbeResult> {
  const n = train.labels.length;
  checkFeatures("train", train, dim);
  checkFeatures("test", test, dim);
  const scaler = standardizer(options.standardizeWith ?? train.features, dim);
  const x = scaler(train.features);
  const xTest = scaler(test.features);
  const { weightDecay = "auto", decayGrid = DEFAULTS.decayGrid, minPerClassToSelect = DEFAULTS.minPerClassToSelect } = options;

  let lambda: number;
  let selection: { weightDecay: number; accuracy: number }[] | undefined;
  const select = weightDecay === "select" || (weightDecay === "auto" && n / numClasses >= minPerClassToSelect);
  if (typeof weightDecay === "number") lambda = weightDecay;
  else if (!select) lambda = 1 / n;
  else {
    const { fit, held } = stratifiedHoldOut(train.labels, numClasses, 0.2, new Rng(options.seed ?? 0), "one-held");
    const fitSet = { features: takeRows(x, dim, fit), labels: takeLabels(train.labels, fit) };
    const heldX = takeRows(x, dim, held);
    const heldY = takeLabels(train.labels, held);
    // One training serves the whole grid: each λ has its own head (see trainLinearClassifiers).
    const classifiers = await trainLinearClassifiers(fitSet, dim, numClasses, decayGrid, options);
    selection = classifiers.map((clf, g) => ({ weightDecay: decayGrid[g] as number, accuracy: accuracy(predictLinear(clf, heldX), heldY) }));
    let best = selection[0] as { weightDecay: number; accuracy: number };
    for (const s of selection) if (s.accuracy >= best.accuracy) best = s;
    lambda = best.weightDecay;
  }
  const clf = await trainLinearClassifier({ features: x, labels: train.labels }, dim, numClasses, lambda, options);
  return {
    accuracy: accuracy(predictLinear(clf, xTest), test.labels),
    weightDecay: lambda,
    ...(selection === undefined ? {} : { selection }),
    trainLoss: clf.loss,
  };
}

/**
 * Trains logistic regression on (already standardized) features: full-batch Adam from zero
 * weights (the objective is convex, so the start only matters for speed) on
 * mean-CE + λ/2·‖W‖². λ is fed as an input, so one session serves every λ of a grid.
 */
export async function trainLinearClassifier(
  train: LabeledFeatures,
  dim: number,
  numClasses: number,
  weightDecay: number,
  options: Pick<LinearProbeOptions, "steps" | "learningRate" | "batchSize" | "seed" | "compile"> = {},
): Promise<LinearClassifier> {
  return (await trainLinearClassifiers(train, dim, numClasses, [weightDecay], options))[0] as LinearClassifier;
}

/**
 * One classifier per λ of `weightDecays`, trained in one session: a head per λ on the same
 * batches, the loss the sum of the heads' objectives. The heads share no parameter and Adam is
 * elementwise, so each follows the trajectory it would alone (the test checks it), while the
 * features are read once per step for all of them: a grid of 4 costs about one training.
 */
export async function trainLinearClassifiers(
  train: LabeledFeatures,
  dim: number,
  numClasses: number,
  weightDecays: readonly number[],
  options: Pick<LinearProbeOptions, "steps" | "learningRate" | "batchSize" | "seed" | "compile"> = {},
): Promise<LinearClassifier[]> {
  const { steps = DEFAULTS.steps, learningRate = DEFAULTS.learningRate, batchSize = DEFAULTS.batchSize, seed = 0 } = options;
  const heads = weightDecays.length;
  if (heads === 0) throw new Error("trainLinearClassifiers: no weight decay given");
  const n = train.labels.length;
  const batch = Math.min(n, batchSize);
  const step = await probeStep(batch, dim, numClasses, heads, steps, learningRate, options.compile ?? {});
  step.params = new Float32Array(step.layout.size);
  step.optimizerState = step.options.optimizer.init(step.layout);
  step.stepCount = 0;
  // Row g·C + c of the stacked weight is head g's class c, so its λ broadcasts over the row.
  const decayRows = new Float32Array(heads * numClasses);
  weightDecays.forEach((decay, g) => decayRows.fill(decay, g * numClasses, (g + 1) * numClasses));
  const decay = hostTensor("float32", [heads * numClasses, 1], decayRows);
  // A larger set is split once, after a seeded shuffle, into fixed mini-batches visited in a new
  // seeded order each epoch; the remainder of n / batch is left out. Fixed batches are views of
  // one shuffled copy, so no step copies features (re-gathering rows each step took over half of
  // the step on 48,000 × 1,152 features).
  const rng = new Rng(seed);
  const perEpoch = Math.floor(n / batch);
  const order = batch === n ? null : rng.permutation(n);
  const x = order === null ? train.features : new Float32Array(perEpoch * batch * dim);
  const y = new BigInt64Array(perEpoch * batch * heads);
  for (let r = 0; r < perEpoch * batch; r++) {
    const i = order === null ? r : (order[r] as number);
    if (order !== null) x.set(train.features.subarray(i * dim, (i + 1) * dim), r * dim);
    y.fill(BigInt(train.labels[i] as number), r * heads, (r + 1) * heads);
  }
  const batches = Array.from({ length: perEpoch }, (_, b) => ({
    x: hostTensor("float32", [batch, dim], x.subarray(b * batch * dim, (b + 1) * batch * dim)),
    y: hostTensor("int64", [batch * heads], y.subarray(b * batch * heads, (b + 1) * batch * heads)),
    decay,
  }));
  let visit = rng.permutation(perEpoch);
  let loss = Number.NaN;
  // Steps go to the runtime in calls of up to `stepsPerRun`.
  for (let s = 0; s < steps; ) {
    const call = Array.from({ length: Math.min(step.stepsPerRun, steps - s) }, (_, k) => {
      const b = (s + k) % perEpoch;
      if (b === 0 && s + k > 0) visit = rng.permutation(perEpoch);
      return batches[visit[b] as number] as (typeof batches)[number];
    });
    loss = (await step.runSteps(call)).at(-1)?.loss ?? loss;
    s += call.length;
  }
  const values = unpack(step.layout, step.params);
  const weight = values.get("probe.weight") as Float32Array;
  const bias = values.get("probe.bias") as Float32Array;
  const perHead = numClasses * dim;
  return weightDecays.map((_, g) => ({
    weight: weight.slice(g * perHead, (g + 1) * perHead),
    bias: bias.slice(g * numClasses, (g + 1) * numClasses),
    classes: numClasses,
    dim,
    // The last step's objective summed over heads; per head it is not separated.
    loss: heads === 1 ? loss : Number.NaN,
  }));
}

/** argmax of x·Wᵀ + b for each row of `[N, dim]` features. */
export function predictLinear(clf: LinearClassifier, features: Float32Array): Int32Array {
  const { weight, bias, classes, dim } = clf;
  const n = features.length / dim;
  const logits = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    const row = i * dim;
    for (let c = 0; c < classes; c++) {
      let s = bias[c] as number;
      const w = c * dim;
      for (let j = 0; j < dim; j++) s += (features[row + j] as number) * (weight[w + j] as number);
      logits[i * classes + c] = s;
    }
  }
  return argmaxRows(logits, classes);
}

/**
 * A function standardizing `[·, dim]` rows by the per-dimension mean and population standard
 * deviation of `reference` (scikit-learn's StandardScaler).
 * NOTE: a constant dimension (a border pixel that is always 0) has std 0; it is divided by 1
 * instead, as StandardScaler does, so it stays 0 rather than becoming NaN.
 */
export function standardizer(reference: Float32Array, dim: number): (x: Float32Array) => Float32Array {
  const n = reference.length / dim;
  if (!Number.isInteger(n) || n === 0) throw new Error(`standardizer: ${reference.length} values are not rows of ${dim}`);
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (reference[i * dim + j] as number);
  for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const d = (reference[i * dim + j] as number) - (mean[j] as number);
      sq[j] = (sq[j] as number) + d * d;
    }
  }
  const scale = Float64Array.from(sq, (s) => {
    const std = Math.sqrt(s / n);
    return std > 1e-12 ? 1 / std : 1;
  });
  return (x) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const j = i % dim;
      out[i] = ((x[i] as number) - (mean[j] as number)) * (scale[j] as number);
    }
    return out;
  };
}

/** Frees the cached probe sessions. */
export async function releaseLinearProbes(): Promise<void> {
  const steps = [...probeSteps.values()];
  probeSteps.clear();
  await Promise.all(steps.map(async (s) => (await s).release()));
}

type ProbeBatch = "x" | "y" | "decay";
const probeSteps = new Map<string, Promise<TrainStep<ProbeBatch>>>();

function probeStep(n: number, dim: number, classes: number, heads: number, steps: number, lr: number, compile: CompileOptions): Promise<TrainStep<ProbeBatch>> {
  const key = `${n}x${dim}x${classes}x${heads}:${steps}:${lr}`;
  let step = probeSteps.get(key);
  if (step === undefined) {
    const probe = new Linear(dim, heads * classes, new Rng(0));
    const warmup = Math.min(10, Math.floor(steps / 10));
    step = TrainStep.compile<ProbeBatch>({
      modules: { probe },
      batch: { x: { shape: [n, dim] }, y: { shape: [n * heads], dtype: "int64" }, decay: { shape: [heads * classes, 1] } },
      loss: (ctx, { x, y, decay }) => {
        const w: Tensor = ctx.value(probe.weight);
        // [n, heads·C] → [n·heads, C]: row i·heads + g holds head g's logits for example i, and
        // y repeats each label `heads` times. Summed and divided by n, that is Σ_g mean-CE_g.
        const logits = reshape(probe.call(ctx, x), [n * heads, classes]);
        const ce = mul(crossEntropyWithLogits(logits, y, { reduction: "sum" }), 1 / n);
        // d(λ/2·‖W‖²)/dW = λ·W: the coupled L2 of scikit-learn's objective, not AdamW's decay.
        return { loss: add(ce, mul(sum(mul(mul(w, w), decay)), 0.5)) };
      },
      optimizer: adam({ lr: warmupCosine({ baseLr: lr, warmupSteps: warmup, totalSteps: steps }) }),
      compile,
    });
    probeSteps.set(key, step);
    step.catch(() => probeSteps.delete(key));
  }
  return step;
}

function checkFeatures(name: string, data: LabeledFeatures, dim: number): void {
  if (data.features.length !== data.labels.length * dim) {
    throw new Error(`linearProbe: ${name} features hold ${data.features.length} values, not ${data.labels.length} rows of ${dim}`);
  }
}

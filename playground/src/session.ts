import {
  type ArrayDataset,
  type CompileOptions,
  DataLoader,
  type Encoder,
  type Method,
  type NamedTensor,
  Rng,
  type StepEvent,
  type TrainCallback,
  cloneModule,
  effectiveRank,
  embedDataset,
  encodeSafetensors,
  exportOnnx,
  imageDataset,
  knnAccuracy,
  labelSubsets,
  linearProbe,
  methodsFor,
  nn,
  pca2d,
  pretrain,
  rawFeatures,
  recipeDefaults,
  releaseEmbeddings,
  takeLabels,
  takeRows,
} from "../../src/browser.js";
import type { DigitSet } from "./digits-format.js";
import type { EncoderName, PlaygroundSettings } from "./settings.js";

/** Labels per class the probe sees: the few-label setting where pretraining shows. */
export const PROBE_LABELS_PER_CLASS = 10;

/** The methods the playground offers: every registry method that learns from images. */
export function playgroundMethods(): Method[] {
  return methodsFor("image");
}

/** The CLI's encoders by name, initialized as `pretext pretrain` does (`new Rng(seed)`), so `pretext eval` rebuilds them. */
export function makeEncoder(name: EncoderName, seed: number, channels = 1, size = 28): Encoder {
  const rng = new Rng(seed);
  if (name === "small-cnn") return new nn.SmallCnn(rng, { inChannels: channels });
  // NOTE: the CLI's `mlp` sizes (src/cli/encoder.ts), so the exported weights load there.
  return new nn.MlpEncoder(rng, { inputShape: [channels, size, size], hidden: [256, 256], outputDim: 128, norm: "batch" });
}

export function digitDataset(set: DigitSet, numClasses = 10, shape: readonly [number, number, number] = [1, 28, 28]): ArrayDataset {
  return imageDataset(set.images, shape, { labels: set.labels, numClasses });
}

/** Few-label linear probe and kNN on frozen features. */
export interface ProbeScores {
  /** Linear probe accuracy with `PROBE_LABELS_PER_CLASS` labels per class. */
  readonly linear: number;
  /** kNN (k = 20) accuracy with every pool label. */
  readonly knn: number;
}

export interface EvaluationPoint {
  readonly step: number;
  /** Null for data without labels (pasted text). */
  readonly trained: ProbeScores | null;
  /** `[test digits, 2]` PCA coordinates of the test embeddings. */
  readonly map: Float32Array;
  readonly effectiveRank: number;
}

export interface SessionHooks {
  onStep?(event: StepEvent): void | Promise<void>;
  onBaselines?(untrained: ProbeScores, rawPixels: ProbeScores): void;
  /** An evaluation point, with the test embeddings it was scored on (`[test, dim]`, for the UMAP map). */
  onEvaluation?(point: EvaluationPoint, testEmbeddings: Float32Array): void;
  /** Between steps; training waits while it returns a pending promise (pause). */
  waitWhilePaused?(): Promise<void>;
}

/** A session's running record: the losses so far, the evaluation points, the steps done. */
export interface SessionProgress {
  readonly losses: number[];
  readonly evaluations: EvaluationPoint[];
  lastStep: number;
}

/**
 * The step callback both sessions train with: records the loss, completes the open evaluation
 * point with the effective rank pretrain computed from its sample (the point is pushed, rank
 * NaN, when pretrain asks for the embeddings; the rank arrives with the step's metrics), hands
 * it to the page with the embeddings it was made from, and waits while the page is paused.
 */
export function progressCallback(progress: SessionProgress, embeddings: () => Float32Array, hooks: Pick<SessionHooks, "onStep" | "onEvaluation" | "waitWhilePaused">): TrainCallback {
  return {
    onStep: async (e) => {
      progress.losses.push(e.loss);
      progress.lastStep = e.step + 1;
      const { evaluations } = progress;
      const open = evaluations[evaluations.length - 1];
      const rank = e.metrics.effective_rank;
      if (open !== undefined && Number.isNaN(open.effectiveRank) && rank !== undefined) {
        const done = { ...open, step: e.step + 1, effectiveRank: rank };
        evaluations[evaluations.length - 1] = done;
        hooks.onEvaluation?.(done, embeddings());
      }
      await hooks.onStep?.(e);
      await hooks.waitWhilePaused?.();
    },
  };
}

export interface SessionResult {
  readonly losses: number[];
  readonly untrained: ProbeScores;
  readonly rawPixels: ProbeScores;
  readonly evaluations: EvaluationPoint[];
  readonly steps: number;
  readonly seconds: number;
  readonly encoder: Encoder;
  /** Test embeddings of the trained encoder, `[test, dim]`. */
  readonly testEmbeddings: Float32Array;
}

/** Probe scores of features; `classes` is the data's own count (a dropped folder of 3 classes has no digits 3 to 9 to draw labels of). */
async function probe(pool: Float32Array, poolLabels: Int32Array, test: Float32Array, testLabels: Int32Array, dim: number, classes: number, seed: number, compile: CompileOptions): Promise<ProbeScores> {
  const [draw] = labelSubsets(poolLabels, PROBE_LABELS_PER_CLASS, 1, seed, classes);
  if (draw === undefined) throw new Error("no label draw");
  const testSet = { features: test, labels: testLabels };
  const linear = await linearProbe({ features: takeRows(pool, dim, draw), labels: takeLabels(poolLabels, draw) }, testSet, dim, classes, { standardizeWith: pool, compile });
  const knn = await knnAccuracy({ features: pool, labels: poolLabels }, testSet, dim, classes, { compile });
  return { linear: linear.accuracy, knn };
}

/** Embeds a data set with an encoder's current weights (eval mode). */
export async function embed(encoder: Encoder, dataset: ArrayDataset, compile: CompileOptions): Promise<Float32Array> {
  return (await embedDataset(encoder, dataset, { compile })).data;
}

/**
 * One playground run: pretrains a fresh encoder with the chosen method on the pool's images
 * (labels unused), scoring it at `evalPoints` evenly spaced steps against the untrained encoder
 * (the same initialization) and raw pixels. The evaluation rides on `pretrain`'s effective-rank
 * hook, which hands over the encoder with the weights of that very step. The same function runs
 * in the page's worker and, for the browser test's reference, in Node.
 */
export async function runSession(settings: PlaygroundSettings, pool: ArrayDataset, test: ArrayDataset, compile: CompileOptions, hooks: SessionHooks = {}, signal?: AbortSignal): Promise<SessionResult> {
  const method = playgroundMethods().find((m) => m.name === settings.method);
  if (method === undefined) throw new Error(`method "${settings.method}" is not one of ${playgroundMethods().map((m) => m.name).join(", ")}`);
  if (settings.batchSize > pool.length) {
    throw new Error(`batch size ${settings.batchSize} is more than the ${pool.length} images to pretrain on: lower it to ${Math.max(4, 2 ** Math.floor(Math.log2(pool.length)))} or less`);
  }
  const [channels, size] = [pool.spec.fields.image?.shape[0] ?? 1, pool.spec.fields.image?.shape[1] ?? 28];
  const encoder = makeEncoder(settings.encoder, settings.seed, channels, size);
  const untrainedEncoder = cloneModule(encoder);
  const dim = encoder.outputDim;
  const poolLabels = pool.labels ?? new Int32Array(pool.length);
  const testLabels = test.labels ?? new Int32Array(test.length);
  const classes = pool.numClasses ?? 10;

  const raw = rawFeatures(pool);
  const rawPixels = await probe(raw.data, poolLabels, rawFeatures(test).data, testLabels, raw.dim, classes, settings.seed, compile);
  const untrained = await probe(await embed(untrainedEncoder, pool, compile), poolLabels, await embed(untrainedEncoder, test, compile), testLabels, dim, classes, settings.seed, compile);
  await releaseEmbeddings(untrainedEncoder);
  hooks.onBaselines?.(untrained, rawPixels);

  const evaluations: EvaluationPoint[] = [];
  const losses: number[] = [];
  const progress: SessionProgress = { losses, evaluations, lastStep: 0 };
  let testEmbeddings: Float32Array = new Float32Array(0);
  const evaluate = async (current: Encoder): Promise<Omit<EvaluationPoint, "effectiveRank">> => {
    const poolEmbeddings = await embed(current, pool, compile);
    testEmbeddings = await embed(current, test, compile);
    const trained = await probe(poolEmbeddings, poolLabels, testEmbeddings, testLabels, dim, classes, settings.seed, compile);
    return { step: progress.lastStep, trained, map: pca2d(rowsOf(testEmbeddings, dim), new Rng(settings.seed)) };
  };
  const started = performance.now();
  const methodOptions = { ...recipeDefaults(method, "image"), ...settings.methodOptions };
  const result = await pretrain({
    method,
    methodOptions,
    encoder,
    dataset: pool,
    batchSize: settings.batchSize,
    epochs: Number.POSITIVE_INFINITY,
    seed: settings.seed,
    maxSteps: settings.steps,
    ...(settings.budgetSeconds > 0 ? { timeBudgetSeconds: settings.budgetSeconds } : {}),
    compile,
    ...(signal === undefined ? {} : { signal }),
    effectiveRank: {
      points: settings.evalPoints,
      embed: async (current) => {
        const point = await evaluate(current);
        // The rank is filled in below, once pretrain has computed it from this sample.
        evaluations.push({ ...point, effectiveRank: Number.NaN });
        return { data: testEmbeddings, length: test.length, dim };
      },
    },
    callbacks: [progressCallback(progress, () => testEmbeddings, hooks)],
  });
  await result.step.release();
  if (evaluations.at(-1)?.step !== losses.length) {
    // Stopped early: the planned last evaluation never came, so score the weights it stopped with.
    const point = await evaluate(encoder);
    const done = { ...point, step: losses.length, effectiveRank: effectiveRank(testEmbeddings, test.length, dim) };
    evaluations.push(done);
    hooks.onEvaluation?.(done, testEmbeddings);
  }
  await releaseEmbeddings(encoder);
  return { losses, untrained, rawPixels, evaluations, steps: losses.length, seconds: (performance.now() - started) / 1000, encoder, testEmbeddings };
}

function rowsOf(x: Float32Array, dim: number): Float64Array[] {
  return Array.from({ length: x.length / dim }, (_, i) => Float64Array.from(x.subarray(i * dim, (i + 1) * dim)));
}

/**
 * The views a method's step sees for `count` evenly spaced images of `dataset`: the images
 * themselves first ("original"), then each float step input of rank 4 (`[count·k, C', H', W']`).
 */
export function methodViewImages(methodName: string, settings: PlaygroundSettings, dataset: ArrayDataset, count: number): { name: string; shape: readonly number[]; data: Float32Array }[] {
  const method = playgroundMethods().find((m) => m.name === methodName);
  if (method === undefined) return [];
  const options = { ...recipeDefaults(method, "image"), ...settings.methodOptions };
  // Evenly spaced through the set, so a class-ordered set shows several classes.
  const n = Math.min(count, dataset.length);
  const sample = dataset.subset(Int32Array.from({ length: n }, (_, i) => Math.floor((i * dataset.length) / n)));
  const [channels, size] = [dataset.spec.fields.image?.shape[0] ?? 1, dataset.spec.fields.image?.shape[1] ?? 28];
  const plan = method.plan({ encoder: makeEncoder(settings.encoder, settings.seed, channels, size), spec: sample.spec, batchSize: sample.length, totalSteps: 1, rng: new Rng(settings.seed).split() }, options);
  const batch = new DataLoader(sample, { batchSize: sample.length, shuffle: false, dropLast: false }).batch(0, 0);
  const views = plan.views(batch, new Rng(settings.seed));
  const images = batch.fields.image;
  const originals = images !== undefined && images.data instanceof Float32Array ? [{ name: "original", shape: images.shape, data: images.data }] : [];
  const made = Object.entries(views)
    .filter(([, t]) => t.dtype === "float32" && t.shape.length === 4)
    .map(([name, t]) => ({ name, shape: t.shape, data: t.data as Float32Array }));
  return [...originals, ...made];
}

/** What the downloads hold: the encoder as ONNX, its weights as the CLI writes them, and a run config for `pretext eval`. */
export function exportFiles(encoder: Encoder, settings: PlaygroundSettings, imageShape: readonly [number, number, number] = [1, 28, 28]): { onnx: Uint8Array; weights: Uint8Array; config: string } {
  const onnx = exportOnnx(encoder, { inputShape: [1, ...imageShape], description: `pretext playground: ${settings.method} on ${settings.encoder}` });
  const tensors = new Map<string, NamedTensor>();
  for (const [k, p] of [...nn.namedParameters(encoder), ...nn.namedState(encoder)]) tensors.set(k, { shape: [...p.shape], data: p.value });
  const sampleSpec = { modality: "image", input: "image", fields: { image: { shape: [...imageShape], dtype: "float32" } } };
  const weights = encodeSafetensors(tensors, { format: "pretext-encoder", encoder: settings.encoder, sampleSpec: JSON.stringify(sampleSpec) });
  const config = JSON.stringify(
    { pretrain: { method: settings.method, encoder: settings.encoder, data: "mnist", seed: settings.seed, batchSize: settings.batchSize }, method: settings.methodOptions },
    null,
    2,
  );
  return { onnx, weights, config };
}

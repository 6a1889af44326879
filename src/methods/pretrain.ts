import type { Dataset } from "../data/dataset.js";
import { DataLoader } from "../data/loader.js";
import { Rng } from "../random/rng.js";
import type { CompileOptions } from "../runtime/index.js";
import { type CheckpointOptions, type FitResult, type TrainCallback, fit } from "../train/fit.js";
import { TrainStep } from "../train/train-step.js";
import type { Encoder, Method, MethodPlan } from "./method.js";

export interface PretrainOptions<O extends object> {
  readonly method: Method<O>;
  /** Overrides of the method's defaults. */
  readonly methodOptions?: Partial<O>;
  readonly encoder: Encoder;
  /** Unlabeled training data (labels, if any, are ignored). */
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed?: number;
  readonly timeBudgetSeconds?: number;
  readonly maxSteps?: number;
  readonly checkpoint?: CheckpointOptions;
  readonly resume?: boolean;
  readonly callbacks?: readonly TrainCallback[];
  readonly signal?: AbortSignal;
  readonly compile?: CompileOptions;
}

export interface PretrainResult {
  readonly fit: FitResult;
  readonly plan: MethodPlan;
  /** The compiled step, holding the trained parameters and state. */
  readonly step: TrainStep<string>;
}

/**
 * Pretrains `encoder` with a method on unlabeled data: plans the method, compiles its step into
 * one graph, runs the loop (views are made on the host while the previous step runs), and copies
 * the trained weights back into the encoder's parameters.
 */
export async function pretrain<O extends object>(options: PretrainOptions<O>): Promise<PretrainResult> {
  const { method, encoder, dataset, batchSize, epochs, seed = 0 } = options;
  const [c, h, w] = dataset.sampleShape;
  const batchesPerEpoch = Math.floor(dataset.length / batchSize);
  const plan = method.plan(
    { encoder, sampleShape: [c, h, w], batchSize, totalSteps: Math.max(1, batchesPerEpoch * epochs), rng: new Rng(seed).split() },
    { ...method.defaults, ...options.methodOptions },
  );
  if (plan.modules.encoder !== encoder) throw new Error(`method ${method.name} must train the given encoder as modules.encoder`);
  const step = await TrainStep.compile({ ...plan, seed, ...(options.compile ? { compile: options.compile } : {}) });
  const loader = new DataLoader(dataset, { batchSize, seed, transform: plan.views });
  const result = await fit({
    step,
    loader,
    feeds: (views) => views,
    epochs,
    ...(options.timeBudgetSeconds === undefined ? {} : { timeBudgetSeconds: options.timeBudgetSeconds }),
    ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
    ...(options.resume === undefined ? {} : { resume: options.resume }),
    ...(options.callbacks ? { callbacks: options.callbacks } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  step.syncToModules();
  return { fit: result, plan, step };
}

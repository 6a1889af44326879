import type { Dataset } from "../data/dataset.js";
import type { Batch } from "../data/loader.js";
import type { Modality, SampleSpec } from "../data/sample.js";
import type { Tokenizer } from "../data/text/tokenizer/tokenizer.js";
import type { Tensor } from "../graph/index.js";
import type { AbstractModule, ForwardContext } from "../nn/module.js";
import type { LearningRate, Optimizer } from "../optim/optimizer.js";
import type { Rng } from "../random/rng.js";
import type { HostTensor } from "../runtime/index.js";
import type { BatchSpec, ExtraStateSpec, LossOutput, TargetNetwork } from "../train/train-step.js";

/** An encoder a method can pretrain: a sample's input field batched (`[N, C, H, W]` images, `[N, T]` token ids, …) → `[N, outputDim]`. */
export interface Encoder extends AbstractModule {
  readonly outputDim: number;
  call(ctx: ForwardContext, x: Tensor): Tensor;
}

/** What a method is told about the run it plans. */
export interface MethodSetup {
  readonly encoder: Encoder;
  /** What one sample is (`imageShape(spec, …)` gives an image's `[C, H, W]`). */
  readonly spec: SampleSpec;
  /** For text: the tokenizer that made the ids (special ids, word boundaries for whole-word masking). */
  readonly tokenizer?: Tokenizer;
  readonly batchSize: number;
  /**
   * Optimizer steps planned, for schedules (warmup + cosine, BYOL's target momentum). Only host
   * schedules may depend on it: once `fit` has planned the run, `pretrain` plans the method again
   * for the plan's schedule horizon and reads that plan's learning-rate and momentum schedules at
   * `scheduleStep(plan, step)`, a possibly fractional step that moves as a time budget's plan is
   * remade (so a schedule given in code must be defined between steps).
   */
  readonly totalSteps: number;
  /** Seeds the heads' initialization. */
  readonly rng: Rng;
}

/**
 * Everything one run of a method needs: its modules (the encoder and the heads it adds), any EMA
 * targets and extra state, the step's inputs, how the host makes them from a batch (views,
 * masks, pseudo-labels), the loss graph and the optimizer. `src/methods/pretrain.ts` compiles it.
 */
export interface MethodPlan<B extends string = string> {
  /** Trained modules by name; must include the setup's encoder as `encoder`. */
  readonly modules: Readonly<Record<string, AbstractModule>>;
  readonly targets?: Readonly<Record<string, TargetNetwork>>;
  readonly extraState?: Readonly<Record<string, ExtraStateSpec>>;
  /** The step inputs, with static shapes. */
  readonly batch: Readonly<Record<B, BatchSpec>>;
  /** Host side: the step inputs made from a batch with a seeded generator (reproducible, resumable). */
  readonly views: (batch: Batch, rng: Rng) => Readonly<Record<B, HostTensor>>;
  /** Traced: the loss, with the collapse diagnostics among the metrics. */
  readonly loss: (ctx: ForwardContext, batch: Readonly<Record<B, Tensor>>, extra: Readonly<Record<string, Tensor>>) => LossOutput;
  readonly optimizer: Optimizer;
  /** The optimizer's learning rate or its schedule, for the logs (Adam feeds only its bias-corrected step size). */
  readonly learningRate?: LearningRate;
}

export type MethodFamily = "auto-associative" | "contrastive" | "non-contrastive" | "pretext-task" | "sequence";

/**
 * A self-supervised method as data: its name, family, one-line description, paper, default
 * hyper-parameters (from the paper, scaled for small images where it says so) and a planner.
 */
export interface Method<O extends object = object> {
  readonly name: string;
  readonly family: MethodFamily;
  readonly description: string;
  readonly paper: string;
  /** The data it learns from; `pretrain` refuses any other modality with a one-line error. */
  readonly modalities: readonly Modality[];
  /** For text: the tokens a sample holds for a model of `context` tokens (by default `context`; a causal LM's window is context + 1: its inputs and, shifted, its targets). */
  readonly tokensPerSample?: (context: number) => number;
  readonly defaults: O;
  /**
   * What the method trains on, derived once from the data set before training (BYOL-A's mined
   * positive partners); by default the data set itself. Deterministic, so a resumed run derives the
   * same; the result's spec may add fields the method's `views` read.
   */
  prepare?(dataset: Dataset, options: O): Dataset;
  plan(setup: MethodSetup, options: O): MethodPlan;
}

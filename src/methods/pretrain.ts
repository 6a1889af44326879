import type { Dataset } from "../data/dataset.js";
import { DataLoader } from "../data/loader.js";
import { describeSpec } from "../data/sample.js";
import type { Tokenizer } from "../data/text/tokenizer/tokenizer.js";
import { type LearningRate, type Optimizer, learningRateAt } from "../optim/optimizer.js";
import { Rng } from "../random/rng.js";
import type { CompileOptions } from "../runtime/index.js";
import { type CheckpointOptions, type FitResult, type StepEvent, type StepPlan, type TrainCallback, fit, scheduleStep, scheduleSteps } from "../train/fit.js";
import { type TargetNetwork, TrainStep } from "../train/train-step.js";
import { effectiveRank } from "./collapse.js";
import { recipeDefaults } from "./recipes.js";
import { Validation, type ValidationOptions } from "./validation.js";
import type { Encoder, Method, MethodPlan, MethodSetup } from "./method.js";

/** `[n, d]` row-major embeddings, as `src/eval`'s `embedDataset` returns them. */
export interface EmbeddingSample {
  readonly data: Float32Array;
  readonly length: number;
  readonly dim: number;
}

/**
 * The effective rank of the encoder's embeddings during training, logged as the step metric
 * `effective_rank` (the run report's collapse chart draws it). The step itself returns only
 * scalars, so at `points` evenly spaced steps of the planned run (its first and last among them)
 * the current weights are copied into the encoder and `embed` runs it (in eval mode) on a fixed
 * sample of images; the rank is taken on the host. Each point costs one such forward pass and
 * an eigen-decomposition of the D×D covariance, both outside the compiled step.
 */
export interface EffectiveRankOptions {
  readonly points: number;
  /** Embeds a fixed set of images with the encoder's current weights (e.g. `embedDataset` on a subset). */
  readonly embed: (encoder: Encoder) => Promise<EmbeddingSample>;
}

export interface PretrainOptions<O extends object> {
  readonly method: Method<O>;
  /** Overrides of the method's options as pretext runs them (`recipeDefaults`: its paper settings with its recipe's). */
  readonly methodOptions?: Partial<O>;
  readonly encoder: Encoder;
  /** Unlabeled training data (labels, if any, are ignored). */
  readonly dataset: Dataset;
  readonly batchSize: number;
  /** Passes over the data; `Infinity` trains until `timeBudgetSeconds` or `maxSteps` (one is required). */
  readonly epochs: number;
  readonly seed?: number;
  /** Ends training after this much wall time; the schedules are planned to fit in it (see `StepPlan`). */
  readonly timeBudgetSeconds?: number;
  /** The clock the budget is timed on, in milliseconds (fit's `now`; tests simulate a machine whose speed changes). */
  readonly now?: () => number;
  readonly maxSteps?: number;
  readonly checkpoint?: CheckpointOptions;
  readonly resume?: boolean;
  readonly callbacks?: readonly TrainCallback[];
  readonly signal?: AbortSignal;
  readonly compile?: CompileOptions;
  readonly effectiveRank?: EffectiveRankOptions;
  /** For text: the tokenizer that made the dataset's ids (see `MethodSetup.tokenizer`). */
  readonly tokenizer?: Tokenizer;
  /** The method's loss on held-out data during training (see `ValidationOptions`). */
  readonly validation?: ValidationOptions;
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
 *
 * The method is planned for the epochs' steps first (a provisional plan: with `epochs: Infinity`,
 * for `maxSteps` or one epoch). Once `fit` has planned the run (from a time budget, it measures
 * the step time first), the method is planned again for the plan's schedule horizon
 * (`scheduleSteps`) and the step follows the host schedules of that plan: its learning-rate
 * schedule and its targets' momenta, read at `scheduleStep(plan, step)` of the plan in force, so
 * they stay continuous when a time budget's plan is remade and end where the run ends. Adam's
 * bias correction still counts real steps (`Optimizer.scalars`). Nothing else of the second
 * method plan is used, so a method's graph must not depend on `totalSteps` (checked: the scalars
 * and targets must be the same).
 *
 * Step events carry `lr` (when the optimizer does not feed one itself and the plan names its rate)
 * and each target's momentum as `target.<name>.momentum` among their scalars.
 */
export async function pretrain<O extends object>(options: PretrainOptions<O>): Promise<PretrainResult> {
  const { method, encoder, batchSize, epochs, seed = 0 } = options;
  if (!method.modalities.includes(options.dataset.spec.modality)) {
    throw new Error(`method ${method.name} learns from ${method.modalities.join(" or ")} data; the dataset is ${describeSpec(options.dataset.spec)}`);
  }
  // Checked before compiling (fit checks it too, but only after the step is compiled).
  if (epochs === Number.POSITIVE_INFINITY && options.timeBudgetSeconds === undefined && options.maxSteps === undefined) {
    throw new Error("pretrain: epochs: Infinity needs timeBudgetSeconds or maxSteps to end");
  }
  const methodOptions = { ...recipeDefaults(method, options.dataset.spec.modality), ...options.methodOptions };
  const dataset = method.prepare === undefined ? options.dataset : method.prepare(options.dataset, methodOptions);
  const { spec } = dataset;
  const planFor = (totalSteps: number): MethodPlan =>
    method.plan({ encoder, spec, batchSize, totalSteps, rng: new Rng(seed).split(), ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}) } satisfies MethodSetup, methodOptions);
  const batchesPerEpoch = Math.floor(dataset.length / batchSize);
  // Provisional, and finite for the schedules: `onPlan` replaces it before the first step.
  const provisional = Math.max(1, Number.isFinite(epochs) ? batchesPerEpoch * epochs : (options.maxSteps ?? batchesPerEpoch));
  const plan = planFor(provisional);
  if (plan.modules.encoder !== encoder) throw new Error(`method ${method.name} must train the given encoder as modules.encoder`);
  const schedules = new PlannedSchedules(method.name, plan, provisional, planFor);
  const step = await TrainStep.compile({
    ...plan,
    optimizer: schedules.optimizer,
    ...(plan.targets ? { targets: schedules.targets } : {}),
    seed,
    ...(options.compile ? { compile: options.compile } : {}),
  });
  const loader = new DataLoader(dataset, { batchSize, seed, transform: plan.views });

  const rank = options.effectiveRank;
  const validation = options.validation === undefined ? null : await Validation.compile(plan, options.validation, batchSize, seed);
  let planned = 0;
  let rankEvery = 1;
  let validateEvery = 1;
  const every = (points: number) => Math.max(1, Math.ceil((planned - 1) / Math.max(1, points - 1)));
  const planning: TrainCallback = {
    onPlan: ({ plan: steps }) => {
      schedules.follow(steps);
      planned = steps.totalSteps;
      if (rank !== undefined) rankEvery = every(rank.points);
      if (validation !== null) validateEvery = every(validation.options.points);
    },
  };
  const ranksAt = (s: number) => rank !== undefined && (s % rankEvery === 0 || s === planned - 1);
  const validatesAt = (s: number) => validation !== null && (s % validateEvery === 0 || s === planned - 1);
  // NOTE: a run that fails (a non-finite loss, a full disk, a checkpoint of another model) still
  // releases the step and the validation: their worker threads would keep the process alive.
  const release = async () => {
    await validation?.release();
    await step.release();
  };
  const result = await fit({
    step,
    loader,
    feeds: (views) => views,
    epochs,
    ...(options.timeBudgetSeconds === undefined ? {} : { timeBudgetSeconds: options.timeBudgetSeconds }),
    ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
    ...(options.resume === undefined ? {} : { resume: options.resume }),
    callbacks: [
      planning,
      enriched(options.callbacks ?? [], async (e) => {
        const scalars = schedules.scalarsAt(e.step, e.scalars);
        const metrics: Record<string, number> = { ...e.metrics };
        if (ranksAt(e.step) || validatesAt(e.step)) step.syncToModules();
        if (rank !== undefined && ranksAt(e.step)) {
          const sample = await rank.embed(encoder);
          metrics.effective_rank = effectiveRank(sample.data, sample.length, sample.dim);
        }
        if (validation !== null && validatesAt(e.step)) {
          const v = await validation.run(e.step);
          metrics.val_loss = v.loss;
          for (const [k, x] of Object.entries(v.metrics)) metrics[`val_${k}`] = x;
        }
        return { ...e, scalars, metrics };
      }),
    ],
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.now ? { now: options.now } : {}),
    // The effective rank and the validation read the parameters of the very step they are measured at.
    ...(rank === undefined && validation === null ? {} : { readsParametersAt: (s: number) => ranksAt(s) || validatesAt(s) }),
  }).catch(async (e: unknown) => {
    await release();
    throw e;
  });
  await validation?.release();
  step.syncToModules();
  return { fit: result, plan, step };
}

/**
 * The host schedules a compiled step follows, swappable after compilation: the step is compiled
 * with these forwarding objects, and `follow` points them at a step plan: the method planned once
 * per schedule horizon, its schedules read at `scheduleStep(plan, step)`. Before the first plan
 * (a time budget's calibration steps, which are undone) they are the compiled plan's, read at the step.
 */
class PlannedSchedules {
  readonly optimizer: Optimizer;
  readonly targets: Readonly<Record<string, TargetNetwork>>;
  #current: MethodPlan;
  /** The horizon `#current` was planned for. */
  #horizon: number;
  #stepPlan: StepPlan | null = null;

  constructor(
    readonly methodName: string,
    compiled: MethodPlan,
    horizon: number,
    readonly planFor: (totalSteps: number) => MethodPlan,
  ) {
    this.#current = compiled;
    this.#horizon = horizon;
    this.optimizer = {
      init: (layout) => compiled.optimizer.init(layout),
      update: (args) => compiled.optimizer.update(args),
      // Only the schedules move with the horizon: the optimizer counts real steps.
      scalars: (step) => this.#current.optimizer.scalars(step, this.scheduleStep(step)),
    };
    this.targets = Object.fromEntries(
      Object.entries(compiled.targets ?? {}).map(([name, t]) => [name, { ...t, momentum: (step: number) => this.momentumAt(name, step) }]),
    );
  }

  /**
   * Follows `plan`. A re-planned budget run keeps its schedule horizon (`scheduleSteps`), so the
   * method is planned again only when that changes: on the first plan, or a resumed run's.
   */
  follow(plan: StepPlan): void {
    const horizon = scheduleSteps(plan);
    if (horizon !== this.#horizon) {
      const next = this.planFor(horizon);
      const names = (p: MethodPlan) => JSON.stringify([Object.keys(p.optimizer.scalars(0)).sort(), Object.keys(p.targets ?? {}).sort()]);
      if (names(next) !== names(this.#current)) {
        throw new Error(`method ${this.methodName}: its optimizer scalars or targets depend on totalSteps (${names(this.#current)} vs ${names(next)}); only schedules may`);
      }
      this.#current = next;
      this.#horizon = horizon;
    }
    this.#stepPlan = plan;
  }

  /** Where the schedules are read at the training step `step`. */
  scheduleStep(step: number): number {
    return this.#stepPlan === null ? step : scheduleStep(this.#stepPlan, step);
  }

  momentumAt(name: string, step: number): number {
    const target = this.#current.targets?.[name];
    if (target === undefined) throw new Error(`method ${this.methodName}: no target "${name}"`);
    return learningRateAt(target.momentum, this.scheduleStep(step));
  }

  /** A step event's scalars with the learning rate and target momenta of the schedules followed. */
  scalarsAt(step: number, fed: Readonly<Record<string, number>>): Record<string, number> {
    const out: Record<string, number> = { ...fed };
    const lr: LearningRate | undefined = this.#current.learningRate;
    if (out.lr === undefined && lr !== undefined) out.lr = learningRateAt(lr, this.scheduleStep(step));
    for (const name of Object.keys(this.#current.targets ?? {})) out[`target.${name}.momentum`] = this.momentumAt(name, step);
    return out;
  }
}

/** Forwards every event to `callbacks`, step events first passed through `enrich`. */
function enriched(callbacks: readonly TrainCallback[], enrich: (e: StepEvent) => Promise<StepEvent>): TrainCallback {
  return {
    onPlan: async (e) => {
      for (const c of callbacks) await c.onPlan?.(e);
    },
    onStep: async (e) => {
      const event = await enrich(e);
      for (const c of callbacks) await c.onStep?.(event);
    },
    onEpochEnd: async (e) => {
      for (const c of callbacks) await c.onEpochEnd?.(e);
    },
    onCheckpoint: async (e) => {
      for (const c of callbacks) await c.onCheckpoint?.(e);
    },
    onResume: async (e) => {
      for (const c of callbacks) await c.onResume?.(e);
    },
    onSkippedStep: async (e) => {
      for (const c of callbacks) await c.onSkippedStep?.(e);
    },
    onEnd: async (r) => {
      for (const c of callbacks) await c.onEnd?.(r);
    },
  };
}

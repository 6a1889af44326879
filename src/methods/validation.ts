import type { Dataset } from "../data/dataset.js";
import { DataLoader } from "../data/loader.js";
import { deriveRng } from "../data/seeding.js";
import type { AbstractModule } from "../nn/module.js";
import type { HostTensor } from "../runtime/index.js";
import { EvalStep } from "../train/eval-step.js";
import type { MethodPlan } from "./method.js";

/** A validation of the method's loss on held-out data, as callbacks hear it. */
export interface ValidationEvent {
  readonly step: number;
  /** The mean over the validation batches of the method's loss, in eval mode. */
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** The plan's modules, holding the weights of this very step (to save the best ones). */
  readonly modules: Readonly<Record<string, AbstractModule>>;
}

/**
 * The method's own loss on held-out samples during training, at `points` evenly spaced steps of
 * the planned run (its first and last among them), in eval mode (no dropout), on the same
 * batches every time: their views (masks, crops) are drawn once from fixed generators, so the
 * curve moves only with the weights. Logged as the step metric `val_loss` (and `val_<metric>`).
 * A language model's validation loss is its held-out nats per token.
 */
export interface ValidationOptions {
  readonly dataset: Dataset;
  readonly points: number;
  /** At most this many batches of the training batch size each time (the first ones; default 16). */
  readonly batches?: number;
  readonly onValidation?: (event: ValidationEvent) => void | Promise<void>;
}

/** Stream id of the validation batches' views, apart from the training loader's. */
const VALIDATION_STREAM = 3;

/** A compiled validation: the fixed batches and the eval-mode loss program. */
export class Validation {
  private constructor(
    private readonly step: EvalStep<string>,
    private readonly batches: readonly Readonly<Record<string, HostTensor>>[],
    readonly options: ValidationOptions,
    private readonly modules: Readonly<Record<string, AbstractModule>>,
  ) {}

  static async compile(plan: MethodPlan, options: ValidationOptions, batchSize: number, seed: number): Promise<Validation> {
    if (plan.targets !== undefined || plan.extraState !== undefined) throw new Error("validation: methods with target networks or extra state are not validated (their loss reads state the step carries)");
    if (!Number.isInteger(options.points) || options.points < 1) throw new Error(`validation: points must be a positive integer, got ${options.points}`);
    const loader = new DataLoader(options.dataset, { batchSize, shuffle: false, seed });
    const count = Math.min(loader.batchesPerEpoch, options.batches ?? 16);
    const batches = Array.from({ length: count }, (_, i) => plan.views(loader.batch(0, i), deriveRng(seed, VALIDATION_STREAM, i)));
    const step = await EvalStep.compile({ modules: plan.modules, batch: plan.batch, loss: plan.loss });
    return new Validation(step, batches, options, plan.modules);
  }

  /** Runs every batch with the modules' current values and tells `onValidation`. */
  async run(step: number): Promise<{ loss: number; metrics: Record<string, number> }> {
    let loss = 0;
    const sums: Record<string, number> = {};
    for (const batch of this.batches) {
      const r = await this.step.run(batch);
      loss += r.loss;
      for (const [k, v] of Object.entries(r.metrics)) sums[k] = (sums[k] ?? 0) + v;
    }
    const n = this.batches.length;
    const metrics = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n]));
    await this.options.onValidation?.({ step, loss: loss / n, metrics, modules: this.modules });
    return { loss: loss / n, metrics };
  }

  release(): Promise<void> {
    return this.step.release();
  }
}

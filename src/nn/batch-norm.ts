import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { batchNorm } from "../ops/normalization.js";
import { ones, zeros } from "./init.js";
import { AbstractModule, type ForwardContext, Parameter, StateBuffer } from "./module.js";

export interface BatchNormOptions {
  /** Weight of the new batch statistic in the running average (PyTorch's convention: 0.1). */
  readonly momentum?: number;
  /** NOTE: added to the variance before the square root so a constant channel does not divide by 0. */
  readonly eps?: number;
  /** Learn a per-channel scale and shift (default true). */
  readonly affine?: boolean;
}

/**
 * Batch normalization (Ioffe & Szegedy 2015) over every axis but the channel axis 1. In training
 * it normalizes with the batch's mean and biased variance and records the new running statistics
 * through `ctx.updateState` (running variance updated with the unbiased batch variance, as
 * PyTorch); in eval it normalizes with the running statistics. Scale 1, shift 0, running mean 0,
 * running variance 1 at init, as PyTorch.
 */
export abstract class AbstractBatchNorm extends AbstractModule {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: StateBuffer;
  readonly runningVar: StateBuffer;
  readonly momentum: number;
  readonly eps: number;

  constructor(
    readonly numFeatures: number,
    { momentum = 0.1, eps = 1e-5, affine = true }: BatchNormOptions,
  ) {
    super();
    const shape = [numFeatures];
    this.weight = affine ? new Parameter(shape, ones(shape)) : null;
    this.bias = affine ? new Parameter(shape, zeros(shape)) : null;
    this.runningMean = new StateBuffer(shape, zeros(shape));
    this.runningVar = new StateBuffer(shape, ones(shape));
    this.momentum = momentum;
    this.eps = eps;
  }

  /** Input ranks this layer accepts, and how to describe them in an error. */
  protected abstract readonly ranks: readonly number[];
  protected abstract readonly layout: string;

  call(ctx: ForwardContext, x: Tensor): Tensor {
    const name = this.constructor.name;
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(name, `expects ${this.layout.replaceAll("C", String(this.numFeatures))}, got ${formatShape(x.shape)}`);
    }
    const gamma = this.weight === null ? null : ctx.value(this.weight);
    const beta = this.bias === null ? null : ctx.value(this.bias);
    const out = batchNorm(x, gamma, beta, ctx.value(this.runningMean), ctx.value(this.runningVar), {
      training: ctx.training,
      momentum: this.momentum,
      eps: this.eps,
    });
    if (ctx.training) {
      ctx.updateState(this.runningMean, out.runningMean);
      ctx.updateState(this.runningVar, out.runningVar);
    }
    return out.y;
  }
}

/** Batch norm of features `[N, C]` or sequences `[N, C, L]`, as PyTorch's `nn.BatchNorm1d`. */
export class BatchNorm1d extends AbstractBatchNorm {
  protected readonly ranks = [2, 3];
  protected readonly layout = "[N, C] or [N, C, L]";

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }
}

/** Batch norm of images `[N, C, H, W]`, as PyTorch's `nn.BatchNorm2d`. */
export class BatchNorm2d extends AbstractBatchNorm {
  protected readonly ranks = [4];
  protected readonly layout = "[N, C, H, W]";

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }
}

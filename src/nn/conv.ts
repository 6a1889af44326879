import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { type IntPair, conv1d, conv2d, convTranspose2d } from "../ops/conv.js";
import type { Rng } from "../random/rng.js";
import { fans, linearBias, linearWeight } from "./init.js";
import { AbstractModule, type ForwardContext, Parameter } from "./module.js";

/** Stride, padding and dilation: one number for both spatial axes, or `[height, width]` (Conv2d). */
export interface ConvOptions<P = IntPair> {
  readonly stride?: P;
  readonly padding?: P;
  readonly dilation?: P;
  readonly groups?: number;
  /** Add a learned bias per output channel (default true; false before a batch norm). */
  readonly bias?: boolean;
}

function pair(p: IntPair): [number, number] {
  return typeof p === "number" ? [p, p] : [p[0], p[1]];
}

function checkGroups(layer: string, inChannels: number, outChannels: number, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new ShapeError(layer, `groups ${groups} must divide both ${inChannels} input and ${outChannels} output channels`);
  }
}

/** Weight and bias with PyTorch's convolution init: U(−1/√fanIn, 1/√fanIn) for both. */
function convParameters(rng: Rng, shape: readonly number[], outChannels: number, bias: boolean): [Parameter, Parameter | null] {
  const weight = new Parameter(shape, linearWeight(rng, shape));
  return [weight, bias ? new Parameter([outChannels], linearBias(rng, fans(shape).fanIn, outChannels)) : null];
}

function checkInput(layer: string, x: Tensor, rank: number, channels: number): void {
  if (x.rank !== rank || x.shape[1] !== channels) {
    const dims = rank === 3 ? "L" : "H, W";
    throw new ShapeError(layer, `expects [N, ${channels}, ${dims}], got ${formatShape(x.shape)}`);
  }
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`): `x: [N, inChannels, H, W]` →
 * `[N, outChannels, H', W']`, H' = ⌊(H + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1.
 * `weight: [outChannels, inChannels/groups, kh, kw]`.
 */
export class Conv2d extends AbstractModule {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly stride: IntPair;
  readonly padding: IntPair;
  readonly dilation: IntPair;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: IntPair,
    rng: Rng,
    { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true }: ConvOptions = {},
  ) {
    super();
    checkGroups("Conv2d", inChannels, outChannels, groups);
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    [this.weight, this.bias] = convParameters(rng, [outChannels, inChannels / groups, ...pair(kernelSize)], outChannels, bias);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    checkInput("Conv2d", x, 4, this.inChannels);
    const { stride, padding, dilation, groups } = this;
    return conv2d(x, ctx.value(this.weight), this.bias === null ? undefined : ctx.value(this.bias), { stride, padding, dilation, groups });
  }
}

/**
 * 1-D convolution, as PyTorch's `nn.Conv1d`: `x: [N, inChannels, L]` → `[N, outChannels, L']`.
 * `weight: [outChannels, inChannels/groups, k]`.
 */
export class Conv1d extends AbstractModule {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    rng: Rng,
    { stride = 1, padding = 0, dilation = 1, groups = 1, bias = true }: ConvOptions<number> = {},
  ) {
    super();
    checkGroups("Conv1d", inChannels, outChannels, groups);
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    [this.weight, this.bias] = convParameters(rng, [outChannels, inChannels / groups, kernelSize], outChannels, bias);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    checkInput("Conv1d", x, 3, this.inChannels);
    const { stride, padding, dilation, groups } = this;
    return conv1d(x, ctx.value(this.weight), this.bias === null ? undefined : ctx.value(this.bias), { stride, padding, dilation, groups });
  }
}

export interface ConvTransposeOptions {
  readonly stride?: IntPair;
  readonly padding?: IntPair;
  /** Extra rows/columns on one side of the output, to pick among the sizes a strided conv maps to the same size. */
  readonly outputPadding?: IntPair;
  readonly bias?: boolean;
}

/**
 * Transposed 2-D convolution (the gradient of `Conv2d` with respect to its input), as PyTorch's
 * `nn.ConvTranspose2d`: `x: [N, inChannels, H, W]` → `[N, outChannels, H', W']`,
 * H' = (H − 1)·stride − 2·padding + k + outputPadding. `weight: [inChannels, outChannels, kh, kw]`;
 * init as PyTorch, whose fan-in for this layout is outChannels·k² (see `fans`).
 */
export class ConvTranspose2d extends AbstractModule {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly stride: IntPair;
  readonly padding: IntPair;
  readonly outputPadding: IntPair;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: IntPair,
    rng: Rng,
    { stride = 1, padding = 0, outputPadding = 0, bias = true }: ConvTransposeOptions = {},
  ) {
    super();
    if (pair(outputPadding).some((p, i) => p >= (pair(stride)[i] as number))) {
      throw new ShapeError("ConvTranspose2d", `outputPadding ${String(outputPadding)} must be smaller than stride ${String(stride)}`);
    }
    this.stride = stride;
    this.padding = padding;
    this.outputPadding = outputPadding;
    [this.weight, this.bias] = convParameters(rng, [inChannels, outChannels, ...pair(kernelSize)], outChannels, bias);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    checkInput("ConvTranspose2d", x, 4, this.inChannels);
    const { stride, padding, outputPadding } = this;
    return convTranspose2d(x, ctx.value(this.weight), this.bias === null ? undefined : ctx.value(this.bias), { stride, padding, outputPadding });
  }
}

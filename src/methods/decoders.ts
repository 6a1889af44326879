import type { ImageShape } from "../data/sample.js";
import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { BatchNorm2d, ConvTranspose2d, Linear, Mlp } from "../nn/index.js";
import { AbstractModule, type ForwardContext } from "../nn/module.js";
import { abs, add, mul, relu, reshape, softplus, sub } from "../ops/index.js";
import type { Rng } from "../random/rng.js";

export interface ConvDecoderOptions {
  /** Channels of the 1/4- and 1/2-resolution feature maps, mirroring SmallCnn's 64 and 32. */
  readonly channels?: readonly [number, number];
}

/**
 * A decoder mirroring SmallCnn: an embedding `z: [N, inFeatures]` → Linear → ReLU → reshape to
 * `[N, c0, H/4, W/4]` → ConvTranspose2d(k4, s2, p1) → BN → ReLU → `[N, c1, H/2, W/2]` →
 * ConvTranspose2d(k4, s2, p1) → `[N, C, H, W]` logits (no output activation: the losses take
 * logits). H and W must be divisible by 4 (28×28 → 7×7 → 14×14 → 28×28).
 * Parameters: `fc.weight`, `fc.bias`, `up1.weight`, `bn1.weight`, …, `up2.bias`.
 */
export class ConvDecoder extends AbstractModule {
  readonly fc: Linear;
  readonly up1: ConvTranspose2d;
  readonly bn1: BatchNorm2d;
  readonly up2: ConvTranspose2d;
  readonly outputShape: ImageShape;
  readonly channels: readonly [number, number];

  constructor(
    readonly inFeatures: number,
    outputShape: ImageShape,
    rng: Rng,
    { channels = [64, 32] }: ConvDecoderOptions = {},
  ) {
    super();
    const [c, h, w] = outputShape;
    if (h % 4 !== 0 || w % 4 !== 0) throw new ShapeError("ConvDecoder", `needs H and W divisible by 4, got [${c}, ${h}, ${w}]`);
    this.outputShape = [c, h, w];
    this.channels = [channels[0], channels[1]];
    this.fc = new Linear(inFeatures, channels[0] * (h / 4) * (w / 4), rng);
    // H' = (H − 1)·2 − 2·1 + 4 = 2H: each transposed conv doubles the resolution exactly.
    this.up1 = new ConvTranspose2d(channels[0], channels[1], 4, rng, { stride: 2, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(channels[1]);
    this.up2 = new ConvTranspose2d(channels[1], c, 4, rng, { stride: 2, padding: 1 });
  }

  call(ctx: ForwardContext, z: Tensor): Tensor {
    if (z.rank !== 2 || z.shape[1] !== this.inFeatures) throw new ShapeError("ConvDecoder", `expects [N, ${this.inFeatures}], got ${formatShape(z.shape)}`);
    const [, h, w] = this.outputShape;
    const n = z.shape[0] as number;
    let y = reshape(relu(this.fc.call(ctx, z)), [n, this.channels[0], h / 4, w / 4]); // [N, c0, H/4, W/4]
    y = relu(this.bn1.call(ctx, this.up1.call(ctx, y))); // [N, c1, H/2, W/2]
    return this.up2.call(ctx, y); // [N, C, H, W] logits
  }
}

export interface MlpDecoderOptions {
  /** Hidden widths (default one layer of 512, as the classic MNIST autoencoders). */
  readonly hidden?: readonly number[];
}

/** An MLP decoder: `z: [N, inFeatures]` → hidden ReLU layers → `[N, C, H, W]` logits. */
export class MlpDecoder extends AbstractModule {
  readonly mlp: Mlp;
  readonly outputShape: ImageShape;

  constructor(inFeatures: number, outputShape: ImageShape, rng: Rng, { hidden = [512] }: MlpDecoderOptions = {}) {
    super();
    const [c, h, w] = outputShape;
    this.outputShape = [c, h, w];
    this.mlp = new Mlp(inFeatures, [...hidden.map((out) => ({ out, act: "relu" as const })), { out: c * h * w }], rng);
  }

  call(ctx: ForwardContext, z: Tensor): Tensor {
    const n = z.shape[0] as number;
    return reshape(this.mlp.call(ctx, z), [n, ...this.outputShape]); // [N, C, H, W] logits
  }
}

export type DecoderKind = "conv" | "mlp";

/** The decoder of a reconstruction method from its name. */
export function makeDecoder(kind: DecoderKind, inFeatures: number, outputShape: ImageShape, rng: Rng): ConvDecoder | MlpDecoder {
  return kind === "conv" ? new ConvDecoder(inFeatures, outputShape, rng) : new MlpDecoder(inFeatures, outputShape, rng);
}

/**
 * Binary cross-entropy of pixel targets in [0, 1] under sigmoid(logits), per element, as
 * PyTorch's `F.binary_cross_entropy_with_logits(reduction="none")`:
 *   ℓ = max(z, 0) − z·t + log(1 + e^(−|z|)).
 * NOTE: the rearranged form never exponentiates a positive number, so it is finite for any
 * finite logit (log(sigmoid(z)) underflows to −∞ for z ≲ −88 in float32).
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor): Tensor {
  if (logits.shape.length !== targets.shape.length || logits.shape.some((d, i) => d !== targets.shape[i])) {
    throw new ShapeError("binaryCrossEntropyWithLogits", `logits ${formatShape(logits.shape)} and targets ${formatShape(targets.shape)} must match`);
  }
  return add(sub(relu(logits), mul(logits, targets)), softplus(mul(abs(logits), -1)));
}

/** How a reconstruction is scored. BCE suits MNIST's near-binary [0, 1] pixels; MSE any range. */
export type ReconstructionLoss = "bce" | "mse";

/** Per-element reconstruction loss of `logits` (pre-sigmoid for "bce", the prediction for "mse"). */
export function reconstructionError(kind: ReconstructionLoss, logits: Tensor, targets: Tensor): Tensor {
  if (kind === "bce") return binaryCrossEntropyWithLogits(logits, targets);
  const d = sub(logits, targets);
  return mul(d, d);
}

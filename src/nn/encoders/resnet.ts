import { ShapeError, type Tensor, formatShape } from "../../graph/index.js";
import { add, relu } from "../../ops/index.js";
import { globalAvgPool2d } from "../../ops/conv.js";
import type { Rng } from "../../random/rng.js";
import { BatchNorm2d } from "../batch-norm.js";
import { Conv2d } from "../conv.js";
import { AbstractModule, type ForwardContext } from "../module.js";

/** The projection shortcut of a block that changes width or resolution: conv1x1 (stride s) → BN. */
export class Downsample extends AbstractModule {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, stride: number, rng: Rng) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, 1, rng, { stride, bias: false });
    this.bn = new BatchNorm2d(outChannels);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    return this.bn.call(ctx, this.conv.call(ctx, x));
  }
}

/**
 * ResNet's basic block (He et al. 2016): relu(x' + bn2(conv2(relu(bn1(conv1(x)))))), where x' is
 * x or its projection when the block changes width or stride. Names as torchvision's.
 */
export class BasicBlock extends AbstractModule {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Downsample | null;

  constructor(inChannels: number, outChannels: number, stride: number, rng: Rng) {
    super();
    this.conv1 = new Conv2d(inChannels, outChannels, 3, rng, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, rng, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(outChannels);
    this.downsample = stride !== 1 || inChannels !== outChannels ? new Downsample(inChannels, outChannels, stride, rng) : null;
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    const h = relu(this.bn1.call(ctx, this.conv1.call(ctx, x)));
    const y = this.bn2.call(ctx, this.conv2.call(ctx, h));
    return relu(add(y, this.downsample === null ? x : this.downsample.call(ctx, x)));
  }
}

export interface ResNet18CifarOptions {
  readonly inChannels?: number;
  /** Scales the stage widths 64, 128, 256, 512 (rounded, at least 1); 1 is the standard ResNet-18. */
  readonly widthMultiplier?: number;
}

/**
 * ResNet-18 for 32×32 images, as the SSL literature trains it on CIFAR-10 (SimCLR's appendix
 * B.9, solo-learn): a 3×3 stride-1 stem without max pool, BasicBlocks [2, 2, 2, 2] at widths
 * 64, 128, 256, 512 (stages 2–4 halve the resolution), global average pool, no classifier.
 * `x: [N, inChannels, H, W]` → `[N, outputDim]` (512 at width 1; 11,168,832 parameters).
 * Parameters: `conv1.weight`, `bn1.weight`, `layer1.0.conv1.weight`, … as torchvision's.
 */
export class ResNet18Cifar extends AbstractModule {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layer1: readonly BasicBlock[];
  readonly layer2: readonly BasicBlock[];
  readonly layer3: readonly BasicBlock[];
  readonly layer4: readonly BasicBlock[];
  readonly inChannels: number;
  readonly outputDim: number;

  constructor(rng: Rng, { inChannels = 3, widthMultiplier = 1 }: ResNet18CifarOptions = {}) {
    super();
    const [w1, w2, w3, w4] = [64, 128, 256, 512].map((w) => Math.max(1, Math.round(w * widthMultiplier))) as [number, number, number, number];
    this.inChannels = inChannels;
    this.conv1 = new Conv2d(inChannels, w1, 3, rng, { padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(w1);
    const stage = (cin: number, cout: number, stride: number) => [new BasicBlock(cin, cout, stride, rng), new BasicBlock(cout, cout, 1, rng)];
    this.layer1 = stage(w1, w1, 1);
    this.layer2 = stage(w1, w2, 2);
    this.layer3 = stage(w2, w3, 2);
    this.layer4 = stage(w3, w4, 2);
    this.outputDim = w4;
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) throw new ShapeError("ResNet18Cifar", `expects [N, ${this.inChannels}, H, W], got ${formatShape(x.shape)}`);
    let y = relu(this.bn1.call(ctx, this.conv1.call(ctx, x))); // [N, 64w, H, W]
    for (const block of [...this.layer1, ...this.layer2, ...this.layer3, ...this.layer4]) y = block.call(ctx, y);
    return globalAvgPool2d(y); // [N, 512w]
  }
}

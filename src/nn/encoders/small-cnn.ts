import { ShapeError, type Tensor, formatShape } from "../../graph/index.js";
import { relu } from "../../ops/index.js";
import { avgPool2d, globalAvgPool2d, maxPool2d } from "../../ops/conv.js";
import { flatten } from "../../ops/index.js";
import type { Rng } from "../../random/rng.js";
import { BatchNorm2d } from "../batch-norm.js";
import { Conv2d } from "../conv.js";
import { AbstractModule, type ForwardContext } from "../module.js";

/** conv3x3 (padding 1, no bias: the batch norm's shift replaces it) → BatchNorm2d → ReLU. */
export class ConvBnRelu extends AbstractModule {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, rng: Rng) {
    super();
    this.conv = new Conv2d(inChannels, outChannels, 3, rng, { padding: 1, bias: false });
    this.bn = new BatchNorm2d(outChannels);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    return relu(this.bn.call(ctx, this.conv.call(ctx, x)));
  }

  /**
   * This block followed by a max pool of `kernel`, with the ReLU after the pool: the two commute
   * (both are monotone, so max(relu(a), relu(b)) = relu(max(a, b))), and after the pool the ReLU
   * and its gradient mask touch a quarter of the elements. Values and gradients are the same.
   */
  callThenMaxPool(ctx: ForwardContext, x: Tensor, kernel: number): Tensor {
    return relu(maxPool2d(this.bn.call(ctx, this.conv.call(ctx, x)), { kernel }));
  }
}

export interface SmallCnnOptions {
  /** Image channels (1 for MNIST, 3 for CIFAR). */
  readonly inChannels?: number;
  /** Channels of the last block, the embedding's width when pooled globally (default 128, the anchor's). */
  readonly outChannels?: number;
  /**
   * The side of the pooled grid: 1 averages the last map globally (the anchor's); 3 averages the
   * last map (H/4 × W/4, at least 3 × 3) over a 3 × 3 grid of windows and keeps every cell
   * (`outChannels × 9` features), so where in the image a part was found stays in the embedding.
   * On 28×28 images the windows are 3×3 of stride 2 of the 7×7 map.
   */
  readonly poolGrid?: 1 | 3;
}

/**
 * The small CNN of the PyTorch anchor (`Encoder` in anchors/pytorch/throughput.py), layer for
 * layer: conv3x3(32)-BN-ReLU ×2, maxpool 2, conv3x3(64)-BN-ReLU ×2, maxpool 2,
 * conv3x3(128)-BN-ReLU, global average pool. `x: [N, inChannels, H, W]` → `[N, 128]`.
 * Parameters: `block1.conv.weight`, `block1.bn.weight`, … `block5.bn.bias`.
 */
export class SmallCnn extends AbstractModule {
  readonly block1: ConvBnRelu;
  readonly block2: ConvBnRelu;
  readonly block3: ConvBnRelu;
  readonly block4: ConvBnRelu;
  readonly block5: ConvBnRelu;
  readonly inChannels: number;
  readonly outputDim: number;
  readonly poolGrid: 1 | 3;

  constructor(rng: Rng, { inChannels = 1, outChannels = 128, poolGrid = 1 }: SmallCnnOptions = {}) {
    super();
    this.inChannels = inChannels;
    this.poolGrid = poolGrid;
    this.outputDim = outChannels * poolGrid * poolGrid;
    this.block1 = new ConvBnRelu(inChannels, 32, rng);
    this.block2 = new ConvBnRelu(32, 32, rng);
    this.block3 = new ConvBnRelu(32, 64, rng);
    this.block4 = new ConvBnRelu(64, 64, rng);
    this.block5 = new ConvBnRelu(64, outChannels, rng);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) throw new ShapeError("SmallCnn", `expects [N, ${this.inChannels}, H, W], got ${formatShape(x.shape)}`);
    let y = this.block2.callThenMaxPool(ctx, this.block1.call(ctx, x), 2); // [N, 32, H/2, W/2]
    y = this.block4.callThenMaxPool(ctx, this.block3.call(ctx, y), 2); // [N, 64, H/4, W/4]
    y = this.block5.call(ctx, y); // [N, C, H/4, W/4]
    if (this.poolGrid === 1) return globalAvgPool2d(y); // [N, C]
    return flatten(avgPool2d(y, gridWindows(y.shape[2] as number, y.shape[3] as number)), 1); // [N, C·9]
  }
}

/**
 * Windows that tile a `h × w` map into 3 × 3 overlapping cells: stride ⌊m/3⌋ and kernel
 * m − 2·stride on each axis, so the three windows start at 0, s, 2s and the last ends at m.
 */
function gridWindows(h: number, w: number): { kernel: [number, number]; stride: [number, number] } {
  if (h < 3 || w < 3) throw new ShapeError("SmallCnn", `a 3x3 pooling grid needs a last map of at least 3x3 (images of 12x12), got ${h}x${w}`);
  const stride = (m: number) => Math.floor(m / 3);
  return { kernel: [h - 2 * stride(h), w - 2 * stride(w)], stride: [stride(h), stride(w)] };
}

import type { Tensor } from "../../src/graph/index.js";
import type { Encoder } from "../../src/methods/method.js";
import { AbstractModule, ConvBnRelu, type ForwardContext } from "../../src/nn/index.js";
import { globalAvgPool2d, maxPool2d } from "../../src/ops/index.js";
import type { Rng } from "../../src/random/rng.js";

/**
 * A narrow SmallCnn for fast method tests: conv3x3(16)-BN-ReLU, maxpool 2, conv3x3(32)-BN-ReLU,
 * maxpool 2, conv3x3(64)-BN-ReLU, global average pool. `[N, 1, H, W]` → `[N, 64]`.
 */
export class NarrowCnn extends AbstractModule implements Encoder {
  readonly block1: ConvBnRelu;
  readonly block2: ConvBnRelu;
  readonly block3: ConvBnRelu;
  readonly outputDim = 64;

  constructor(rng: Rng) {
    super();
    this.block1 = new ConvBnRelu(1, 16, rng);
    this.block2 = new ConvBnRelu(16, 32, rng);
    this.block3 = new ConvBnRelu(32, 64, rng);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    let y = maxPool2d(this.block1.call(ctx, x), { kernel: 2 }); // [N, 16, H/2, W/2]
    y = maxPool2d(this.block2.call(ctx, y), { kernel: 2 }); // [N, 32, H/4, W/4]
    return globalAvgPool2d(this.block3.call(ctx, y)); // [N, 64]
  }
}

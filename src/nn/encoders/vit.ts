import { ShapeError, type Tensor, formatShape } from "../../graph/index.js";
import { add, mean, reshape, transpose } from "../../ops/index.js";
import type { Rng } from "../../random/rng.js";
import { Dropout } from "../dropout.js";
import { LayerNorm } from "../layer-norm.js";
import { Linear } from "../linear.js";
import { AbstractModule, type ForwardContext, Parameter } from "../module.js";
import { TransformerBlock } from "../transformer-block.js";

export interface VisionTransformerOptions {
  /** The image's `[C, H, W]`: the position embeddings are learned for its grid of patches, so the size is fixed. */
  readonly imageShape: readonly [number, number, number];
  /**
   * Side of a square patch in pixels; must divide H and W. 7 by default: 16 tokens on 28×28. The
   * SimCLR bench step (batch 256, two views, d 128, 4 blocks) took 335 ms with 7×7 patches and
   * 1,090 ms with 4×4 (49 tokens) under the same load, and in 60 s of SimCLR on MNIST 4×4 reached a
   * 10-label probe of 55.2% against 67.9% for 7×7 (100 steps against ~400).
   */
  readonly patchSize?: number;
  /** d, the token width: 128, as the anchor's transformer (d 192 with 6 heads: 171 steps in 60 s, 52.0%). */
  readonly dModel?: number;
  /** Transformer blocks: 4, as the anchor's transformer. */
  readonly layers?: number;
  /** Attention heads: 4 (32 channels each). */
  readonly heads?: number;
  /**
   * The feed-forward width over d: 2, not ViT's 4. With 4 the step took 1.4× as long and 60 s of
   * SimCLR reached a 10-label probe of 52.6% against 67.9% with 2.
   */
  readonly mlpRatio?: number;
  /** Dropout in every block and on the embedded patches (see `TransformerBlockOptions.dropout`); 0 by default. */
  readonly dropout?: number;
}

/**
 * A Vision Transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words"), small: the image
 * is cut into p×p patches, each patch's C·p·p pixels are embedded by one Linear, learned position
 * embeddings are added, pre-LN `TransformerBlock`s attend over the patches, and the tokens'
 * mean followed by a LayerNorm is the image's embedding (MAE's `global_pool` probe form; He et
 * al. 2021 found it as good as a `[CLS]` token, and it needs no extra token).
 * `x: [N, C, H, W]` → `[N, dModel]`.
 * Parameters: `patch.weight` `[D, C·p·p]` (in the order of PyTorch's `Conv2d(C, D, p, stride=p)`
 * weight, flattened), `patch.bias`, `pos` `[T, D]`, `blocks.0.ln1.weight`, …, `ln.weight`.
 */
export class VisionTransformer extends AbstractModule {
  readonly patch: Linear;
  readonly pos: Parameter;
  readonly blocks: readonly TransformerBlock[];
  readonly ln: LayerNorm;
  readonly dropout: Dropout;
  readonly imageShape: readonly [number, number, number];
  readonly patchSize: number;
  readonly tokens: number;
  readonly outputDim: number;

  constructor(rng: Rng, { imageShape, patchSize = 7, dModel = 128, layers = 4, heads = 4, mlpRatio = 2, dropout = 0 }: VisionTransformerOptions) {
    super();
    const [c, h, w] = imageShape;
    if (!Number.isInteger(patchSize) || patchSize < 1 || h % patchSize !== 0 || w % patchSize !== 0) {
      throw new ShapeError("VisionTransformer", `patch ${patchSize} does not divide the image ${c}x${h}x${w}`);
    }
    this.imageShape = imageShape;
    this.patchSize = patchSize;
    this.tokens = (h / patchSize) * (w / patchSize);
    this.patch = new Linear(c * patchSize * patchSize, dModel, rng);
    // Learned, but started from MAE's fixed 2-D sine-cosine table rather than ViT's N(0, 0.02²):
    // at 0.02 the positions are invisible beside the patch embeddings (~0.5) and the blocks start
    // from a bag of patches. Measured (SimCLR, τ 1, batch 128, 60 s on the bundled MNIST, 10-label
    // probe of 3 draws / kNN on all labels): N(0, 0.02²) 53.0 / 59.9, sine-cosine 63.6 / 68.5.
    this.pos = new Parameter([this.tokens, dModel], sinCos2d(h / patchSize, w / patchSize, dModel));
    this.blocks = Array.from({ length: layers }, () => new TransformerBlock(dModel, heads, rng, { mlpRatio, dropout }));
    this.ln = new LayerNorm(dModel);
    this.dropout = new Dropout(dropout);
    this.outputDim = dModel;
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    const [c, h, w] = this.imageShape;
    if (x.rank !== 4 || x.shape[1] !== c || x.shape[2] !== h || x.shape[3] !== w) {
      throw new ShapeError("VisionTransformer", `expects images [N, ${c}, ${h}, ${w}] (its position embeddings are for a ${h / this.patchSize}x${w / this.patchSize} grid of ${this.patchSize}x${this.patchSize} patches), got ${formatShape(x.shape)}`);
    }
    let t = add(this.embedPatches(ctx, x), ctx.value(this.pos)); // [N, T, D]
    t = this.dropout.call(ctx, t);
    for (const block of this.blocks) t = block.call(ctx, t);
    return this.ln.call(ctx, mean(t, [1])); // [N, D]
  }

  /** `[N, C, H, W]` → `[N, T, D]`, patches in row-major order. */
  private embedPatches(ctx: ForwardContext, x: Tensor): Tensor {
    const [c, h, w] = this.imageShape;
    const p = this.patchSize;
    const [gh, gw] = [h / p, w / p];
    const n = x.shape[0] as number;
    // NOTE: a reshape and transpose, then one Gemm, rather than PyTorch's usual strided Conv2d (the
    // same weights as [D, C, p, p]): the SimCLR bench step (batch 256, two views) took 335 ms with
    // this form and 431 ms with the conv on 7×7 patches (543 vs 562 ms on 4×4), back to back on the
    // 2-core machine. The conv's filter gradient is ORT's slow path (docs/architecture.md).
    const patches = transpose(reshape(x, [n, c, gh, p, gw, p]), [0, 2, 4, 1, 3, 5]); // [N, gh, gw, C, p, p]
    return this.patch.call(ctx, reshape(patches, [n, gh * gw, c * p * p])); // [N, T, D]
  }
}

/**
 * 2-D sine-cosine position embeddings `[gh·gw, d]` (MAE's `get_2d_sincos_pos_embed`): the first
 * half of the channels encodes the patch's row, the second its column, each as sin and cos of the
 * position at d/4 frequencies 1/10000^(i/(d/4)).
 */
export function sinCos2d(gh: number, gw: number, d: number): Float32Array {
  if (d % 4 !== 0) throw new ShapeError("sinCos2d", `the width ${d} must divide by 4`);
  const q = d / 4;
  const out = new Float32Array(gh * gw * d);
  for (let r = 0; r < gh; r++) {
    for (let c = 0; c < gw; c++) {
      const row = out.subarray((r * gw + c) * d, (r * gw + c + 1) * d);
      for (let i = 0; i < q; i++) {
        const omega = 1 / 10000 ** (i / q);
        row[i] = Math.sin(r * omega);
        row[q + i] = Math.cos(r * omega);
        row[2 * q + i] = Math.sin(c * omega);
        row[3 * q + i] = Math.cos(c * omega);
      }
    }
  }
  return out;
}

import { ShapeError, type Tensor, formatShape } from "../../graph/index.js";
import { add, max, mean, relu, reshape, slice, transpose } from "../../ops/index.js";
import type { Rng } from "../../random/rng.js";
import { Dropout } from "../dropout.js";
import { Linear } from "../linear.js";
import { AbstractModule, type ForwardContext } from "../module.js";
import { ConvBnRelu } from "./small-cnn.js";

export interface AudioCnnOptions {
  /** Mel bands of the input spectrogram (BYOL-A: 64); a multiple of 8 (three 2×2 pools). */
  readonly mels?: number;
  /** Channels of each conv block (BYOL-A: 64). */
  readonly channels?: number;
  /** The embedding size: the per-frame MLP's width (BYOL-A: 512 in its small setting, 2048 in its best). */
  readonly dim?: number;
  /** Dropout between the two per-frame linear layers (BYOL-A: 0.3). */
  readonly dropout?: number;
}

/**
 * BYOL-A's audio encoder (Niizumi et al. 2021, "AudioNTT2020"): three blocks of conv3×3-BN-ReLU
 * with a 2×2 max pool, then per time step the channels × remaining mel bands through
 * Linear-ReLU-Dropout-Linear-ReLU, and the embedding is the max plus the mean over time (max keeps
 * the strongest event, mean the overall texture). `x: [N, 1, mels, T]` log-mel → `[N, dim]`.
 *
 * Frames beyond a multiple of 8 are dropped from the end (at most 7 frames, 70 ms at hop 160), so
 * every pool tiles its input exactly and takes ORT's fast MaxPool path; any clip length embeds.
 */
export class AudioCnn extends AbstractModule {
  readonly block1: ConvBnRelu;
  readonly block2: ConvBnRelu;
  readonly block3: ConvBnRelu;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly dropout: Dropout;
  readonly mels: number;
  readonly channels: number;
  readonly outputDim: number;

  constructor(rng: Rng, { mels = 64, channels = 64, dim = 512, dropout = 0.3 }: AudioCnnOptions = {}) {
    super();
    if (!Number.isInteger(mels) || mels % 8 !== 0 || mels <= 0) throw new ShapeError("AudioCnn", `mels must be a positive multiple of 8 (three 2×2 pools), got ${mels}`);
    this.mels = mels;
    this.channels = channels;
    this.outputDim = dim;
    this.block1 = new ConvBnRelu(1, channels, rng);
    this.block2 = new ConvBnRelu(channels, channels, rng);
    this.block3 = new ConvBnRelu(channels, channels, rng);
    this.fc1 = new Linear(channels * (mels / 8), dim, rng);
    this.fc2 = new Linear(dim, dim, rng);
    this.dropout = new Dropout(dropout);
  }

  call(ctx: ForwardContext, x: Tensor): Tensor {
    const perStep = this.frames(ctx, x);
    return add(max(perStep, 1), mean(perStep, 1)); // [N, dim]
  }

  /** Time steps of `frames` frames each (8: the three pools), before pooling over time. */
  readonly framesPerStep = 8;

  /** The per-time-step features before the pooling over time: `[N, 1, mels, T]` → `[N, ⌊T/8⌋, dim]` (CPC predicts these). */
  frames(ctx: ForwardContext, x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== 1 || x.shape[2] !== this.mels) throw new ShapeError("AudioCnn", `expects log-mel [N, 1, ${this.mels}, T], got ${formatShape(x.shape)}`);
    const [n, , , frames] = x.shape as [number, number, number, number];
    const usable = frames - (frames % 8);
    if (usable === 0) throw new ShapeError("AudioCnn", `needs at least 8 frames, got ${frames}`);
    let y = usable === frames ? x : slice(x, [0], [usable], [3]);
    y = this.block1.callThenMaxPool(ctx, y, 2);
    y = this.block2.callThenMaxPool(ctx, y, 2);
    y = this.block3.callThenMaxPool(ctx, y, 2); // [N, C, mels/8, T/8]
    const steps = usable / 8;
    // [N, C, F, T'] → [N, T', C·F]: each time step's features, as BYOL-A's permute(0, 3, 2, 1)
    // NOTE: BYOL-A flattens (F, C) with C fastest; here (C, F) with F fastest. Both are a fixed
    // permutation of fc1's input rows, so the family of functions is the same.
    const perStep = reshape(transpose(y, [0, 3, 1, 2]), [n * steps, this.channels * (this.mels / 8)]);
    let h = relu(this.fc1.call(ctx, perStep));
    h = relu(this.fc2.call(ctx, this.dropout.call(ctx, h)));
    return reshape(h, [n, steps, this.outputDim]);
  }
}

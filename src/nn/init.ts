import { type Shape, ShapeError, formatShape, sizeOf } from "../graph/index.js";
import type { Rng } from "../random/rng.js";

/**
 * Weight initialization schemes, drawn on the host from a seeded `Rng`. Each returns the values of
 * a new tensor of `shape` in row-major order.
 *
 * The layers use PyTorch's defaults, so that a pretext model starts from the same distribution as
 * the PyTorch reference it is compared with:
 * - `Linear`, `Conv1d`, `Conv2d`, `ConvTranspose2d` weights: `kaimingUniform(a = √5)`, which is
 *   U(−1/√fanIn, 1/√fanIn); their biases U(−1/√fanIn, 1/√fanIn) (`linearBias`);
 * - `Embedding`: N(0, 1);
 * - `LayerNorm`, `BatchNorm` scale 1 and shift 0; running mean 0 and running variance 1.
 *
 * @module
 */

/** The nonlinearity a Kaiming/Xavier gain is computed for (`torch.nn.init.calculate_gain`). */
export type GainNonlinearity = "linear" | "sigmoid" | "tanh" | "relu" | "leakyRelu";

/** `torch.nn.init.calculate_gain`: √2 for ReLU, √(2 / (1 + a²)) for leaky ReLU of slope a, 5/3 for tanh. */
export function gain(nonlinearity: GainNonlinearity, negativeSlope = 0.01): number {
  switch (nonlinearity) {
    case "linear":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leakyRelu":
      return Math.sqrt(2 / (1 + negativeSlope * negativeSlope));
  }
}

/**
 * Fan-in and fan-out of a weight as PyTorch computes them: dim 1 and dim 0 times the receptive
 * field (the product of dims 2…). For `Linear` `[out, in]` that is (in, out); for `Conv2d`
 * `[out, in/groups, kh, kw]` (in/groups·kh·kw, out·kh·kw). NOTE: for `ConvTranspose2d`, whose
 * weight is `[in, out/groups, kh, kw]`, this gives out/groups·kh·kw, as PyTorch does.
 */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new ShapeError("init", `fan-in and fan-out need a weight of rank >= 2, got ${formatShape(shape)}`);
  const receptive = sizeOf(shape.slice(2));
  return { fanIn: (shape[1] as number) * receptive, fanOut: (shape[0] as number) * receptive };
}

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (only for `nonlinearity: "leakyRelu"`). */
  readonly a?: number;
  /** "fanIn" preserves the forward variance, "fanOut" the backward one. */
  readonly mode?: "fanIn" | "fanOut";
  readonly nonlinearity?: GainNonlinearity;
}

function kaimingStd(shape: Shape, { a = 0, mode = "fanIn", nonlinearity = "leakyRelu" }: KaimingOptions): number {
  const f = fans(shape);
  const fan = mode === "fanIn" ? f.fanIn : f.fanOut;
  return gain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * He et al. 2015 uniform init: U(−b, b) with b = gain·√(3 / fan). Defaults as
 * `torch.nn.init.kaiming_uniform_` (a = 0, fan-in, leaky ReLU, i.e. gain √2).
 * With `a = √5` (PyTorch's Linear/Conv default) b = 1/√fanIn.
 */
export function kaimingUniform(rng: Rng, shape: Shape, options: KaimingOptions = {}): Float32Array {
  const bound = Math.sqrt(3) * kaimingStd(shape, options);
  return rng.uniformArray(sizeOf(shape), -bound, bound);
}

/** He et al. 2015 normal init: N(0, std²) with std = gain/√fan. Defaults as `kaiming_normal_`. */
export function kaimingNormal(rng: Rng, shape: Shape, options: KaimingOptions = {}): Float32Array {
  return rng.normalArray(sizeOf(shape), 0, kaimingStd(shape, options));
}

/** Glorot & Bengio 2010 uniform init: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform(rng: Rng, shape: Shape, gainValue = 1): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  const bound = gainValue * Math.sqrt(6 / (fanIn + fanOut));
  return rng.uniformArray(sizeOf(shape), -bound, bound);
}

/** Glorot & Bengio 2010 normal init: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(rng: Rng, shape: Shape, gainValue = 1): Float32Array {
  const { fanIn, fanOut } = fans(shape);
  return rng.normalArray(sizeOf(shape), 0, gainValue * Math.sqrt(2 / (fanIn + fanOut)));
}

export interface TruncatedNormalOptions {
  readonly mean?: number;
  readonly std?: number;
  /** Lower and upper cut-offs, in absolute units as `torch.nn.init.trunc_normal_` (default ±2). */
  readonly low?: number;
  readonly high?: number;
}

/**
 * N(mean, std²) restricted to [low, high] by rejection (ViT/DINO initialize with std 0.02 and
 * the default cut-offs ±2, which then never bind). Throws when the interval is so far in a tail
 * that rejection would take too long.
 */
export function truncatedNormal(rng: Rng, shape: Shape, { mean = 0, std = 1, low = -2, high = 2 }: TruncatedNormalOptions = {}): Float32Array {
  if (!(low < high)) throw new Error(`truncatedNormal: low ${low} must be below high ${high}`);
  const n = sizeOf(shape);
  const out = new Float32Array(n);
  let tries = 0;
  for (let i = 0; i < n; ) {
    const v = mean + std * rng.normal();
    if (v >= low && v <= high) out[i++] = v;
    else if (++tries > 1000 + 100 * n) throw new Error(`truncatedNormal: [${low}, ${high}] holds too little of N(${mean}, ${std}²)`);
  }
  return out;
}

/** U(low, high). */
export function uniform(rng: Rng, shape: Shape, low: number, high: number): Float32Array {
  return rng.uniformArray(sizeOf(shape), low, high);
}

/** N(mean, std²). */
export function normal(rng: Rng, shape: Shape, mean = 0, std = 1): Float32Array {
  return rng.normalArray(sizeOf(shape), mean, std);
}

/** PyTorch's default bias of a Linear or convolution: U(−1/√fanIn, 1/√fanIn). */
export function linearBias(rng: Rng, fanIn: number, size: number): Float32Array {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return rng.uniformArray(size, -bound, bound);
}

/** PyTorch's default weight of a Linear or convolution: `kaimingUniform(a = √5)` = U(−1/√fanIn, 1/√fanIn). */
export function linearWeight(rng: Rng, shape: Shape): Float32Array {
  return kaimingUniform(rng, shape, { a: Math.sqrt(5) });
}

export function zeros(shape: Shape): Float32Array {
  return new Float32Array(sizeOf(shape));
}

export function ones(shape: Shape): Float32Array {
  return new Float32Array(sizeOf(shape)).fill(1);
}

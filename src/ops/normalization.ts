import { type Graph, ShapeError, type Tensor, formatShape, normalizeAxis, requireFloat, sameShape } from "../graph/index.js";
import { add, div, mul, neg, sqrt, sub } from "./elementwise.js";
import { apply1, defineOp } from "./op.js";
import { mean, sum } from "./reduce.js";
import { cast, reshape, stopGradient } from "./shape.js";

// ---------------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------------

/** Throws unless `t` is a float tensor of `x`'s dtype with exactly `shape`. */
function requireParam(op: string, role: string, t: Tensor, x: Tensor, shape: readonly number[], why: string): void {
  if (t.dtype !== x.dtype || !sameShape(t.shape, shape)) {
    throw new ShapeError(
      op,
      `${role} is ${t.dtype}${formatShape(t.shape)}, expected ${x.dtype}${formatShape(shape)} (${why} of x ${x.dtype}${formatShape(x.shape)})`,
    );
  }
}

/** `value` broadcast-ready for `x`: a constant when the affine parameter is absent. */
function orConstant(t: Tensor | null, x: Tensor, shape: readonly number[], value: number): Tensor {
  if (t !== null) return t;
  const n = shape.reduce((a, b) => a * b, 1);
  return x.graph.constant(new Array<number>(n).fill(value), shape, x.dtype);
}

// ---------------------------------------------------------------------------------------------
// Batch normalization
// ---------------------------------------------------------------------------------------------

interface BatchNormAttrs {
  /** The channel axis, normalized; statistics are taken over every other axis. */
  readonly axis: number;
  readonly eps: number;
}

/** Axes statistics are reduced over, the per-channel shape that broadcasts against x, and the count. */
function channelLayout(x: Tensor, axis: number): { axes: number[]; kept: number[]; count: number } {
  const axes = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const kept = x.shape.map((d, i) => (i === axis ? d : 1));
  const count = axes.reduce((n, a) => n * (x.shape[a] as number), 1);
  return { axes, kept, count };
}

/**
 * Training-mode batch norm as ONE op record: outputs [y, batch mean [C], biased batch variance [C]].
 *
 * Why one record with a fused VJP rather than a composite of mean/variance/sub/div: for x
 * [256, 32, 14, 14] (float32, loss sum(y·w)) the pruned forward+backward graph computing dX, dγ, dβ
 * is 30 ONNX nodes fused vs 51 composed, and one ORT run took 7.2 vs 12.9 ms (best of 40, 1 thread,
 * on a loaded 2-core VM). The composite pays for each primitive's separate broadcast and
 * un-broadcast (Expand, ReduceSum, Reshape) in its backward; the fused rule reduces G and G·x̂ to
 * per-channel sums first. Batch norm runs ~5x per CNN step, so that is worth ~50 lines. The test
 * "the fused training record makes a smaller backward graph" keeps the node count honest.
 *
 * The lowering is plain ONNX primitives, not BatchNormalization(training_mode=1): WebGPU throws on
 * that, opset ≥14 does not output the batch statistics, and ORT updates the running variance with
 * the biased estimate where PyTorch uses the unbiased one (ARCHITECTURE, measured facts).
 */
const batchNormTrainOp = defineOp<BatchNormAttrs>({
  name: "batchNormTrain",
  lower: (graph, [input, gamma, beta], { axis, eps }) => {
    const x = input as Tensor;
    const { axes, kept } = channelLayout(x, axis);
    const c = x.shape[axis] as number;
    const dt = x.dtype;
    const keep = { keepdims: { kind: "int" as const, value: 1 } };
    const mu = graph.emit1("ReduceMean", [x, graph.int64s(axes)], kept, dt, keep);
    const d = graph.emit1("Sub", [x, mu], x.shape, dt);
    const v = graph.emit1("ReduceMean", [graph.emit1("Mul", [d, d], x.shape, dt), graph.int64s(axes)], kept, dt, keep);
    // NOTE: eps inside the square root, as PyTorch: 1/sqrt(var + eps) is finite for a constant channel.
    // The normalization and affine map are one pass: ONNX BatchNormalization in inference form,
    // fed the batch statistics. Measured in the CNN step: half the time of the Mul + Add it
    // replaces (bench/bn-micro.ts). Off axis 1 it is the same formula in primitives.
    const muC = reshapeNode(graph, mu, [c]);
    const vC = reshapeNode(graph, v, [c]);
    const y = emitAffineNormalize(graph, x, gamma as Tensor, beta as Tensor, muC, vC, axis, eps);
    return [y, muC, vC];
  },
  // With x̂ = (x − μ)·r, r = (σ² + ε)^(−1/2), n the count per channel and sums over the non-channel axes:
  //   dβ = Σ G,  dγ = Σ G·x̂ = r·(Σ G·x − μ·dβ),
  //   dX = γr·(G − dβ/n − x̂·dγ/n)           (through y)
  //      + gμ/n                              (through the batch-mean output, dμ/dx = 1/n)
  //      + gσ²·2(x − μ)/n = gσ²·2x̂/(n r)     (through the biased-variance output)
  // The statistics outputs are cotangent-free in ordinary training (the running stats stop
  // gradients), but handling them keeps the rule exact for double backward, which re-enters
  // this rule with cotangents on μ and σ² since the rule itself reads them.
  // Everything but γr·G is affine in x̂ per channel, so dX = γr·G + BN(x; μ, σ², a, b) with
  // a = −γr·dγ/n + 2gσ²/(n r) and b = −γr·dβ/n + gμ/n: three full-size passes (Mul, the
  // BatchNormalization node, Add) and a Mul + ReduceSum for dγ, where the textbook form takes seven.
  // NOTE: dγ from Σ G·x − μ·Σ G skips materializing x − μ; it cancels only when |μ| ≫ σ, which
  // batch-normalized conv activations do not reach (it matches PyTorch to 1e-4, test/engine).
  vjp: ({ inputs: [input, gamma], outputs: [, batchMean, batchVar], attrs: { axis, eps } }, [g, gMean, gVar]) => {
    const x = input as Tensor;
    const { axes, count } = channelLayout(x, axis);
    const mu = batchMean as Tensor;
    const v = batchVar as Tensor;
    const r = div(1, sqrt(add(v, eps)));
    let dGamma: Tensor | null = null;
    let dBeta: Tensor | null = null;
    let slope: Tensor | null = null;
    let offset: Tensor | null = null;
    let gammaR: Tensor | null = null;
    if (g) {
      dBeta = sum(g, axes);
      dGamma = mul(r, sub(sum(mul(g, x), axes), mul(mu, dBeta)));
      gammaR = mul(gamma as Tensor, r);
      slope = neg(mul(gammaR, div(dGamma, count)));
      offset = neg(mul(gammaR, div(dBeta, count)));
    }
    if (gMean) offset = accumulate(offset, div(gMean, count));
    if (gVar) slope = accumulate(slope, div(mul(gVar, 2 / count), r));
    const zero = () => mul(mu, 0);
    const affine = slope || offset ? apply1(batchNormInferenceOp, [x, slope ?? zero(), offset ?? zero(), mu, v], { axis, eps }) : null;
    const through = g && gammaR ? mul(g, reshape(gammaR, channelLayout(x, axis).kept)) : null;
    const dx = through && affine ? add(through, affine) : (through ?? affine);
    return [dx, dGamma, dBeta];
  },
});

/**
 * Inference-mode batch norm with given statistics: y = (x − m)·γ/sqrt(v + ε) + β.
 * Lowers to ONNX BatchNormalization (inference, opset 15) when the channel axis is 1, the layout
 * it requires and the one exported encoders should carry; to primitives otherwise.
 */
const batchNormInferenceOp = defineOp<BatchNormAttrs>({
  name: "batchNormInference",
  lower: (graph, [input, gamma, beta, runMean, runVar], { axis, eps }) => [
    emitAffineNormalize(graph, input as Tensor, gamma as Tensor, beta as Tensor, runMean as Tensor, runVar as Tensor, axis, eps),
  ],
  // With r = (v + ε)^(−1/2) and sums over the non-channel axes:
  //   dX = G·γr,  dγ = Σ G·(x − m)·r,  dβ = Σ G,  dm = −γr·Σ G,  dv = −½ γ r³ Σ G·(x − m)
  vjp: ({ inputs: [input, gamma, , runMean, runVar], attrs: { axis, eps } }, [g]) => {
    if (!g) return [null, null, null, null, null];
    const x = input as Tensor;
    const { axes, kept } = channelLayout(x, axis);
    const r = div(1, sqrt(add(runVar as Tensor, eps)));
    const gammaR = mul(gamma as Tensor, r);
    const sumG = sum(g, axes);
    const sumGD = sum(mul(g, sub(x, reshape(runMean as Tensor, kept))), axes);
    return [
      mul(g, reshape(gammaR, kept)),
      mul(sumGD, r),
      sumG,
      neg(mul(gammaR, sumG)),
      mul(mul(gammaR, mul(r, r)), mul(sumGD, -0.5)),
    ];
  },
});

/** (x − m)·γ/sqrt(v + ε) + β per channel: one BatchNormalization node when channels are axis 1. */
function emitAffineNormalize(graph: Graph, x: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor, axis: number, eps: number): Tensor {
  const dt = x.dtype;
  if (axis === 1) {
    return graph.emit1("BatchNormalization", [x, gamma, beta, mean, variance], x.shape, dt, { epsilon: { kind: "float", value: eps } });
  }
  const { kept } = channelLayout(x, axis);
  const c = x.shape[axis] as number;
  const std = graph.emit1("Sqrt", [graph.emit1("Add", [variance, graph.scalar(eps, dt)], [c], dt)], [c], dt);
  const scale = reshapeNode(graph, graph.emit1("Div", [gamma, std], [c], dt), kept);
  const d = graph.emit1("Sub", [x, reshapeNode(graph, mean, kept)], x.shape, dt);
  return graph.emit1("Add", [graph.emit1("Mul", [d, scale], x.shape, dt), reshapeNode(graph, beta, kept)], x.shape, dt);
}

function reshapeNode(graph: Graph, t: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(t.shape, shape)) return t;
  return graph.emit1("Reshape", [t, graph.int64s(shape)], shape, t.dtype);
}

function accumulate(acc: Tensor | null, term: Tensor): Tensor {
  return acc === null ? term : add(acc, term);
}

export interface BatchNormOptions {
  /** Normalize with batch statistics and update the running ones (true), or use the running ones. */
  readonly training: boolean;
  /** Weight of the batch statistic in the running average; 0.1 is PyTorch's default convention. */
  readonly momentum?: number;
  /** Added to the variance before the square root; 1e-5 as PyTorch. */
  readonly eps?: number;
  /** The channel axis: 1 for [N, C] and [N, C, H, W] (PyTorch's layout). */
  readonly axis?: number;
}

export interface BatchNormResult {
  /** The normalized tensor, x's shape. */
  readonly y: Tensor;
  /** The running mean after this step ([C]); the input itself in inference mode. Carries no gradient. */
  readonly runningMean: Tensor;
  /** The running variance after this step ([C]); the input itself in inference mode. Carries no gradient. */
  readonly runningVar: Tensor;
}

/**
 * Batch normalization (Ioffe & Szegedy 2015) with PyTorch's semantics, for x of rank ≥ 2
 * ([N, C], [N, C, L], [N, C, H, W]) with channels on `axis`.
 *
 * Training: y = (x − μ_B)/sqrt(σ²_B + ε)·γ + β with the batch mean and the BIASED batch variance,
 * and running ← (1 − momentum)·running + momentum·batch, using the UNBIASED batch variance for
 * the running variance, exactly as `torch.nn.BatchNorm2d`.
 * Inference: y = (x − runningMean)/sqrt(runningVar + ε)·γ + β.
 *
 * @param x `[N, C, ...]`
 * @param gamma `[C]` scale, or null for no scale (PyTorch's `affine=False`)
 * @param beta `[C]` shift, or null for no shift
 * @param runningMean `[C]`
 * @param runningVar `[C]`
 */
export function batchNorm(
  x: Tensor,
  gamma: Tensor | null,
  beta: Tensor | null,
  runningMean: Tensor,
  runningVar: Tensor,
  options: BatchNormOptions,
): BatchNormResult {
  const { training, momentum = 0.1, eps = 1e-5 } = options;
  requireFloat("batchNorm", x);
  if (x.rank < 2) throw new ShapeError("batchNorm", `x must have rank >= 2 ([N, C, ...]), got ${formatShape(x.shape)}`);
  const axis = normalizeAxis(options.axis ?? 1, x.rank, "batchNorm");
  const c = x.shape[axis] as number;
  const why = `channels along axis ${axis}`;
  if (gamma) requireParam("batchNorm", "gamma", gamma, x, [c], why);
  if (beta) requireParam("batchNorm", "beta", beta, x, [c], why);
  requireParam("batchNorm", "runningMean", runningMean, x, [c], why);
  requireParam("batchNorm", "runningVar", runningVar, x, [c], why);
  if (!(eps > 0)) throw new ShapeError("batchNorm", `eps must be positive, got ${eps}`);
  const scale = orConstant(gamma, x, [c], 1);
  const shift = orConstant(beta, x, [c], 0);

  if (!training) {
    const y = apply1(batchNormInferenceOp, [x, scale, shift, runningMean, runningVar], { axis, eps });
    return { y, runningMean, runningVar };
  }
  if (!(momentum >= 0 && momentum <= 1)) throw new ShapeError("batchNorm", `momentum must lie in [0, 1], got ${momentum}`);
  const { count } = channelLayout(x, axis);
  if (count < 2) {
    throw new ShapeError("batchNorm", `training needs more than 1 value per channel, got x ${formatShape(x.shape)} with channels on axis ${axis}`);
  }
  const [y, batchMean, batchVar] = batchNormTrainOp.apply([x, scale, shift], { axis, eps }) as [Tensor, Tensor, Tensor];
  // PyTorch's running variance uses the unbiased estimate: σ²·n/(n − 1).
  const unbiased = mul(batchVar, count / (count - 1));
  const newMean = add(mul(runningMean, 1 - momentum), mul(batchMean, momentum));
  const newVar = add(mul(runningVar, 1 - momentum), mul(unbiased, momentum));
  return { y, runningMean: stopGradient(newMean), runningVar: stopGradient(newVar) };
}

// ---------------------------------------------------------------------------------------------
// Layer normalization
// ---------------------------------------------------------------------------------------------

interface LayerNormAttrs {
  readonly axis: number;
  readonly eps: number;
}

/**
 * Layer norm as ONNX LayerNormalization-17, outputs [y, mean, invStdDev]; the VJP reuses the
 * saved statistics instead of recomputing them.
 *
 * NOTE: the ONNX spec allows only float/bfloat16 statistics (type U), so for float64 x the saved
 * mean and 1/std are float32 (stash_type 1) while y is computed in double by ORT's CPU kernel
 * (a double stash_type has no kernel: "Could not find an implementation"). The VJP casts them
 * back, so float64 gradients carry ~1e-7 relative error from the statistics.
 */
const layerNormOp = defineOp<LayerNormAttrs>({
  name: "layerNorm",
  lower: (graph, [input, gamma, beta], { axis, eps }) => {
    const x = input as Tensor;
    const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
    return graph.emit(
      "LayerNormalization",
      [x, gamma as Tensor, beta as Tensor],
      [
        { shape: x.shape, dtype: x.dtype },
        { shape: statShape, dtype: "float32" },
        { shape: statShape, dtype: "float32" },
      ],
      {
        axis: { kind: "int", value: axis },
        epsilon: { kind: "float", value: eps },
        stash_type: { kind: "int", value: 1 },
      },
    );
  },
  // With x̂ = (x − μ)·r, ĝ = G·γ, n the normalized size and means over the normalized axes:
  //   dX = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))    (through y)
  //      + gμ/n                              (through the mean output)
  //      − gr·r²·x̂/n                         (through 1/std: dr/dx = −r³(x − μ)/n)
  //   dγ = G·x̂, dβ = G, summed over the leading axes by autodiff's broadcast rule.
  vjp: ({ inputs: [input, gamma], outputs: [, savedMean, savedInvStd], attrs: { axis } }, [g, gMean, gInvStd]) => {
    const x = input as Tensor;
    const axes = x.shape.map((_, i) => i).filter((i) => i >= axis);
    const count = axes.reduce((n, a) => n * (x.shape[a] as number), 1);
    const r = cast(savedInvStd as Tensor, x.dtype);
    const xhat = mul(sub(x, cast(savedMean as Tensor, x.dtype)), r);
    let dx: Tensor | null = null;
    let dGamma: Tensor | null = null;
    let dBeta: Tensor | null = null;
    if (g) {
      const gh = mul(g, gamma as Tensor);
      dx = mul(r, sub(sub(gh, mean(gh, axes, true)), mul(xhat, mean(mul(gh, xhat), axes, true))));
      dGamma = mul(g, xhat);
      dBeta = g;
    }
    if (gMean) dx = accumulate(dx, div(cast(gMean, x.dtype), count));
    if (gInvStd) dx = accumulate(dx, mul(xhat, mul(mul(cast(gInvStd, x.dtype), mul(r, r)), -1 / count)));
    return [dx, dGamma, dBeta];
  },
});

export interface LayerNormOptions {
  /** The first normalized axis: statistics are taken over axes `axis..rank-1`. */
  readonly axis?: number;
  /** Added to the variance before the square root; 1e-5 as PyTorch. */
  readonly eps?: number;
}

/**
 * Layer normalization (Ba et al. 2016): y = (x − μ)/sqrt(σ² + ε)·γ + β with μ and the biased σ²
 * over the trailing axes from `axis`, as `torch.nn.LayerNorm(x.shape.slice(axis))`.
 *
 * @param x `[..., *normalized]`
 * @param gamma `x.shape.slice(axis)` scale, or null for none (`elementwise_affine=False`)
 * @param beta `x.shape.slice(axis)` shift, or null for none
 */
export function layerNorm(x: Tensor, gamma: Tensor | null, beta: Tensor | null, options: LayerNormOptions = {}): Tensor {
  const { eps = 1e-5 } = options;
  requireFloat("layerNorm", x);
  if (x.rank < 1) throw new ShapeError("layerNorm", `x must have rank >= 1, got ${formatShape(x.shape)}`);
  const axis = normalizeAxis(options.axis ?? -1, x.rank, "layerNorm");
  const normalized = x.shape.slice(axis);
  const why = `the normalized axes ${axis}..${x.rank - 1}`;
  if (gamma) requireParam("layerNorm", "gamma", gamma, x, normalized, why);
  if (beta) requireParam("layerNorm", "beta", beta, x, normalized, why);
  if (!(eps > 0)) throw new ShapeError("layerNorm", `eps must be positive, got ${eps}`);
  return apply1(layerNormOp, [x, orConstant(gamma, x, normalized, 1), orConstant(beta, x, normalized, 0)], { axis, eps });
}

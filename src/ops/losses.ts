import { ShapeError, type Tensor, formatShape, normalizeAxis, requireFloat, sameShape } from "../graph/index.js";
import { add, mul, neg, sub } from "./elementwise.js";
import { oneHot } from "./indexing.js";
import { logSoftmax, mean, sum } from "./reduce.js";
import { cast } from "./shape.js";

/** How per-element losses are combined: averaged (PyTorch's default), summed, or returned as they are. */
export type Reduction = "mean" | "sum" | "none";

function reduceLoss(loss: Tensor, reduction: Reduction): Tensor {
  switch (reduction) {
    case "mean":
      return mean(loss);
    case "sum":
      return sum(loss);
    case "none":
      return loss;
  }
}

export interface CrossEntropyOptions {
  readonly reduction?: Reduction;
  /**
   * ε of label smoothing (Szegedy et al. 2016) as PyTorch's `label_smoothing`: the target is
   * (1 − ε)·onehot + ε/C. 0 by default.
   */
  readonly labelSmoothing?: number;
}

/**
 * Cross-entropy of integer labels under softmax(logits), as PyTorch's `F.cross_entropy`
 * (without `ignore_index` or class weights): loss_n = −Σ_c t_nc · logSoftmax(logits)_nc.
 *
 * Built as logSoftmax · oneHot rather than ONNX SoftmaxCrossEntropyLoss: the composite's gradient
 * is logSoftmax's verified VJP (softmax − target, finite for any finite logits), it adds label
 * smoothing by changing only the target, and the cost is small: loss and dlogits take 18 nodes,
 * all on [N, C] or smaller, where the fused node plus its hand-written gradient would take ~6
 * (test "is a small graph").
 * NOTE: stable for any finite logits: LogSoftmax subtracts the row max, so [1000, 0, −1000] gives
 * log-probabilities [0, −1000, −2000] and a finite gradient; log(softmax(x)) would give −∞.
 *
 * @param logits `[N, C]` float
 * @param labels `[N]` int64 (or int32) class indices in [0, C); others give a zero target row
 * @returns a scalar, or `[N]` with reduction "none"
 */
export function crossEntropyWithLogits(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { reduction = "mean", labelSmoothing = 0 } = options;
  requireFloat("crossEntropyWithLogits", logits);
  if (logits.rank !== 2 || labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new ShapeError(
      "crossEntropyWithLogits",
      `expects logits [N, C] and labels [N], got logits ${logits.dtype}${formatShape(logits.shape)} and labels ${labels.dtype}${formatShape(labels.shape)}`,
    );
  }
  if (labels.dtype !== "int64" && labels.dtype !== "int32") {
    throw new ShapeError("crossEntropyWithLogits", `labels must be int64 or int32 class indices, got ${labels.dtype}${formatShape(labels.shape)}`);
  }
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new ShapeError("crossEntropyWithLogits", `labelSmoothing must lie in [0, 1], got ${labelSmoothing}`);
  }
  const classes = logits.shape[1] as number;
  let target = cast(oneHot(labels, classes), logits.dtype);
  if (labelSmoothing > 0) target = add(mul(target, 1 - labelSmoothing), labelSmoothing / classes);
  return reduceLoss(neg(sum(mul(target, logSoftmax(logits, 1)), 1)), reduction);
}

export interface SoftCrossEntropyOptions {
  readonly reduction?: Reduction;
  /** The class axis. */
  readonly axis?: number;
}

/**
 * Cross-entropy against soft targets: loss = −Σ_c p_c · logSoftmax(logits)_c along `axis`
 * (PyTorch's `F.cross_entropy` with probability targets; DINO's and distillation's loss).
 * Gradients flow into both arguments; wrap a teacher's targets in `stopGradient`.
 * NOTE: stable for any finite logits (LogSoftmax, not log of softmax).
 *
 * @param logits `[..., C]` float
 * @param targetProbs same shape as `logits`, rows summing to 1
 * @returns a scalar, or the shape without `axis` with reduction "none"
 */
export function softCrossEntropy(logits: Tensor, targetProbs: Tensor, options: SoftCrossEntropyOptions = {}): Tensor {
  const { reduction = "mean" } = options;
  requireFloat("softCrossEntropy", logits);
  if (!sameShape(logits.shape, targetProbs.shape) || logits.dtype !== targetProbs.dtype) {
    throw new ShapeError(
      "softCrossEntropy",
      `logits ${logits.dtype}${formatShape(logits.shape)} and targetProbs ${targetProbs.dtype}${formatShape(targetProbs.shape)} must match`,
    );
  }
  const axis = normalizeAxis(options.axis ?? -1, logits.rank, "softCrossEntropy");
  return reduceLoss(neg(sum(mul(targetProbs, logSoftmax(logits, axis)), axis)), reduction);
}

export interface MseLossOptions {
  readonly reduction?: Reduction;
}

/** Mean squared error (a − b)², as PyTorch's `F.mse_loss`; shapes must match exactly (no silent broadcast). */
export function mseLoss(a: Tensor, b: Tensor, options: MseLossOptions = {}): Tensor {
  requireFloat("mseLoss", a);
  if (!sameShape(a.shape, b.shape) || a.dtype !== b.dtype) {
    throw new ShapeError("mseLoss", `a ${a.dtype}${formatShape(a.shape)} and b ${b.dtype}${formatShape(b.shape)} must match`);
  }
  const d = sub(a, b);
  return reduceLoss(mul(d, d), options.reduction ?? "mean");
}

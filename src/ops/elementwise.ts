import { type DType, type Graph, ShapeError, type Tensor, broadcastShapes, formatShape, requireFloat } from "../graph/index.js";
import { type TensorLike, apply1, defineOp, liftPair } from "./op.js";
import { cast } from "./shape.js";

// ---------------------------------------------------------------------------------------------
// Lowering helpers shared by the family
// ---------------------------------------------------------------------------------------------

/** Emits a broadcasting binary node after checking dtypes and shapes. */
function lowerBinary(opType: string, name: string, resultDtype?: DType) {
  return (graph: Graph, [a, b]: readonly Tensor[]): Tensor[] => {
    const x = a as Tensor;
    const y = b as Tensor;
    if (x.dtype !== y.dtype) {
      throw new ShapeError(name, `dtypes differ: ${x.dtype}${formatShape(x.shape)} and ${y.dtype}${formatShape(y.shape)}`);
    }
    const shape = broadcastShapes(x.shape, y.shape);
    if (shape === null) {
      throw new ShapeError(name, `shapes ${formatShape(x.shape)} and ${formatShape(y.shape)} do not broadcast`);
    }
    return [graph.emit1(opType, [x, y], shape, resultDtype ?? x.dtype)];
  };
}

/** Emits a unary float node with the input's shape. */
function lowerUnary(opType: string, name: string) {
  return (graph: Graph, [x]: readonly Tensor[]): Tensor[] => {
    requireFloat(name, x as Tensor);
    return [graph.emit1(opType, [x as Tensor], (x as Tensor).shape, (x as Tensor).dtype)];
  };
}

const none = {};
type None = typeof none;

// ---------------------------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------------------------

const addOp = defineOp<None>({
  name: "add",
  lower: lowerBinary("Add", "add"),
  // d(a + b) = da + db
  vjp: (_, [g]) => [g ?? null, g ?? null],
});

const subOp = defineOp<None>({
  name: "sub",
  lower: lowerBinary("Sub", "sub"),
  // d(a - b) = da - db
  vjp: (_, [g]) => (g ? [g, neg(g)] : [null, null]),
});

const mulOp = defineOp<None>({
  name: "mul",
  lower: lowerBinary("Mul", "mul"),
  // d(a * b) = b da + a db
  vjp: ({ inputs: [a, b] }, [g]) => (g ? [mul(g, b as Tensor), mul(g, a as Tensor)] : [null, null]),
});

const divOp = defineOp<None>({
  name: "div",
  lower: lowerBinary("Div", "div"),
  // d(a / b) = da / b - (a / b) db / b
  vjp: ({ inputs: [, b], outputs: [y] }, [g]) => {
    if (!g) return [null, null];
    const gOverB = div(g, b as Tensor);
    return [gOverB, neg(mul(gOverB, y as Tensor))];
  },
});

const powOp = defineOp<None>({
  name: "pow",
  lower: lowerBinary("Pow", "pow"),
  // d(a^b) = b a^(b-1) da + a^b log(a) db
  vjp: ({ inputs: [a, b], outputs: [y] }, [g]) => {
    if (!g) return [null, null];
    const x = a as Tensor;
    const p = b as Tensor;
    const da = mul(g, mul(p, pow(x, sub(p, 1))));
    // NOTE: the exponent's gradient is only defined for a > 0; a constant exponent (the usual
    // case) is pruned before it is ever computed, so log(a) of negative bases does no harm.
    const db = mul(g, mul(y as Tensor, log(x)));
    return [da, db];
  },
});

const minimumOp = defineOp<None>({
  name: "minimum",
  lower: lowerBinary("Min", "minimum"),
  // the gradient flows to the smaller operand; ties go to the first
  vjp: ({ inputs: [a, b] }, [g]) => {
    if (!g) return [null, null];
    const takeA = lessEqual(a as Tensor, b as Tensor);
    return [where(takeA, g, 0), where(takeA, 0, g)];
  },
});

const maximumOp = defineOp<None>({
  name: "maximum",
  lower: lowerBinary("Max", "maximum"),
  // the gradient flows to the larger operand; ties go to the first
  vjp: ({ inputs: [a, b] }, [g]) => {
    if (!g) return [null, null];
    const takeA = greaterEqual(a as Tensor, b as Tensor);
    return [where(takeA, g, 0), where(takeA, 0, g)];
  },
});

export function add(a: TensorLike, b: TensorLike): Tensor {
  return apply1(addOp, liftPair("add", a, b), none);
}
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return apply1(subOp, liftPair("sub", a, b), none);
}
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return apply1(mulOp, liftPair("mul", a, b), none);
}
export function div(a: TensorLike, b: TensorLike): Tensor {
  return apply1(divOp, liftPair("div", a, b), none);
}
/** `a ** b`, elementwise with broadcasting. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return apply1(powOp, liftPair("pow", a, b), none);
}
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return apply1(minimumOp, liftPair("minimum", a, b), none);
}
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return apply1(maximumOp, liftPair("maximum", a, b), none);
}

// ---------------------------------------------------------------------------------------------
// Unary functions
// ---------------------------------------------------------------------------------------------

const negOp = defineOp<None>({
  name: "neg",
  lower: (graph, [x]) => [graph.emit1("Neg", [x as Tensor], (x as Tensor).shape, (x as Tensor).dtype)],
  // d(-x) = -dx
  vjp: (_, [g]) => [g ? neg(g) : null],
});

const expOp = defineOp<None>({
  name: "exp",
  lower: lowerUnary("Exp", "exp"),
  // d(e^x) = e^x dx
  vjp: ({ outputs: [y] }, [g]) => [g ? mul(g, y as Tensor) : null],
});

const logOp = defineOp<None>({
  name: "log",
  lower: lowerUnary("Log", "log"),
  // d(log x) = dx / x
  vjp: ({ inputs: [x] }, [g]) => [g ? div(g, x as Tensor) : null],
});

const sqrtOp = defineOp<None>({
  name: "sqrt",
  lower: lowerUnary("Sqrt", "sqrt"),
  // d(sqrt x) = dx / (2 sqrt x)
  vjp: ({ outputs: [y] }, [g]) => [g ? div(mul(g, 0.5), y as Tensor) : null],
});

const absOp = defineOp<None>({
  name: "abs",
  lower: lowerUnary("Abs", "abs"),
  // d|x| = sign(x) dx (0 at 0, as PyTorch)
  vjp: ({ inputs: [x] }, [g]) => [g ? mul(g, sign(x as Tensor)) : null],
});

const signOp = defineOp<None>({
  name: "sign",
  lower: lowerUnary("Sign", "sign"),
  vjp: "nondifferentiable",
});

const reluOp = defineOp<None>({
  name: "relu",
  lower: lowerUnary("Relu", "relu"),
  // d relu(x) = [x > 0] dx
  // NOTE: the mask as a float factor, not Where(x > 0, g, 0): 30% less time per element on ORT's
  // CPU kernels (bench/bn-micro.ts). It differs only where g is ±inf or NaN under a masked
  // unit, and a non-finite loss already stops the step (NonFiniteLossError).
  vjp: ({ inputs: [x] }, [g]) => [g ? mul(g, cast(greater(x as Tensor, 0), g.dtype)) : null],
});

interface LeakyReluAttrs {
  readonly negativeSlope: number;
}
const leakyReluOp = defineOp<LeakyReluAttrs>({
  name: "leakyRelu",
  lower: (graph, [x], { negativeSlope }) => {
    requireFloat("leakyRelu", x as Tensor);
    return [
      graph.emit1("LeakyRelu", [x as Tensor], (x as Tensor).shape, (x as Tensor).dtype, {
        alpha: { kind: "float", value: negativeSlope },
      }),
    ];
  },
  // d leakyRelu(x) = (x > 0 ? 1 : slope) dx
  vjp: ({ inputs: [x], attrs }, [g]) => [g ? where(greater(x as Tensor, 0), g, mul(g, attrs.negativeSlope)) : null],
});

const sigmoidOp = defineOp<None>({
  name: "sigmoid",
  lower: lowerUnary("Sigmoid", "sigmoid"),
  // d sigmoid(x) = y (1 - y) dx
  vjp: ({ outputs: [y] }, [g]) => [g ? mul(g, mul(y as Tensor, sub(1, y as Tensor))) : null],
});

const tanhOp = defineOp<None>({
  name: "tanh",
  lower: lowerUnary("Tanh", "tanh"),
  // d tanh(x) = (1 - y^2) dx
  vjp: ({ outputs: [y] }, [g]) => [g ? mul(g, sub(1, mul(y as Tensor, y as Tensor))) : null],
});

const softplusOp = defineOp<None>({
  name: "softplus",
  // NOTE: ORT's Softplus computes log(1 + e^x) stably for large |x|.
  lower: lowerUnary("Softplus", "softplus"),
  // d softplus(x) = sigmoid(x) dx
  vjp: ({ inputs: [x] }, [g]) => [g ? mul(g, sigmoid(x as Tensor)) : null],
});

const erfOp = defineOp<None>({
  name: "erf",
  lower: lowerUnary("Erf", "erf"),
  // d erf(x) = 2/sqrt(pi) e^(-x^2) dx
  vjp: ({ inputs: [x] }, [g]) => [
    g ? mul(g, mul(2 / Math.sqrt(Math.PI), exp(neg(mul(x as Tensor, x as Tensor))))) : null,
  ],
});

const geluOp = defineOp<None>({
  name: "gelu",
  // The exact (erf) GELU, x Φ(x). Opset 18 has no Gelu op (it arrived in 20), so it is composed.
  // NOTE: as x · ½ · (1 + erf(x / √2)) with a Div, the exact pattern ONNX Runtime's GeluFusion
  // matches (Div by √2, Erf, Add 1, Mul by ½, Mul) and runs as one Gelu kernel: one pass over x
  // instead of five. With Mul(x, 1/√2) it stays five nodes. The VJP keeps its Mul(x, 1/√2), so
  // common-subexpression elimination cannot share the Div with the backward pass, which would
  // give it a second consumer and stop the fusion.
  lower: (graph, [input]) => {
    const x = input as Tensor;
    requireFloat("gelu", x);
    const s = (v: number) => graph.scalar(v, x.dtype);
    const erfArg = graph.emit1("Div", [x, s(Math.SQRT2)], x.shape, x.dtype);
    const e = graph.emit1("Erf", [erfArg], x.shape, x.dtype);
    const onePlus = graph.emit1("Add", [e, s(1)], x.shape, x.dtype);
    const half = graph.emit1("Mul", [x, s(0.5)], x.shape, x.dtype);
    return [graph.emit1("Mul", [half, onePlus], x.shape, x.dtype)];
  },
  // d gelu(x) = (Φ(x) + x φ(x)) dx, Φ the normal CDF and φ its density
  vjp: ({ inputs: [input] }, [g]) => {
    if (!g) return [null];
    const x = input as Tensor;
    const cdf = mul(0.5, add(1, erf(mul(x, Math.SQRT1_2))));
    const pdf = mul(1 / Math.sqrt(2 * Math.PI), exp(mul(-0.5, mul(x, x))));
    return [mul(g, add(cdf, mul(x, pdf)))];
  },
});

export function neg(x: Tensor): Tensor {
  return apply1(negOp, [x], none);
}
export function exp(x: Tensor): Tensor {
  return apply1(expOp, [x], none);
}
export function log(x: Tensor): Tensor {
  return apply1(logOp, [x], none);
}
export function sqrt(x: Tensor): Tensor {
  return apply1(sqrtOp, [x], none);
}
export function abs(x: Tensor): Tensor {
  return apply1(absOp, [x], none);
}
/** -1, 0 or 1 by the sign of each element; not differentiable. */
export function sign(x: Tensor): Tensor {
  return apply1(signOp, [x], none);
}
export function relu(x: Tensor): Tensor {
  return apply1(reluOp, [x], none);
}
/** max(x, 0) + negativeSlope * min(x, 0); PyTorch's default slope is 0.01. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return apply1(leakyReluOp, [x], { negativeSlope });
}
export function sigmoid(x: Tensor): Tensor {
  return apply1(sigmoidOp, [x], none);
}
export function tanh(x: Tensor): Tensor {
  return apply1(tanhOp, [x], none);
}
/** log(1 + e^x). */
export function softplus(x: Tensor): Tensor {
  return apply1(softplusOp, [x], none);
}
export function erf(x: Tensor): Tensor {
  return apply1(erfOp, [x], none);
}
/** Exact GELU, x Φ(x) (Hendrycks & Gimpel 2016), as PyTorch's default `F.gelu`. */
export function gelu(x: Tensor): Tensor {
  return apply1(geluOp, [x], none);
}

// ---------------------------------------------------------------------------------------------
// Clip and select
// ---------------------------------------------------------------------------------------------

interface ClipAttrs {
  readonly min: number;
  readonly max: number;
}
const clipOp = defineOp<ClipAttrs>({
  name: "clip",
  lower: (graph, [input], { min, max }) => {
    const x = input as Tensor;
    requireFloat("clip", x);
    if (!(min <= max)) throw new ShapeError("clip", `min ${min} is greater than max ${max}`);
    return [graph.emit1("Clip", [x, graph.scalar(min, x.dtype), graph.scalar(max, x.dtype)], x.shape, x.dtype)];
  },
  // the gradient passes where min <= x <= max, as PyTorch's clamp
  vjp: ({ inputs: [x], attrs }, [g]) => {
    if (!g) return [null];
    const inside = logicalAnd(greaterEqual(x as Tensor, attrs.min), lessEqual(x as Tensor, attrs.max));
    return [where(inside, g, 0)];
  },
});

/** Clamps every element into [min, max]; pass ±Infinity for a one-sided clip. */
export function clip(x: Tensor, min: number, max: number): Tensor {
  return apply1(clipOp, [x], { min, max });
}

const whereOp = defineOp<None>({
  name: "where",
  lower: (graph, [c, a, b]) => {
    const cond = c as Tensor;
    const x = a as Tensor;
    const y = b as Tensor;
    if (cond.dtype !== "bool") throw new ShapeError("where", `condition must be bool, got ${cond.dtype}`);
    if (x.dtype !== y.dtype) throw new ShapeError("where", `branches differ in dtype: ${x.dtype} and ${y.dtype}`);
    const xy = broadcastShapes(x.shape, y.shape);
    const shape = xy && broadcastShapes(cond.shape, xy);
    if (!shape) {
      throw new ShapeError(
        "where",
        `condition ${formatShape(cond.shape)} and branches ${formatShape(x.shape)}, ${formatShape(y.shape)} do not broadcast`,
      );
    }
    return [graph.emit1("Where", [cond, x, y], shape, x.dtype)];
  },
  // d where(c, a, b) = where(c, da, db)
  vjp: ({ inputs: [c] }, [g]) => (g ? [null, where(c as Tensor, g, 0), where(c as Tensor, 0, g)] : [null, null, null]),
});

/** Picks `a` where `condition` holds and `b` elsewhere, broadcasting all three. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = liftPair("where", a, b);
  return apply1(whereOp, [condition, x, y], none);
}

// ---------------------------------------------------------------------------------------------
// Comparisons and logic: bool results, no gradient
// ---------------------------------------------------------------------------------------------

function comparison(name: string, opType: string) {
  const op = defineOp<None>({ name, lower: lowerBinary(opType, name, "bool"), vjp: "nondifferentiable" });
  return (a: TensorLike, b: TensorLike): Tensor => apply1(op, liftPair(name, a, b), none);
}

export const equal = comparison("equal", "Equal");
export const less = comparison("less", "Less");
export const lessEqual = comparison("lessEqual", "LessOrEqual");
export const greater = comparison("greater", "Greater");
export const greaterEqual = comparison("greaterEqual", "GreaterOrEqual");

function logical(name: string, opType: string) {
  const op = defineOp<None>({
    name,
    lower: (graph, inputs) => {
      for (const t of inputs) if (t.dtype !== "bool") throw new ShapeError(name, `expects bool tensors, got ${t.dtype}`);
      return lowerBinary(opType, name)(graph, inputs);
    },
    vjp: "nondifferentiable",
  });
  return (a: Tensor, b: Tensor): Tensor => apply1(op, [a, b], none);
}

export const logicalAnd = logical("logicalAnd", "And");
export const logicalOr = logical("logicalOr", "Or");

const logicalNotOp = defineOp<None>({
  name: "logicalNot",
  lower: (graph, [x]) => {
    if ((x as Tensor).dtype !== "bool") throw new ShapeError("logicalNot", `expects a bool tensor, got ${(x as Tensor).dtype}`);
    return [graph.emit1("Not", [x as Tensor], (x as Tensor).shape, "bool")];
  },
  vjp: "nondifferentiable",
});
export function logicalNot(x: Tensor): Tensor {
  return apply1(logicalNotOp, [x], none);
}

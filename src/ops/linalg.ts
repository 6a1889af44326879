import { ShapeError, type Tensor, attr, broadcastShapes, formatShape, requireFloat, sameShape } from "../graph/index.js";
import { mul } from "./elementwise.js";
import { apply1, defineOp } from "./op.js";
import { full, reshape, squeeze, transposeLast2, unsqueeze } from "./shape.js";

const matmulOp = defineOp<object>({
  name: "matmul",
  lower: (graph, [a, b]) => {
    const x = a as Tensor;
    const y = b as Tensor;
    requireFloat("matmul", x);
    if (x.dtype !== y.dtype) {
      throw new ShapeError("matmul", `dtypes differ: ${x.dtype}${formatShape(x.shape)} and ${y.dtype}${formatShape(y.shape)}`);
    }
    const k = x.shape[x.rank - 1];
    const batch = broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2));
    if (k !== y.shape[y.rank - 2] || batch === null) {
      throw new ShapeError("matmul", `cannot multiply ${formatShape(x.shape)} by ${formatShape(y.shape)}`);
    }
    return [graph.emit1("MatMul", [x, y], [...batch, x.shape[x.rank - 2] as number, y.shape[y.rank - 1] as number], x.dtype)];
  },
  // d(A B) = dA B + A dB, so dA = G Bᵀ and dB = Aᵀ G (batch axes are summed back by autodiff)
  vjp: ({ inputs: [a, b] }, [g]) => {
    if (!g) return [null, null];
    const x = a as Tensor;
    const w = b as Tensor;
    const dA = matmul(g, transposeLast2(w));
    if (w.rank === 2 && x.rank > 2) {
      // NOTE: a shared weight's gradient as one [K, M·…]·[…, N] product over the flattened batch,
      // instead of a batch of products summed afterwards (less memory, one GEMM).
      const k = x.shape[x.rank - 1] as number;
      const n = g.shape[g.rank - 1] as number;
      return [dA, matmul(transposeLast2(reshape(x, [-1, k])), reshape(g, [-1, n]))];
    }
    return [dA, matmul(transposeLast2(x), g)];
  },
});

/**
 * Matrix product with NumPy semantics: batch axes broadcast, a rank-1 operand is a vector.
 * `[..., M, K] @ [..., K, N] → [..., M, N]`.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) throw new ShapeError("matmul", `scalars cannot be multiplied as matrices: ${formatShape(a.shape)}, ${formatShape(b.shape)}`);
  // Checked here, on the caller's shapes, so that errors do not show the unsqueezed vectors.
  const k = a.shape[a.rank - 1] as number;
  const kb = b.shape[b.rank === 1 ? 0 : b.rank - 2] as number;
  if (k !== kb) {
    throw new ShapeError("matmul", `cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)}: inner dimensions ${k} and ${kb} differ`);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (broadcastShapes(batchA, batchB) === null) {
    throw new ShapeError(
      "matmul",
      `cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)}: batch dimensions ${formatShape(batchA)} and ${formatShape(batchB)} do not broadcast`,
    );
  }
  const x = a.rank === 1 ? unsqueeze(a, 0) : a;
  const y = b.rank === 1 ? unsqueeze(b, 1) : b;
  let out = apply1(matmulOp, [x, y], {});
  if (b.rank === 1) out = squeeze(out, -1);
  if (a.rank === 1) out = squeeze(out, b.rank === 1 ? -1 : -2);
  return out;
}

/** Attributes of `gemm`: which operands enter transposed, and the scales of the product and of `c`. */
export interface GemmOptions {
  /** Use `aᵀ` (`a: [K, M]`) instead of `a` (`[M, K]`). */
  readonly transA?: boolean;
  /** Use `bᵀ` (`b: [N, K]`) instead of `b` (`[K, N]`): a `[out, in]` weight as stored by `Linear`. */
  readonly transB?: boolean;
  readonly alpha?: number;
  readonly beta?: number;
}

interface GemmAttrs {
  readonly transA: boolean;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
}

const gemmOp = defineOp<GemmAttrs>({
  name: "gemm",
  lower: (graph, inputs, { transA, transB, alpha, beta }) => {
    const [a, b] = inputs as [Tensor, Tensor];
    const m = a.shape[transA ? 1 : 0] as number;
    const n = b.shape[transB ? 0 : 1] as number;
    const attrs = { transA: attr.int(transA ? 1 : 0), transB: attr.int(transB ? 1 : 0), alpha: attr.float(alpha), beta: attr.float(beta) };
    return [graph.emit1("Gemm", inputs, [m, n], a.dtype, attrs)];
  },
  // Y = α·A'B' + β·C with A' = op(A), B' = op(B): dA' = α·G·B'ᵀ, dB' = α·A'ᵀ·G, dC = β·G (summed
  // back to C's shape by autodiff). Each is one more Gemm with the transposes as flags, so no
  // Transpose is materialized: e.g. for Linear (transB) dX = G·W and dW = Gᵀ·X.
  vjp: ({ inputs, attrs: { transA, transB, alpha, beta } }, [g]) => {
    if (!g) return inputs.map(() => null);
    const [a, b, c] = inputs as [Tensor, Tensor, Tensor | undefined];
    const scaled = { alpha };
    const dA = transA ? gemm(b, g, undefined, { ...scaled, transA: transB, transB: true }) : gemm(g, b, undefined, { ...scaled, transB: !transB });
    const dB = transB ? gemm(g, a, undefined, { ...scaled, transA: true, transB: transA }) : gemm(a, g, undefined, { ...scaled, transA: !transA });
    if (c === undefined) return [dA, dB];
    const [m, n] = g.shape as [number, number];
    if (m > 1 && c.size === n && c.shape[c.rank - 1] === n) {
      // NOTE: a bias's cotangent, the column sums of G, as the product [1, M]·G with a row of β:
      // ORT's ReduceSum over axis 0 of a [256, 512] G took 290 µs, this MatMul 20 µs.
      return [dA, dB, reshape(matmul(full(g.graph, [1, m], beta, g.dtype), g), c.shape)];
    }
    return [dA, dB, beta === 1 ? g : mul(g, beta)];
  },
});

/**
 * ONNX Gemm: `α·op(a)·op(b) + β·c` for matrices, where `op` transposes when `transA`/`transB`
 * says so. `a: [M, K]` (`[K, M]` with transA), `b: [K, N]` (`[N, K]` with transB), `c` broadcasts
 * to `[M, N]` (a bias `[N]`). The transposes are flags of the GEMM kernel, never copies, in the
 * forward pass and in the gradients alike.
 */
export function gemm(a: Tensor, b: Tensor, c?: Tensor, { transA = false, transB = false, alpha = 1, beta = 1 }: GemmOptions = {}): Tensor {
  requireFloat("gemm", a);
  const operands = `${formatShape(a.shape)}${transA ? "ᵀ" : ""} by ${formatShape(b.shape)}${transB ? "ᵀ" : ""}`;
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError("gemm", `needs two matrices, got ${operands}`);
  if (a.dtype !== b.dtype || (c !== undefined && c.dtype !== a.dtype)) {
    throw new ShapeError("gemm", `dtypes differ: ${a.dtype}, ${b.dtype}${c === undefined ? "" : `, ${c.dtype}`}`);
  }
  const k = a.shape[transA ? 0 : 1] as number;
  const kb = b.shape[transB ? 1 : 0] as number;
  if (k !== kb) throw new ShapeError("gemm", `cannot multiply ${operands}: inner dimensions ${k} and ${kb} differ`);
  const out = [a.shape[transA ? 1 : 0] as number, b.shape[transB ? 0 : 1] as number];
  // ONNX lets C broadcast to [M, N] one way only: C's own shape must not grow the output.
  if (c !== undefined && (c.rank > 2 || !sameShape(broadcastShapes(c.shape, out) ?? [], out))) {
    throw new ShapeError("gemm", `c ${formatShape(c.shape)} does not broadcast to the product's ${formatShape(out)}`);
  }
  return apply1(gemmOp, c === undefined ? [a, b] : [a, b, c], { transA, transB, alpha, beta });
}

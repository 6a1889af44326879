import { ShapeError, type Tensor, broadcastShapes, formatShape, requireFloat } from "../graph/index.js";
import { apply1, defineOp } from "./op.js";
import { reshape, squeeze, transposeLast2, unsqueeze } from "./shape.js";

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

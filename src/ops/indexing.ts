import { ShapeError, type Tensor, formatShape, normalizeAxis, onnxDataType } from "../graph/index.js";
import { apply1, defineOp } from "./op.js";
import { cast, transpose, zeros } from "./shape.js";

function requireIndices(op: string, indices: Tensor): void {
  if (indices.dtype !== "int64" && indices.dtype !== "int32") {
    throw new ShapeError(op, `indices must be int64 or int32, got ${indices.dtype}${formatShape(indices.shape)}`);
  }
}

const gatherRowsOp = defineOp<object>({
  name: "gatherRows",
  lower: (graph, [table, indices]) => {
    const t = table as Tensor;
    const i = indices as Tensor;
    return [graph.emit1("Gather", [t, i], [...i.shape, ...t.shape.slice(1)], t.dtype, { axis: { kind: "int", value: 0 } })];
  },
  // each looked-up row's cotangent is added into its row of the table; repeated indices add up
  vjp: ({ inputs: [table, indices] }, [g]) => [g ? scatterAddRows(table as Tensor, indices as Tensor, g) : null, null],
});

const scatterAddRowsOp = defineOp<object>({
  name: "scatterAddRows",
  lower: (graph, [base, indices, updates]) => {
    const b = base as Tensor;
    const i = indices as Tensor;
    const u = updates as Tensor;
    const rowShape = b.shape.slice(1);
    const flatIndex = graph.emit1("Reshape", [i, graph.int64s([-1, 1])], [i.size, 1], i.dtype);
    const flatUpdates = graph.emit1("Reshape", [u, graph.int64s([i.size, ...rowShape])], [i.size, ...rowShape], u.dtype);
    return [
      graph.emit1("ScatterND", [b, flatIndex, flatUpdates], b.shape, b.dtype, { reduction: { kind: "string", value: "add" } }),
    ];
  },
  // base passes through; each update's cotangent is the cotangent of the row it was added to
  vjp: ({ inputs: [, indices] }, [g]) => [g ?? null, null, g ? gather(g, indices as Tensor) : null],
});

/** zeros shaped like `table` with `updates[k]` added into row `indices[k]`. */
function scatterAddRows(table: Tensor, indices: Tensor, updates: Tensor): Tensor {
  // NOTE: ScatterND takes only int64 indices, while Gather also accepts int32.
  const i64 = cast(indices, "int64");
  return apply1(scatterAddRowsOp, [zeros(table.graph, table.shape, table.dtype), i64, updates], {});
}

/**
 * Takes slices of `x` along `axis` at `indices` (as `np.take`): with axis 0 this is an embedding
 * lookup, `table: [V, D]`, `indices: [B, T]` → `[B, T, D]`. Indices must lie in [0, dim).
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  requireIndices("gather", indices);
  const a = normalizeAxis(axis, x.rank, "gather");
  if (a === 0) return apply1(gatherRowsOp, [x, indices], {});
  // Move the axis to the front, gather rows, then move the gathered axes back into place.
  const front = [a, ...x.shape.map((_, i) => i).filter((i) => i !== a)];
  const rows = apply1(gatherRowsOp, [transpose(x, front), indices], {});
  const k = indices.rank;
  const perm = [
    ...Array.from({ length: a }, (_, i) => k + i),
    ...Array.from({ length: k }, (_, i) => i),
    ...Array.from({ length: x.rank - 1 - a }, (_, i) => k + a + i),
  ];
  return transpose(rows, perm);
}

interface OneHotAttrs {
  readonly depth: number;
}
const oneHotOp = defineOp<OneHotAttrs>({
  name: "oneHot",
  lower: (graph, [indices], { depth }) => {
    // NOTE: ORT's CPU OneHot has no kernel for int32 indices with int64 depth; widen them first.
    const i =
      (indices as Tensor).dtype === "int64"
        ? (indices as Tensor)
        : graph.emit1("Cast", [indices as Tensor], (indices as Tensor).shape, "int64", { to: { kind: "int", value: onnxDataType.int64 } });
    const values = graph.constant([0, 1], [2], "float32");
    return [
      graph.emit1("OneHot", [i, graph.int64s([depth]), values], [...i.shape, depth], "float32", {
        axis: { kind: "int", value: -1 },
      }),
    ];
  },
  vjp: "nondifferentiable",
});

/** `[..., depth]` float32 one-hot rows of integer class indices. */
export function oneHot(indices: Tensor, depth: number): Tensor {
  requireIndices("oneHot", indices);
  if (!Number.isInteger(depth) || depth < 1) throw new ShapeError("oneHot", `depth must be a positive integer, got ${depth}`);
  return apply1(oneHotOp, [indices], { depth });
}


import { type DType, type Graph, ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { add, cast, equal, matmul, mul, reshape, softmax, split, transpose, transposeLast2 } from "../ops/index.js";
import type { Rng } from "../random/rng.js";
import { Dropout } from "./dropout.js";
import { Linear } from "./linear.js";
import { AbstractModule, type ForwardContext } from "./module.js";

export interface AttentionOptions {
  /** Each position attends only to itself and earlier positions (a GPT-style decoder). */
  readonly causal?: boolean;
  /** Biases on the qkv and output projections (default true, as PyTorch's `nn.Linear`). */
  readonly bias?: boolean;
  /** Dropout on the attention probabilities (BERT and GPT-2 use 0.1); 0 by default. */
  readonly dropout?: number;
}

/**
 * NOTE: masked scores get a large negative number added rather than −∞. exp(−1e9 − max) is exactly
 * 0 in float32 and float64, so every row with an unmasked entry (all rows of a causal mask) gets
 * the same softmax as with −∞; but a row masked entirely would be −∞ − (−∞) = NaN under −∞ and
 * poison the whole backward pass, where here it degrades to a uniform row. An additive constant
 * is also one Add whose VJP passes the cotangent through, with no boolean tensor in the graph.
 */
const MASKED = -1e9;

const causalMasks = new WeakMap<Graph, Map<string, Tensor>>();

/**
 * The key bias that keeps every query from attending to padding: `ids: [B, T]` → `[B, 1, 1, T]`,
 * `MASKED` where `ids` is `padId` and 0 elsewhere (a constant of the graph: no gradient).
 */
export function paddingBias(ids: Tensor, padId: number, dtype: DType = "float32"): Tensor {
  const [b, t] = ids.shape as [number, number];
  const isPad = cast(equal(ids, ids.graph.constant([padId], [], ids.dtype)), dtype); // [B, T]
  return reshape(mul(isPad, MASKED), [b, 1, 1, t]);
}

/** A constant `[T, T]` that is 0 on and below the diagonal and `MASKED` above it; one per graph, size and dtype. */
function causalMask(graph: Graph, t: number, dtype: DType): Tensor {
  let perGraph = causalMasks.get(graph);
  if (perGraph === undefined) causalMasks.set(graph, (perGraph = new Map()));
  const key = `${t}:${dtype}`;
  let mask = perGraph.get(key);
  if (mask === undefined) {
    const values = new Float64Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) values[i * t + j] = MASKED;
    mask = graph.constant(values, [t, t], dtype);
    perGraph.set(key, mask);
  }
  return mask;
}

/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017): `x: [B, T, dModel]` →
 * `[B, T, dModel]`. Queries, keys and values come from one fused Linear `qkv` (dModel → 3·dModel),
 * as the anchor's transformer block and nanoGPT; the heads are merged by `proj`.
 */
export class MultiHeadSelfAttention extends AbstractModule {
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly causal: boolean;
  readonly dropout: Dropout;

  constructor(
    readonly dModel: number,
    readonly heads: number,
    rng: Rng,
    { causal = false, bias = true, dropout = 0 }: AttentionOptions = {},
  ) {
    super();
    if (dModel % heads !== 0) throw new ShapeError("MultiHeadSelfAttention", `dModel ${dModel} is not divisible by ${heads} heads`);
    this.qkv = new Linear(dModel, 3 * dModel, rng, { bias });
    this.proj = new Linear(dModel, dModel, rng, { bias });
    this.causal = causal;
    this.dropout = new Dropout(dropout);
  }

  /**
   * @param x `[B, T, dModel]`
   * @param keyBias `[B, 1, 1, T]` added to every query's scores: 0 for keys to attend to and
   *   `MASKED` for padding (`paddingBias`); none by default
   */
  call(ctx: ForwardContext, x: Tensor, keyBias?: Tensor): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dModel) {
      throw new ShapeError("MultiHeadSelfAttention", `expects [B, T, ${this.dModel}], got ${formatShape(x.shape)}`);
    }
    const [b, t] = x.shape as [number, number, number];
    const hd = this.dModel / this.heads;
    const toHeads = (y: Tensor) => transpose(reshape(y, [b, t, this.heads, hd]), [0, 2, 1, 3]); // [B, H, T, hd]
    const [q, k, v] = split(this.qkv.call(ctx, x), 3, 2).map(toHeads) as [Tensor, Tensor, Tensor];
    let scores = mul(matmul(q, transposeLast2(k)), 1 / Math.sqrt(hd)); // [B, H, T, T]
    if (this.causal) scores = add(scores, causalMask(x.graph, t, x.dtype));
    if (keyBias !== undefined) scores = add(scores, keyBias);
    const y = matmul(this.dropout.call(ctx, softmax(scores, -1)), v); // [B, H, T, hd]
    return this.proj.call(ctx, reshape(transpose(y, [0, 2, 1, 3]), [b, t, this.dModel])); // [B, T, dModel]
  }
}

import { Graph, ShapeError, type Tensor } from "../graph/index.js";
import { BoundContext, type Linear, type TransformerEncoder, bindModule } from "../nn/index.js";
import { add, concat, defineOp, gather, gelu, matmul, mul, reshape, softmax, split, transpose, transposeLast2 } from "../ops/index.js";
import { type CompileOptions, type HostTensor, Program, hostTensor } from "../runtime/index.js";

/** A causal language model as the decoder reads it; `TinyGpt` is one. */
export interface CausalLm {
  /** A causal `TransformerEncoder`: the decoder's attention lets each position see only earlier ones. */
  readonly transformer: TransformerEncoder;
  /** Features → next-token logits. */
  readonly head: Linear;
}

export interface KvCacheDecoderOptions {
  /** Sequences decoded side by side; they share one position. Default 1. */
  readonly batch?: number;
  /**
   * Tokens per prefill call: a second program feeds this many tokens at once (a prompt, or the
   * window re-encoded at the context limit). 1: no prefill program, every token its own call.
   * Default min(64, context): on the bench's LM a 64-token prefill call took ~1.1 ms, against
   * ~0.13 ms per single-token call.
   */
  readonly prefillLength?: number;
  /**
   * Session options. NOTE: one thread unless said otherwise: a step is ~100 kernels on tiny
   * tensors, and waking a second thread for each cost more than it gave (bench's LM, 2-core VM:
   * 0.13 ms per token on one thread against 0.22 ms on two; a 64-token prefill 1.0 against 1.3 ms).
   */
  readonly compile?: CompileOptions;
}

// NOTE: as in MultiHeadSelfAttention, masked scores get a large negative number rather than −∞:
// exp(−1e9 − max) is exactly 0 in float32, so the visible slots get the same softmax as with −∞.
const MASKED = -1e9;

/**
 * Fewest tokens fed as one padded prefill call rather than one call each: a 64-token prefill
 * cost about as much as 8–9 single-token calls on the bench's LM (1.1 vs 0.13 ms).
 */
const PAD_PREFILL_FROM = 8;

const scatterRowsOp = defineOp<object>({
  name: "generate.scatterRows",
  lower: (graph, [data, indices, updates]) => {
    const d = data as Tensor;
    return [graph.emit1("ScatterND", [d, indices as Tensor, updates as Tensor], d.shape, d.dtype)];
  },
  vjp: "nondifferentiable",
});

/** Graph input names of layer `l`'s caches. */
const keyName = (l: number) => `cache.${l}.key`;
const valueName = (l: number) => `cache.${l}.value`;

/** The sizes the decoder needs of a model; throws on a model it cannot decode. */
function dimensions({ transformer, head }: CausalLm): { context: number; dModel: number; heads: number; headDim: number; layers: number; vocab: number } {
  const first = transformer.blocks[0];
  if (first === undefined) throw new ShapeError("KvCacheDecoder", "the transformer has no blocks");
  if (!first.attn.causal) throw new ShapeError("KvCacheDecoder", "the transformer is not causal: a key/value cache decodes only causal attention");
  if (head.inFeatures !== transformer.outputDim) throw new ShapeError("KvCacheDecoder", `the head takes ${head.inFeatures} features, the transformer gives ${transformer.outputDim}`);
  const { heads, dModel } = first.attn;
  return { context: transformer.context, dModel, heads, headDim: dModel / heads, layers: transformer.blocks.length, vocab: head.outFeatures };
}

/**
 * One decoding step over `t` new tokens per sequence, eval mode, weights as constants. Inputs:
 * `ids: [B, t]`, `positions: [t]`, `cache.index: [B, H, t, 3]` (the (b, h, position) of every new
 * row), `cache.keyBias: [B, 1, 1, C]` if the encoder masks padding, `cache.l.key` / `cache.l.value:
 * [B, H, C, hd]`. Outputs: `logits: [B·t, V]` and
 * `kv: [L·2·B, H, t, hd]`, the new keys and values of every layer (key, value per layer).
 */
function traceStep(model: CausalLm, batch: number, t: number): { graph: Graph; inputs: Tensor[]; outputs: Record<string, Tensor> } {
  const { transformer, head } = model;
  const { context: c, dModel: d, heads, headDim: hd } = dimensions(model);
  const graph = new Graph();
  const bind = (module: TransformerEncoder | Linear, prefix: string) => bindModule(graph, module, { parameters: "constant", state: "constant", prefix }).bindings;
  const ctx = new BoundContext(false, new Map([...bind(transformer, "transformer"), ...bind(head, "head")]));
  const ids = graph.input("ids", [batch, t], "int64");
  const positions = graph.input("positions", [t], "int64");
  const index = graph.input("cache.index", [batch, heads, t, 3], "int64");
  const inputs = [ids, positions, index];

  // Row p of the table lets position p see slots 0..p; the slots past it hold stale values or none.
  const table = new Float32Array(c * c);
  for (let i = 0; i < c; i++) for (let j = i + 1; j < c; j++) table[i * c + j] = MASKED;
  let mask = gather(graph.constant(table, [c, c], "float32"), positions); // [t, C]
  if (transformer.padId !== null) {
    // The encoder's padding mask: MASKED on the slots that hold its padId, kept on the host.
    const keyBias = graph.input("cache.keyBias", [batch, 1, 1, c]);
    inputs.push(keyBias);
    mask = add(mask, keyBias); // [B, 1, t, C]
  }
  // qkv [B·t, 3d] as [B, 3H, t, hd], then split into q, k, v [B, H, t, hd]: one Reshape (and a
  // Transpose for t > 1) per layer rather than one per q, k and v. With t = 1, [B, 1, 3H, hd] and
  // [B, 3H, 1, hd] are the same bytes, so a Reshape does it alone.
  const toHeads = (qkv: Tensor) =>
    split(t === 1 ? reshape(qkv, [batch, 3 * heads, 1, hd]) : transpose(reshape(qkv, [batch, t, 3 * heads, hd]), [0, 2, 1, 3]), 3, 1);
  const fromHeads = (y: Tensor) => (t === 1 ? reshape(y, [batch, d]) : reshape(transpose(y, [0, 2, 1, 3]), [batch * t, d])); // [B·t, d]

  // The residual stream is kept as [B·t, d], so every Linear is one Gemm on rank-2 rows with no
  // Reshape around it: Reshapes per single-token step on the bench's LM 50 → 9 (of 96 nodes).
  let x = reshape(add(transformer.tok.call(ctx, ids), transformer.pos.call(ctx, positions)), [batch * t, d]); // [B·t, d]
  const rows: Tensor[] = [];
  transformer.blocks.forEach((block, l) => {
    const keysIn = graph.input(keyName(l), [batch, heads, c, hd]);
    const valuesIn = graph.input(valueName(l), [batch, heads, c, hd]);
    inputs.push(keysIn, valuesIn);
    const [q, k, v] = toHeads(block.attn.qkv.call(ctx, block.ln1.call(ctx, x))) as [Tensor, Tensor, Tensor]; // [B, H, t, hd]
    rows.push(k, v);
    // The new rows written at their positions, so that each new token also sees itself and the
    // new tokens before it. ScatterND copies the cache once; a one-hot blend (3 passes, 2 more
    // nodes per cache) made a step 0.26–0.36 ms against 0.19–0.32 (measured with the caches
    // still fetched, at 2 threads).
    const keys = scatterRowsOp.apply([keysIn, index, k], {})[0] as Tensor; // [B, H, C, hd]
    const values = scatterRowsOp.apply([valuesIn, index, v], {})[0] as Tensor;
    const scores = add(mul(matmul(q, transposeLast2(keys)), 1 / Math.sqrt(hd)), mask); // [B, H, t, C]
    const y = fromHeads(matmul(softmax(scores, -1), values)); // [B·t, d]
    const h = add(x, block.attn.proj.call(ctx, y));
    x = add(h, block.fc2.call(ctx, gelu(block.fc1.call(ctx, block.ln2.call(ctx, h))))); // [B·t, d]
  });
  const logits = head.call(ctx, transformer.ln.call(ctx, x)); // [B·t, V]
  return { graph, inputs, outputs: { logits, kv: concat(rows, 0) } };
}

/**
 * Incremental decoding of a causal `TransformerEncoder` and its head with a key/value cache.
 *
 * Each call feeds the next token(s) of every sequence, their positions and every layer's keys and
 * values of the earlier positions (`[B, heads, context, headDim]` per layer, static), and returns
 * the logits of the next token. Inside the call the new keys and values are written at their
 * positions and the slots past them are masked out of attention; only these new rows come back,
 * and the host writes them into its caches. (Fetching the 8 caches of the bench's LM, 64 KB each,
 * cost ~230 µs per call in a probe: more than the whole step costs now, ~125 µs.)
 * The math is `TransformerBlock`'s (pre-LN, fused qkv, the same scaling and gelu), with the
 * modules' own `call` for every position-wise part; an encoder with a `padId` has the slots that
 * hold it masked out as keys, as its padding mask does (except for a query that sees only padding,
 * whose scores are all masked: the encoder then spreads it over masked keys, later ones included).
 * Eval mode (dropout off), weights baked in as constants: compile again after training further.
 */
export class KvCacheDecoder {
  readonly batch: number;
  readonly context: number;
  readonly vocabSize: number;
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
  /** Tokens per prefill call; 1 when there is no prefill program. */
  readonly prefillLength: number;
  #position = 0;
  /** A feed is running: the caches and position are being written. */
  #feeding = false;
  /** Host caches by graph input name, fed every call (feeds are not copied) and written in place. */
  readonly #caches: Record<string, HostTensor<"float32">> = {};
  /** The encoder's padding id and `cache.keyBias`, MASKED on the slots holding it; null without one. */
  readonly #padding: { readonly id: number; readonly keyBias: HostTensor<"float32"> } | null;

  private constructor(
    model: CausalLm,
    batch: number,
    prefillLength: number,
    private readonly decodeProgram: Program,
    private readonly prefillProgram: Program | null,
  ) {
    const { context, heads, headDim, layers, vocab } = dimensions(model);
    this.batch = batch;
    this.context = context;
    this.vocabSize = vocab;
    this.layers = layers;
    this.heads = heads;
    this.headDim = headDim;
    this.prefillLength = prefillLength;
    const shape = [batch, heads, context, headDim];
    for (let l = 0; l < layers; l++) {
      for (const name of [keyName(l), valueName(l)]) this.#caches[name] = hostTensor("float32", shape, new Float32Array(batch * heads * context * headDim));
    }
    const padId = model.transformer.padId;
    this.#padding = padId === null ? null : { id: padId, keyBias: hostTensor("float32", [batch, 1, 1, context], new Float32Array(batch * context)) };
  }

  /** Traces and compiles the single-token program and, unless `prefillLength` is 1, the prefill program. */
  static async compile(model: CausalLm, options: KvCacheDecoderOptions = {}): Promise<KvCacheDecoder> {
    const { batch = 1, compile = {} } = options;
    const { context } = dimensions(model);
    const prefillLength = options.prefillLength ?? Math.min(64, context);
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`KvCacheDecoder: batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(prefillLength) || prefillLength < 1 || prefillLength > context) {
      throw new Error(`KvCacheDecoder: prefillLength must be an integer from 1 to the context (${context}), got ${prefillLength}`);
    }
    const build = (t: number) => {
      const { graph, inputs, outputs } = traceStep(model, batch, t);
      return Program.compile(graph, { inputs, outputs }, { threads: 1, ...compile });
    };
    const [decode, prefill] = await Promise.all([build(1), prefillLength > 1 ? build(prefillLength) : null]);
    return new KvCacheDecoder(model, batch, prefillLength, decode, prefill);
  }

  /** The position the next token fed takes: the number of tokens in the cache. */
  get position(): number {
    return this.#position;
  }

  /** Empties the cache: the next token fed takes position 0. (Stale slots stay; they are masked.) */
  reset(): void {
    if (this.#feeding) throw new Error("reset: a feed is still running; await it first");
    this.#position = 0;
  }

  /**
   * Feeds `n` tokens per sequence at positions `position..position + n − 1` and returns the logits
   * that follow each, `[B, n, V]` row-major. `ids: [B, n]` row-major; `position + n` must not pass
   * the context. Whole prefill windows go as prefill calls; a remainder of 8 tokens or more goes as
   * one prefill call padded at its end when the padding fits in the context (the padding's rows
   * are not kept), and the rest one call per token.
   */
  async feed(ids: ArrayLike<number>, n = ids.length / this.batch): Promise<Float32Array> {
    if (this.#feeding) throw new Error("feed: the previous feed is still running; await it first");
    const b = this.batch;
    if (!Number.isInteger(n) || n < 1 || ids.length !== b * n) throw new Error(`feed: expects [${b}, n] ids row-major (n >= 1), got ${ids.length} ids for ${n} per sequence`);
    if (this.#position + n > this.context) throw new Error(`feed: ${n} tokens at position ${this.#position} pass the context of ${this.context}`);
    const v = this.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (!Number.isInteger(id) || id < 0 || id >= v) throw new Error(`feed: token id ${id} is not in [0, ${v})`);
    }
    this.#feeding = true;
    try {
      return await this.#feedChunks(ids, n);
    } finally {
      this.#feeding = false;
    }
  }

  async #feedChunks(ids: ArrayLike<number>, n: number): Promise<Float32Array> {
    const { batch: b, vocabSize: v } = this;
    const out = new Float32Array(b * n * v);
    for (let done = 0; done < n; ) {
      const left = n - done;
      const tp = this.prefillLength;
      const prefill = this.prefillProgram !== null && (left >= tp || (left >= PAD_PREFILL_FROM && this.#position + tp <= this.context));
      const t = prefill ? tp : 1;
      const used = Math.min(t, left);
      const chunk = new BigInt64Array(b * t); // padded with token 0
      for (let r = 0; r < b; r++) for (let i = 0; i < used; i++) chunk[r * t + i] = BigInt(ids[r * n + done + i] as number);
      const logits = await this.#run(prefill ? (this.prefillProgram as Program) : this.decodeProgram, chunk, t, used);
      for (let r = 0; r < b; r++) out.set(logits.subarray(r * t * v, (r * t + used) * v), (r * n + done) * v);
      done += used;
    }
    return out;
  }

  /** Runs one program on `t` tokens per sequence, of which the first `used` are real. */
  async #run(program: Program, ids: BigInt64Array, t: number, used: number): Promise<Float32Array> {
    const { batch: b, heads, headDim: hd, context: c } = this;
    const p = this.#position;
    const positions = new BigInt64Array(t);
    for (let i = 0; i < t; i++) positions[i] = BigInt(p + i);
    const padding = this.#padding;
    if (padding !== null) {
      // Before the call: the new tokens attend to each other. (Padding rows past `used` are set too;
      // no real token sees those slots before they are written again.)
      const bias = padding.keyBias.data;
      for (let r = 0; r < b; r++) for (let i = 0; i < t; i++) bias[r * c + p + i] = ids[r * t + i] === BigInt(padding.id) ? MASKED : 0;
    }
    const index = new BigInt64Array(b * heads * t * 3);
    for (let r = 0, o = 0; r < b; r++) {
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < t; i++, o += 3) {
          index[o] = BigInt(r);
          index[o + 1] = BigInt(h);
          index[o + 2] = BigInt(p + i);
        }
      }
    }
    const result = await program.run({
      ids: hostTensor("int64", [b, t], ids),
      positions: hostTensor("int64", [t], positions),
      "cache.index": hostTensor("int64", [b, heads, t, 3], index),
      ...(padding === null ? {} : { "cache.keyBias": padding.keyBias }),
      ...this.#caches,
    });
    // kv: [L·2·B, H, t, hd]; the first `used` rows of each (layer, kind, b, h) are contiguous in
    // the cache [B, H, C, hd] from slot p on.
    const kv = (result.kv as HostTensor<"float32">).data;
    for (let l = 0; l < this.layers; l++) {
      for (const [kind, name] of [keyName(l), valueName(l)].entries()) {
        const cache = (this.#caches[name] as HostTensor<"float32">).data;
        for (let bh = 0; bh < b * heads; bh++) {
          const from = (((2 * l + kind) * b * heads + bh) * t) * hd;
          cache.set(kv.subarray(from, from + used * hd), (bh * c + p) * hd);
        }
      }
    }
    this.#position = p + used;
    return (result.logits as HostTensor<"float32">).data;
  }

  async release(): Promise<void> {
    await Promise.all([this.decodeProgram.release(), this.prefillProgram?.release()]);
  }
}

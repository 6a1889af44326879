import { grad } from "../../src/autodiff/index.js";
import { Graph, type Tensor } from "../../src/graph/index.js";
import { add, div, logSoftmax, matmul, mul, neg, relu, sum } from "../../src/ops/index.js";
import { Rng } from "../../src/random/rng.js";
import { type HostTensor, float32 } from "../../src/runtime/index.js";

/** A traced MLP classifier step: inputs, the mean cross-entropy loss and its parameter gradients. */
export interface MlpStep {
  readonly graph: Graph;
  readonly inputs: Tensor[];
  readonly loss: Tensor;
  readonly logits: Tensor;
  readonly grads: Record<string, Tensor>;
  /** Random feeds for every input: normal data, scaled weights, one-hot labels. */
  feeds(seed: number): Record<string, HostTensor>;
}

/**
 * `sizes = [in, hidden..., classes]`: Linear → ReLU between each pair, log-softmax cross-entropy
 * against one-hot labels at the end; parameters are graph inputs `w0, b0, w1, b1, …`.
 */
export function mlpStep(sizes: readonly number[], batch: number): MlpStep {
  const graph = new Graph();
  const x = graph.input("x", [batch, sizes[0] as number]);
  const classes = sizes[sizes.length - 1] as number;
  const labels = graph.input("labels", [batch, classes]);
  const params: Tensor[] = [];
  let h = x;
  for (let i = 0; i + 1 < sizes.length; i++) {
    const w = graph.input(`w${i}`, [sizes[i] as number, sizes[i + 1] as number]);
    const b = graph.input(`b${i}`, [sizes[i + 1] as number]);
    params.push(w, b);
    h = add(matmul(h, w), b); // [batch, sizes[i + 1]]
    if (i + 2 < sizes.length) h = relu(h);
  }
  const logits = h;
  const loss = div(neg(sum(mul(labels, logSoftmax(logits)))), batch);
  const gradList = grad(loss, params);
  const grads = Object.fromEntries(params.map((p, i) => [`d_${p.name}`, gradList[i] as Tensor]));
  const inputs = [x, labels, ...params];
  return {
    graph,
    inputs,
    loss,
    logits,
    grads,
    feeds(seed) {
      const rng = new Rng(seed);
      const out: Record<string, HostTensor> = {};
      for (const t of inputs) {
        if (t === labels) {
          const onehot = new Float32Array(t.size);
          for (let r = 0; r < batch; r++) onehot[r * classes + rng.int(classes)] = 1;
          out[t.name] = float32(t.shape, onehot);
        } else {
          // He-style scale keeps activations O(1) however deep the net is.
          const scale = t.name.startsWith("w") ? Math.sqrt(2 / (t.shape[0] as number)) : t.name.startsWith("b") ? 0.1 : 1;
          out[t.name] = float32(t.shape, rng.normalArray(t.size, 0, scale));
        }
      }
      return out;
    },
  };
}

/**
 * The largest elementwise |a - b| relative to b's largest magnitude: summation order differs between
 * kernels, so elements that cancel to near zero are judged against the tensor's scale, not their own.
 */
export function maxRelativeError(a: HostTensor, b: HostTensor): number {
  const x = a.data as Float32Array | Float64Array;
  const y = b.data as Float32Array | Float64Array;
  if (x.length !== y.length) return Number.POSITIVE_INFINITY;
  let scale = 0;
  for (const v of y) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
  return scale > 0 ? worst / scale : worst;
}

import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { Graph, type Tensor } from "../../src/graph/index.js";
import * as ops from "../../src/ops/index.js";
import { type HostTensor, Program, hostTensor } from "../../src/runtime/index.js";
import { type StoredTensor, readSafetensors } from "../../src/train/safetensors.js";

// Written by test/fixtures/pytorch/small_cnn_grads.py (PyTorch 1.13): the anchors' small CNN with a
// linear classifier, batch norm in training mode, mean cross-entropy, batch of 8.
const fixturePath = fileURLToPath(new URL("../fixtures/small-cnn-grads.safetensors", import.meta.url));

/** PyTorch's parameter names in the order of `model.named_parameters()`. */
const convLayers = [0, 3, 7, 10, 14];
const bnLayers = [1, 4, 8, 11, 15];
const parameterNames = [
  ...convLayers.flatMap((c, i) => [`0.${c}.weight`, `0.${bnLayers[i]}.weight`, `0.${bnLayers[i]}.bias`]),
  "1.weight",
  "1.bias",
];

/** The traced model: the same layers, built from pretext ops over named parameter inputs. */
function smallCnnLoss(params: Map<string, Tensor>, running: Map<string, Tensor>, x: Tensor, labels: Tensor) {
  const p = (name: string) => params.get(name) as Tensor;
  let h = x;
  const newRunning = new Map<string, Tensor>();
  convLayers.forEach((c, i) => {
    const bn = `0.${bnLayers[i]}`;
    h = ops.conv2d(h, p(`0.${c}.weight`), undefined, { padding: 1 });
    const r = ops.batchNorm(h, p(`${bn}.weight`), p(`${bn}.bias`), running.get(`${bn}.running_mean`) as Tensor, running.get(`${bn}.running_var`) as Tensor, {
      training: true,
    });
    newRunning.set(`${bn}.running_mean`, r.runningMean);
    newRunning.set(`${bn}.running_var`, r.runningVar);
    h = ops.relu(r.y);
    if (i === 1 || i === 3) h = ops.maxPool2d(h, { kernel: 2 });
  });
  const features = ops.globalAvgPool2d(h); // [N, 128]
  const logits = ops.add(ops.matmul(features, ops.transpose(p("1.weight"))), p("1.bias")); // [N, 10]
  return { loss: ops.crossEntropyWithLogits(logits, labels), logits, newRunning };
}

function relativeError(ours: ArrayLike<number>, theirs: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < theirs.length; i++) {
    diff += ((ours[i] as number) - (theirs[i] as number)) ** 2;
    norm += (theirs[i] as number) ** 2;
  }
  return Math.sqrt(diff / norm);
}

describe("the small CNN's traced forward and backward match PyTorch on the same weights and batch", () => {
  let fixture: Map<string, StoredTensor>;
  let results: Record<string, HostTensor>;

  beforeAll(async () => {
    fixture = (await readSafetensors(fixturePath)).tensors;
    const t = (name: string) => fixture.get(name) as StoredTensor;
    const graph = new Graph();
    const params = new Map(parameterNames.map((n) => [n, graph.input(`weight.${n}`, t(`weight.${n}`).shape)]));
    const running = new Map<string, Tensor>();
    for (const b of bnLayers) {
      running.set(`0.${b}.running_mean`, graph.constant(new Float32Array(t(`buffer.0.${b}.running_mean`).shape[0] as number), [t(`buffer.0.${b}.running_mean`).shape[0] as number]));
      running.set(`0.${b}.running_var`, graph.constant(new Float32Array(t(`buffer.0.${b}.running_var`).shape[0] as number).fill(1), [t(`buffer.0.${b}.running_var`).shape[0] as number]));
    }
    const x = graph.input("input", t("input").shape);
    const labels = graph.input("labels", t("labels").shape, "int64");
    const { loss, logits, newRunning } = smallCnnLoss(params, running, x, labels);
    const grads = grad(loss, [...params.values()]);
    const outputs: Record<string, Tensor> = { loss, logits };
    parameterNames.forEach((n, i) => (outputs[`grad.${n}`] = grads[i] as Tensor));
    for (const [k, v] of newRunning) outputs[`buffer.${k}`] = v;
    const program = await Program.compile(graph, { inputs: [...params.values(), x, labels], outputs });
    const feeds: Record<string, HostTensor> = {
      input: hostTensor("float32", t("input").shape, t("input").data as Float32Array),
      labels: hostTensor("int64", t("labels").shape, t("labels").data as BigInt64Array),
    };
    for (const n of parameterNames) feeds[`weight.${n}`] = hostTensor("float32", t(`weight.${n}`).shape, t(`weight.${n}`).data as Float32Array);
    results = await program.run(feeds);
    await program.release();
  });

  it("loss and logits", () => {
    const loss = Number((results.loss as HostTensor).data[0]);
    expect(Math.abs(loss - Number((fixture.get("loss") as StoredTensor).data[0]))).toBeLessThan(1e-5);
    expect(relativeError((results.logits as HostTensor).data as Float32Array, (fixture.get("logits") as StoredTensor).data as Float32Array)).toBeLessThan(1e-5);
  });

  it("every parameter's gradient to 1e-4 relative error", () => {
    for (const n of parameterNames) {
      const err = relativeError((results[`grad.${n}`] as HostTensor).data as Float32Array, (fixture.get(`grad.${n}`) as StoredTensor).data as Float32Array);
      expect(err, `gradient of ${n}`).toBeLessThan(1e-4);
    }
  });

  it("batch norm running statistics after the step", () => {
    for (const b of bnLayers) {
      for (const s of ["running_mean", "running_var"]) {
        const name = `buffer.0.${b}.${s}`;
        const err = relativeError((results[name] as HostTensor).data as Float32Array, (fixture.get(name) as StoredTensor).data as Float32Array);
        expect(err, name).toBeLessThan(1e-5);
      }
    }
  });
});

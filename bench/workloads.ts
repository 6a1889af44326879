/**
 * The five benchmark workloads of `npm run bench`, each the same model, batch and optimizer as
 * bench/pytorch/reference.py: (a) supervised small CNN, (b) SimCLR step, (c) MLP autoencoder,
 * (d) TinyGpt language model, (e) SmallCnn eval inference, (f) the MLM method's step
 * (bench/mlm-workload.ts), (g) the BYOL-A method's step (bench/byol-a-workload.ts), (h) the SCARF
 * method's step (bench/scarf-workload.ts), (i) SimCLR with the `vit` encoder (bench/vit-workload.ts).
 */
import { Graph, type Tensor } from "../src/graph/index.js";
import { BoundContext, Linear, SmallCnn, TinyGpt, anchorLmOptions, bindModule } from "../src/nn/index.js";
import { add, crossEntropyWithLogits, l2Normalize, matmul, mseLoss, mul, relu, reshape, sigmoid, slice, transpose } from "../src/ops/index.js";
import { adam } from "../src/optim/index.js";
import { Rng } from "../src/random/rng.js";
import { type CompileOptions, type HostTensor, Program, hostTensor } from "../src/runtime/index.js";
import { stepsPerCall } from "../src/train/fit.js";
import { TrainStep } from "../src/train/train-step.js";
import { buildByolAStep } from "./byol-a-workload.js";
import { buildMlmStep } from "./mlm-workload.js";
import { buildScarfStep } from "./scarf-workload.js";
import { buildVitStep } from "./vit-workload.js";

export type WorkloadName = "supervised" | "simclr" | "ae" | "lm" | "infer" | "mlm" | "byol-a" | "scarf" | "vit";
export const workloadNames: readonly WorkloadName[] = ["supervised", "simclr", "ae", "lm", "infer", "mlm", "byol-a", "scarf", "vit"];

/**
 * A compiled workload: `step` makes one call into the runtime (one inference batch, or training
 * steps grouped as `fit` groups them) and says how many images, tokens or clips it processed.
 */
export interface Workload {
  readonly unit: "images/s" | "tokens/s" | "clips/s" | "rows/s";
  step(): Promise<number>;
  release(): Promise<void>;
}

const int64s = (n: number, f: (i: number) => number) => BigInt64Array.from({ length: n }, (_, i) => BigInt(f(i)));

/**
 * Wraps a TrainStep with fixed feeds, calling it as `fit` does: one step first, then as many
 * steps per call as the last call's step time puts in about a quarter second (`stepsPerCall`), up to
 * the step's `stepsPerRun`.
 */
function trainWorkload<B extends string>(step: TrainStep<B>, feeds: Readonly<Record<B, HostTensor>>, unit: Workload["unit"], perStep: number): Workload {
  let secondsPerStep: number | null = null;
  return {
    unit,
    step: async () => {
      const steps = secondsPerStep === null ? 1 : stepsPerCall(secondsPerStep, step.stepsPerRun);
      const t0 = performance.now();
      await step.runSteps(new Array(steps).fill(feeds));
      secondsPerStep = (performance.now() - t0) / 1000 / steps;
      return steps * perStep;
    },
    release: () => step.release(),
  };
}

export async function buildWorkload(name: WorkloadName, compile: CompileOptions = {}): Promise<Workload> {
  const rng = new Rng(0);
  switch (name) {
    case "supervised": {
      const B = 256;
      const encoder = new SmallCnn(rng);
      const classifier = new Linear(128, 10, rng);
      const step = await TrainStep.compile({
        modules: { encoder, classifier },
        batch: { x: { shape: [B, 1, 28, 28] }, y: { shape: [B], dtype: "int64" } },
        loss: (ctx, { x, y }) => ({ loss: crossEntropyWithLogits(classifier.call(ctx, encoder.call(ctx, x)), y) }),
        optimizer: adam({ lr: 1e-3 }),
        compile,
      });
      const feeds = { x: hostTensor("float32", [B, 1, 28, 28], rng.uniformArray(B * 784)), y: hostTensor("int64", [B], int64s(B, (i) => i % 10)) };
      return trainWorkload(step, feeds, "images/s", B);
    }
    case "simclr": {
      const B = 256;
      const temperature = 0.5;
      const encoder = new SmallCnn(rng);
      const fc1 = new Linear(128, 128, rng);
      const fc2 = new Linear(128, 64, rng);
      const step = await TrainStep.compile({
        modules: { encoder, fc1, fc2 },
        batch: { views: { shape: [2 * B, 1, 28, 28] } },
        loss: (ctx, { views }) => {
          const z = l2Normalize(fc2.call(ctx, relu(fc1.call(ctx, encoder.call(ctx, views))))); // [2B, 64]
          const sim = mul(matmul(z, transpose(z)), 1 / temperature); // [2B, 2B]
          // The diagonal (each view with itself) is masked with a large negative, as PyTorch's -inf.
          const mask = new Float32Array(4 * B * B);
          for (let i = 0; i < 2 * B; i++) mask[i * 2 * B + i] = -1e9;
          const logits = add(sim, z.graph.constant(mask, [2 * B, 2 * B]));
          const target = z.graph.constant(int64s(2 * B, (i) => (i + B) % (2 * B)), [2 * B], "int64");
          return { loss: crossEntropyWithLogits(logits, target) };
        },
        optimizer: adam({ lr: 1e-3 }),
        compile,
      });
      return trainWorkload(step, { views: hostTensor("float32", [2 * B, 1, 28, 28], rng.uniformArray(2 * B * 784)) }, "images/s", B);
    }
    case "ae": {
      const B = 256;
      const l1 = new Linear(784, 512, rng);
      const l2 = new Linear(512, 128, rng);
      const l3 = new Linear(128, 512, rng);
      const l4 = new Linear(512, 784, rng);
      const step = await TrainStep.compile({
        modules: { l1, l2, l3, l4 },
        batch: { x: { shape: [B, 784] } },
        loss: (ctx, { x }) => {
          const code = l2.call(ctx, relu(l1.call(ctx, x)));
          const out = sigmoid(l4.call(ctx, relu(l3.call(ctx, code))));
          return { loss: mseLoss(out, x) };
        },
        optimizer: adam({ lr: 1e-3 }),
        compile,
      });
      return trainWorkload(step, { x: hostTensor("float32", [B, 784], rng.uniformArray(B * 784)) }, "images/s", B);
    }
    case "lm": {
      const B = 64;
      const T = anchorLmOptions.context;
      const V = anchorLmOptions.vocabSize;
      const model = new TinyGpt(rng, anchorLmOptions);
      const step = await TrainStep.compile({
        modules: { model },
        batch: { ids: { shape: [B, T + 1], dtype: "int64" } },
        loss: (ctx, { ids }) => {
          const logits = model.call(ctx, slice(ids, [0], [T], [1])); // [B, T, V]
          const targets = reshape(slice(ids, [1], [T + 1], [1]), [B * T]);
          return { loss: crossEntropyWithLogits(reshape(logits, [B * T, V]), targets) };
        },
        optimizer: adam({ lr: 3e-4 }),
        compile,
      });
      const ids = hostTensor("int64", [B, T + 1], int64s(B * (T + 1), () => Math.floor(rng.uniform() * V)));
      return trainWorkload(step, { ids }, "tokens/s", B * T);
    }
    case "mlm": {
      const { step, feeds, tokensPerStep } = await buildMlmStep(compile);
      return trainWorkload(step, feeds, "tokens/s", tokensPerStep);
    }
    case "byol-a": {
      const { step, feeds, clipsPerStep } = await buildByolAStep(compile);
      return trainWorkload(step, feeds, "clips/s", clipsPerStep);
    }
    case "scarf": {
      const { step, feeds, rowsPerStep } = await buildScarfStep(compile);
      return trainWorkload(step, feeds, "rows/s", rowsPerStep);
    }
    case "vit": {
      const { step, feeds, imagesPerStep } = await buildVitStep(compile);
      return trainWorkload(step, feeds, "images/s", imagesPerStep);
    }
    case "infer": {
      const B = 1024;
      const encoder = new SmallCnn(rng);
      // Eval mode with the weights baked in as initializers, as an exported encoder runs.
      const graph = new Graph();
      const x = graph.input("x", [B, 1, 28, 28]);
      const { bindings } = bindModule(graph, encoder, { parameters: "constant", state: "constant" });
      const y: Tensor = encoder.call(new BoundContext(false, bindings), x);
      const program = await Program.compile(graph, { inputs: [x], outputs: { y } }, compile);
      const feeds = { x: hostTensor("float32", [B, 1, 28, 28], rng.uniformArray(B * 784)) };
      return {
        unit: "images/s",
        step: async () => {
          await program.run(feeds);
          return B;
        },
        release: () => program.release(),
      };
    }
  }
}

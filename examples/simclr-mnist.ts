/**
 * SimCLR on the bundled MNIST, the loop in view: 9,000 unlabeled digits pretrain the small CNN
 * under a wall-time budget, then the frozen encoder is probed on the fixed stratified 1,000 test
 * digits: a linear probe with 10 labels per class (mean of 5 seeded draws) and kNN (k = 20) with
 * all 9,000 labels, next to the same encoder untrained (the random-encoder baseline).
 *
 * Run: `npx tsx examples/simclr-mnist.ts [--epochs 15] [--budget 290] [--batch 256] [--temperature 0.5] [--lr 1e-3]`
 * Prints progress on stderr and one JSON line of its figures on stdout.
 */
import { parseArgs } from "node:util";
import { DataLoader } from "../src/data/loader.js";
import { mnistSplit } from "../src/data/mnist.js";
import { embedDataset, evaluateEncoder } from "../src/eval/index.js";
import { effectiveRank } from "../src/methods/collapse.js";
import { cloneModule } from "../src/methods/heads.js";
import { simclr } from "../src/methods/simclr.js";
import { SmallCnn } from "../src/nn/encoders/small-cnn.js";
import { Rng } from "../src/random/rng.js";
import { TrainStep } from "../src/train/train-step.js";

const { values: args } = parseArgs({
  options: {
    epochs: { type: "string", default: "15" },
    budget: { type: "string", default: "290" },
    batch: { type: "string", default: "256" },
    temperature: { type: "string", default: String(simclr.defaults.temperature) },
    lr: { type: "string", default: String(simclr.defaults.learningRate) },
    seed: { type: "string", default: "0" },
  },
});
const epochs = Number(args.epochs);
const budgetSeconds = Number(args.budget);
const batchSize = Number(args.batch);
const seed = Number(args.seed);

const { train, test } = mnistSplit(); // 9,000 pretraining digits (labels unused), 1,000 test digits
const encoder = new SmallCnn(new Rng(seed)); // [N, 1, 28, 28] → [N, 128]
const untrained = cloneModule(encoder); // the random-encoder baseline: the same initialization

// The method is data: modules (encoder + projector 128-128-64), views, loss graph, optimizer.
const stepsPerEpoch = Math.floor(train.length / batchSize);
const plan = simclr.plan(
  { encoder, sampleShape: [1, 28, 28], batchSize, totalSteps: epochs * stepsPerEpoch, rng: new Rng(seed).split() },
  { ...simclr.defaults, temperature: Number(args.temperature), learningRate: Number(args.lr) },
);
const step = await TrainStep.compile({ ...plan, seed }); // forward + NT-Xent + backward + Adam: one ONNX graph
// Two augmented views per image (crop, rotation/shear, brightness/contrast jitter, noise), made on the host.
const loader = new DataLoader(train, { batchSize, seed, transform: plan.views });

const start = performance.now();
const elapsed = () => (performance.now() - start) / 1000;
const epochLosses: number[] = [];
let steps = 0;
training: for (let epoch = 0; epoch < epochs; epoch++) {
  let total = 0;
  let n = 0;
  for await (const views of loader) {
    // views.view0, views.view1: [B, 1, 28, 28]; the next batch is augmented while this step runs.
    const { loss, metrics } = await step.run(views);
    total += loss;
    n++;
    steps++;
    if (steps % 10 === 0) {
      console.error(`epoch ${epoch + 1} step ${steps}  nt-xent ${loss.toFixed(4)}  collapse_std ${metrics.collapse_std?.toFixed(4)}  ${elapsed().toFixed(0)}s`);
    }
    if (elapsed() > budgetSeconds) break training;
  }
  epochLosses.push(total / n);
  console.error(`epoch ${epoch + 1}/${epochs}  mean nt-xent ${(total / n).toFixed(4)}  ${elapsed().toFixed(1)}s`);
}
const pretrainSeconds = elapsed();
step.syncToModules(); // trained weights back into encoder's parameters
await step.release();

// Frozen encoder (eval-mode BN): linear probe 10/class × 5 draws, all-label probe, kNN k=20, k-means NMI.
const protocol = { perClass: [10], draws: 5, seed: 0 } as const;
const trained = await evaluateEncoder(encoder, { train, test }, protocol);
const random = await evaluateEncoder(untrained, { train, test }, protocol);
// Effective rank of the test embeddings (exp of the entropy of the covariance spectrum; ≤ 128).
const rank = async (e: typeof encoder) => {
  const emb = await embedDataset(e, test);
  return effectiveRank(emb.data, emb.length, emb.dim);
};
const ranks = { trained: await rank(encoder), random: await rank(untrained) };
const summary = (r: typeof trained) => ({
  linear_10_per_class: r.linearPerClass[0]?.accuracy,
  linear_all: r.linearAll?.accuracy,
  knn20_all: r.knn,
  nmi: r.clustering.nmi,
});
console.log(
  JSON.stringify({
    example: "simclr-mnist",
    epochs_completed: epochLosses.length,
    steps,
    batch_size: batchSize,
    temperature: Number(args.temperature),
    learning_rate: Number(args.lr),
    pretrain_seconds: pretrainSeconds,
    epoch_losses: epochLosses,
    simclr: { ...summary(trained), effective_rank: ranks.trained },
    random_encoder: { ...summary(random), effective_rank: ranks.random },
  }),
);

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArrayDataset } from "../../../src/data/dataset.js";
import { benchmarkSplit, hasBenchmark } from "../../../src/data/table/benchmarks.js";
import { type EvaluationResult, evaluateEncoder } from "../../../src/eval/protocol.js";
import { releaseLinearProbes } from "../../../src/eval/linear-probe.js";
import type { Method } from "../../../src/methods/method.js";
import { pretrain } from "../../../src/methods/pretrain.js";
import { methods, methodsFor } from "../../../src/methods/registry.js";
import { MlpEncoder } from "../../../src/nn/index.js";
import { Rng } from "../../../src/random/rng.js";

const available = hasBenchmark("letter");
const protocol = { perClass: [5], draws: 3, linearAll: true } as const;
const makeEncoder = () => new MlpEncoder(new Rng(1), { inputShape: [16], hidden: [256, 256], outputDim: 128, norm: "batch" });

it("the table methods are registered for tables only", () => {
  expect(methodsFor("table").map((m) => m.name)).toEqual(["scarf", "vime"]);
  expect(methodsFor("image").map((m) => m.name)).not.toContain("scarf");
});

/**
 * The table methods' learns-tests on real rows: 3,000 rows of UCI letter (16 numeric features,
 * 26 classes) without their labels, then probes on 1,000 held-out rows. Measured while writing
 * (300 steps of batch 256): untrained encoder 5-label probe 52.1%, kNN 80.7%; SCARF 56.1% / 86.8%
 * (its loss 5.0 → 4.2); VIME 57.0% / 77.3%.
 */
describe.skipIf(!available)("table methods learn from unlabeled rows of letter", () => {
  let train: ArrayDataset;
  let test: ArrayDataset;
  let untrained: EvaluationResult;
  beforeAll(async () => {
    const split = benchmarkSplit("letter");
    train = split.train.subset(Int32Array.from({ length: 3000 }, (_, i) => i));
    test = split.test.subset(Int32Array.from({ length: 1000 }, (_, i) => 4 * i));
    untrained = await evaluateEncoder(makeEncoder(), { train, test }, protocol);
  }, 60_000);
  afterAll(() => releaseLinearProbes());

  async function learn(method: Method, steps: number): Promise<{ first: number; last: number; result: EvaluationResult }> {
    const encoder = makeEncoder();
    const losses: number[] = [];
    const r = await pretrain({ method, encoder, dataset: train, batchSize: 256, epochs: Number.POSITIVE_INFINITY, maxSteps: steps, seed: 0, callbacks: [{ onStep: (e) => void losses.push(e.loss) }] });
    await r.step.release();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return { first: mean(losses.slice(0, 5)), last: mean(losses.slice(-5)), result: await evaluateEncoder(encoder, { train, test }, protocol) };
  }

  it("scarf: the InfoNCE loss falls, and the 5-label probe and kNN beat the untrained encoder", async () => {
    const { first, last, result } = await learn(methods.scarf as Method, 300);
    expect(last).toBeLessThan(first - 0.4);
    expect(result.linearPerClass[0]?.accuracy.mean, `untrained ${untrained.linearPerClass[0]?.accuracy.mean}`).toBeGreaterThan((untrained.linearPerClass[0]?.accuracy.mean ?? 1) + 0.02);
    expect(result.knn, `untrained ${untrained.knn}`).toBeGreaterThan((untrained.knn ?? Number.NaN) + 0.03);
  }, 120_000);

  it("vime: the loss falls, and the 5-label and all-label probes beat the untrained encoder", async () => {
    const { first, last, result } = await learn(methods.vime as Method, 300);
    expect(last).toBeLessThan(first - 0.8);
    expect(result.linearPerClass[0]?.accuracy.mean, `untrained ${untrained.linearPerClass[0]?.accuracy.mean}`).toBeGreaterThan((untrained.linearPerClass[0]?.accuracy.mean ?? 1) + 0.02);
    expect(result.linearAll?.accuracy ?? 0, `untrained ${untrained.linearAll?.accuracy}`).toBeGreaterThan((untrained.linearAll?.accuracy ?? 1) + 0.01);
  }, 120_000);
});
if (!available) describe.skip("table methods: ~/.cache/pretext/tables/letter-recognition.data is missing (.ci/run fetches it from Debian's opencv-doc)", () => it("skipped", () => {}));

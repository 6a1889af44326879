import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ArrayDataset } from "../../src/data/dataset.js";
import { DataLoader } from "../../src/data/loader.js";
import { imageSpec } from "../../src/data/sample.js";
import { Mlp } from "../../src/nn/mlp.js";
import { crossEntropyWithLogits, reshape } from "../../src/ops/index.js";
import { adam } from "../../src/optim/index.js";
import { Rng } from "../../src/random/rng.js";
import { type SkippedStepEvent, type StepEvent, fit } from "../../src/train/fit.js";
import { NonFiniteLossError, TrainStep } from "../../src/train/train-step.js";
import { idxBytes } from "../bad-inputs/cases/idx.js";
import { runCli } from "../cli/run-cli.js";
import { BATCH, N, feedsOf } from "../train/fit-setup.js";

// A batch whose loss is NaN or infinite is skipped (the parameters stay as they were); a stated
// number in a row stops the run, naming the step, the batch and the loss.

/** 96 labeled 4-pixel images of 3 classes, as fit-setup makes them, with the given samples' pixels NaN. */
function poisoned(samples: readonly number[]): ArrayDataset {
  const rng = new Rng(7);
  const images = new Float32Array(N * 4);
  const labels = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    labels[i] = i % 3;
    for (let d = 0; d < 4; d++) images[i * 4 + d] = rng.normal() + (d === labels[i] ? 2 : 0);
  }
  for (const i of samples) images.fill(Number.NaN, i * 4, i * 4 + 4);
  return new ArrayDataset({ spec: imageSpec([1, 2, 2]), fields: { image: images }, labels, numClasses: 3 });
}

async function run(data: ArrayDataset, options: { stepsPerRun: number; maxNonFiniteSteps?: number; epochs?: number }) {
  const model = new Mlp(4, [{ out: 8, act: "relu" }, { out: 3 }], new Rng(3));
  const step = await TrainStep.compile({
    modules: { model },
    batch: { x: { shape: [BATCH, 1, 2, 2] }, y: { shape: [BATCH], dtype: "int64" } },
    loss: (ctx, { x, y }) => ({ loss: crossEntropyWithLogits(model.call(ctx, reshape(x, [BATCH, 4])), y) }),
    optimizer: adam({ lr: 1e-2 }),
    seed: 3,
    stepsPerRun: options.stepsPerRun,
  });
  const loader = new DataLoader(data, { batchSize: BATCH, seed: 3 });
  const steps: StepEvent[] = [];
  const skipped: SkippedStepEvent[] = [];
  const callbacks = [{ onStep: (e: StepEvent) => void steps.push(e), onSkippedStep: (e: SkippedStepEvent) => void skipped.push(e) }];
  let error: unknown = null;
  try {
    await fit({ step, loader, feeds: feedsOf, epochs: options.epochs ?? 2, callbacks, ...(options.maxNonFiniteSteps === undefined ? {} : { maxNonFiniteSteps: options.maxNonFiniteSteps }) });
  } catch (e) {
    error = e;
  }
  const params = step.params;
  await step.release();
  return { steps, skipped, error, params };
}

/** Batches an epoch. */
const BATCHES = N / BATCH;

describe("a non-finite loss", () => {
  it.each([1, 4])("skips the batch that holds a NaN sample and trains on every other (%i steps per call)", async (stepsPerRun) => {
    const { steps, skipped, error, params } = await run(poisoned([10]), { stepsPerRun });
    expect(error).toBeNull();
    expect(skipped).toHaveLength(2);
    expect(skipped.map((s) => [s.epoch, s.consecutive, s.limit, Number.isNaN(s.loss)])).toEqual([
      [0, 1, 5, true],
      [1, 1, 5, true],
    ]);
    expect(steps).toHaveLength(2 * BATCHES - 2);
    // Each epoch's batches are reported once each, skipped or trained, in order; steps count only the trained.
    for (const epoch of [0, 1]) {
      const seen = [...steps.filter((s) => s.epoch === epoch).map((s) => s.batchIndex), ...skipped.filter((s) => s.epoch === epoch).map((s) => s.batchIndex)];
      expect(seen.sort((a, b) => a - b)).toEqual([...Array(BATCHES).keys()]);
    }
    expect(steps.map((s) => s.step)).toEqual([...Array(2 * BATCHES - 2).keys()]);
    for (const s of skipped) expect(s.step).toBe(steps.filter((t) => t.epoch < s.epoch || (t.epoch === s.epoch && t.batchIndex < s.batchIndex)).length);
    expect(params.every(Number.isFinite)).toBe(true);
  });

  it("stops after 5 bad batches in a row with an error naming the step, the batch and the loss", async () => {
    const { steps, skipped, error } = await run(poisoned([...Array(N).keys()]), { stepsPerRun: 4 });
    expect(steps).toEqual([]);
    expect(skipped.map((s) => [s.step, s.batchIndex, s.consecutive])).toEqual([0, 1, 2, 3, 4].map((b) => [0, b, b + 1]));
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toBe(
      "loss is NaN at step 0 (epoch 1, batch 5); 5 batches in a row with a non-finite loss, all skipped; the run stops. Lower the learning rate, add gradient clipping, or check the input data for NaN values.",
    );
  });

  it("maxNonFiniteSteps 1 stops at the first bad batch, the batches before it trained", async () => {
    const { steps, skipped, error } = await run(poisoned([10]), { stepsPerRun: 4, maxNonFiniteSteps: 1 });
    expect(skipped).toHaveLength(1);
    expect(steps).toHaveLength(skipped[0]?.batchIndex ?? -1);
    expect((error as Error).message).toMatch(new RegExp(`^loss is NaN at step ${steps.length} \\(epoch 1, batch ${steps.length + 1}\\); parameters were not updated`));
  });
});

describe("pretext pretrain on data with NaN pixels", () => {
  const root = mkdtempSync(join(tmpdir(), "pretext-non-finite-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  /** 32 float32 IDX images of 28 x 28 (big-endian), those listed all NaN. */
  function images(name: string, nan: (i: number) => boolean): string {
    const n = 32;
    const payload = new Uint8Array(n * 28 * 28 * 4);
    const view = new DataView(payload.buffer);
    const rng = new Rng(1);
    for (let i = 0; i < n; i++) for (let p = 0; p < 784; p++) view.setFloat32((i * 784 + p) * 4, nan(i) ? Number.NaN : rng.uniform() * 255, false);
    const file = join(root, name);
    writeFileSync(file, idxBytes(0x0d, [n, 28, 28], payload));
    return file;
  }
  const args = (data: string, out: string) => ["pretrain", "--method", "simclr", "--data", data, "--batch-size", "4", "--epochs", "1", "--out", join(root, out)];

  it("one NaN image: its batch is skipped with a warning and a metrics line, the run finishes", async () => {
    const r = await runCli(args(images("one-nan-idx3-ubyte", (i) => i === 5), "one"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: loss is NaN at step \d+ \(epoch 1, batch \d+\); its update was skipped \(1 of 5 in a row stop the run\)$/m);
    const skipped = readFileSync(join(root, "one", "metrics.jsonl"), "utf8").split("\n").filter((l) => l.includes('"type":"skipped"'));
    expect(skipped.map((l) => JSON.parse(l) as { loss: string; consecutive: number })).toMatchObject([{ loss: "NaN", consecutive: 1 }]);
  }, 60_000);

  it("all NaN: the run stops after 5 skipped batches with one line naming the step, the batch and the loss, and the process exits (exit 1)", async () => {
    const r = await runCli(args(images("all-nan-idx3-ubyte", () => true), "all"));
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("pretext pretrain: error"));
    expect(errors).toEqual(["pretext pretrain: error: loss is NaN at step 0 (epoch 1, batch 5); 5 batches in a row with a non-finite loss, all skipped; the run stops. Lower the learning rate, add gradient clipping, or check the input data for NaN values."]);
    expect(r.stderr.match(/^warning: loss is NaN/gm)).toHaveLength(5);
  }, 60_000);
});

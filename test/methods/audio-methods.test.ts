import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AudioFolderDataset, audioFolderDataset } from "../../src/data/audio/audio-folder.js";
import { generateSynthData } from "../../src/data/audio/synth/generate.js";
import { voicesPlan } from "../../src/data/audio/synth/plan.js";
import { evaluateEncoder } from "../../src/eval/protocol.js";
import type { Method } from "../../src/methods/method.js";
import { pretrain } from "../../src/methods/pretrain.js";
import { methods } from "../../src/methods/registry.js";
import { AudioCnn } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";

/**
 * The audio methods' learns-tests on real (synthesized) speech: 30 voices of three synthesizers
 * saying 12 words each for training and 6 other words for testing (`pretext synth voices` at a
 * small size). Pretraining sees the training clips without their labels; the probes then tell
 * the voices apart on the unseen words. Measured while writing (60 steps of batch 32 on the
 * default 20 + 10 words): BYOL-A's kNN 75.7% against the untrained encoder's 57.0% (linear on all
 * labels 94.3% against 87.0%), COLA's 72.0% (88.7%).
 */
describe("audio methods learn voice identity from unlabeled speech", () => {
  const root = mkdtempSync(join(tmpdir(), "pretext-audio-methods-"));
  let train: AudioFolderDataset;
  let test: AudioFolderDataset;
  let untrainedKnn: number;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeAll(async () => {
    await generateSynthData(join(root, "voices"), voicesPlan({ trainWords: 12, testWords: 6 }));
    const cacheDir = join(root, "cache");
    train = await audioFolderDataset(join(root, "voices", "train"), { cacheDir });
    test = await audioFolderDataset(join(root, "voices", "test"), { cacheDir, stats: train.stats });
    untrainedKnn = (await evaluateEncoder(new AudioCnn(new Rng(1)), { train, test }, { perClass: [], linearAll: false, clustering: false })).knn ?? Number.NaN;
  }, 180_000);

  async function learn(method: Method, steps: number, probe = true): Promise<{ first: number; last: number; knn: number }> {
    const encoder = new AudioCnn(new Rng(1));
    const losses: number[] = [];
    const r = await pretrain({
      method,
      encoder,
      dataset: train,
      batchSize: 32,
      epochs: Number.POSITIVE_INFINITY,
      maxSteps: steps,
      seed: 0,
      callbacks: [{ onStep: (e) => void losses.push(e.loss) }],
    });
    await r.step.release();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const knn = probe ? (await evaluateEncoder(encoder, { train, test }, { perClass: [], linearAll: false, clustering: false })).knn ?? Number.NaN : Number.NaN;
    return { first: mean(losses.slice(0, 5)), last: mean(losses.slice(-5)), knn };
  }

  it("byol-a: the loss falls and the kNN probe beats the same encoder untrained", async () => {
    const r = await learn(methods["byol-a"] as Method, 40);
    expect(r.last).toBeLessThan(r.first);
    expect(r.knn, `untrained ${untrainedKnn}`).toBeGreaterThan(untrainedKnn + 0.05);
  }, 300_000);

  it("cola: the loss falls below chance (log of the batch) and the kNN probe beats the same encoder untrained", async () => {
    const r = await learn(methods.cola as Method, 60);
    expect(r.last).toBeLessThan(Math.log(32));
    expect(r.knn, `untrained ${untrainedKnn}`).toBeGreaterThan(untrainedKnn + 0.05);
  }, 300_000);

  // NOTE: CPC's pooled frames do not yet beat the untrained encoder as a clip embedding (60 steps
  // on the default voices task: kNN 18.3% against 57.0%; on keywords only its all-label probe on
  // held-out espeak-ng voices does, 90.6% against 87.5%, after 405 steps): docs/audio.md. So its
  // test is the loss: each prediction must pick its true future among the batch's 32 × 12 frames.
  it("cpc: the InfoNCE loss falls well below chance (log of the batch's frames)", async () => {
    const r = await learn(methods.cpc as Method, 40, false);
    const chance = Math.log(32 * 12);
    expect(r.first).toBeGreaterThan(chance - 0.5);
    expect(r.last).toBeLessThan(chance - 1);
  }, 300_000);
});

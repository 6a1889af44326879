import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audioFolderDataset } from "../../src/data/audio/audio-folder.js";
import { encodeWav, writeWav } from "../../src/data/audio/wav.js";
import { embedDataset } from "../../src/eval/embed.js";
import { loadRunEncoder } from "../../src/cli/run-encoder.js";
import { Rng } from "../../src/random/rng.js";
import { expectOneLineError, runInProcess } from "./run-cli.js";

/** A clip of a tone gliding from `from` to `to` Hz over 0.6 s, in 1 s, with a little noise: two classes by direction. */
function glide(from: number, to: number, rate: number, rng: Rng): Float32Array {
  const wave = new Float32Array(rate);
  let phase = 0;
  const start = Math.floor(0.2 * rate);
  const length = Math.floor(0.6 * rate);
  for (let i = 0; i < length; i++) {
    phase += (2 * Math.PI * (from + ((to - from) * i) / length)) / rate;
    wave[start + i] = 0.4 * Math.sin(phase) + 0.2 * Math.sin(2 * phase);
  }
  for (let i = 0; i < rate; i++) wave[i] = (wave[i] as number) + 0.003 * rng.normal();
  return wave;
}

describe("pretext with audio", () => {
  const root = mkdtempSync(join(tmpdir(), "pretext-audio-"));
  const previousCache = process.env.PRETEXT_CACHE_DIR;
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    if (previousCache === undefined) delete process.env.PRETEXT_CACHE_DIR;
    else process.env.PRETEXT_CACHE_DIR = previousCache;
  });
  beforeAll(async () => {
    process.env.PRETEXT_CACHE_DIR = join(root, "cache");
    const rng = new Rng(0);
    const pitch = () => 200 + 400 * rng.uniform();
    // The unlabeled pool at 22.05 kHz, the labeled sets at 16 and 8 kHz: every clip is resampled.
    mkdirSync(join(root, "pool"));
    for (let i = 0; i < 24; i++) {
      const f = pitch();
      await writeWav(join(root, "pool", `clip-${i}.wav`), i % 2 === 0 ? glide(f, 2 * f, 22_050, rng) : glide(2 * f, f, 22_050, rng), 22_050);
    }
    // A truncated file: skipped with a summary, not a crash.
    writeFileSync(join(root, "pool", "broken.wav"), encodeWav([glide(300, 600, 22_050, rng)], 22_050).subarray(0, 100));
    for (const [split, rate, n] of [["train", 16_000, 4], ["test", 8000, 3]] as const) {
      for (const word of ["down", "up"]) {
        mkdirSync(join(root, split, word), { recursive: true });
        for (let i = 0; i < n; i++) {
          const f = pitch();
          await writeWav(join(root, split, word, `${word}-${i}.wav`), word === "up" ? glide(f, 2 * f, rate, rng) : glide(2 * f, f, rate, rng), rate);
        }
      }
    }
  }, 60_000);

  it("pretrains cola on a folder of .wav files, evaluates against mfcc and dtw, and exports an encoder that takes raw waves", async () => {
    const run = join(root, "cola");
    const r = await runInProcess(["pretrain", "--method", "cola", "--data", join(root, "pool"), "--batch-size", "8", "--epochs", "1", "--out", run]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipped 1 of 25 clips that cannot be read: .*broken\.wav/);
    for (const f of ["audio.json", "views.png", "encoder.safetensors", "encoder.onnx"]) expect(existsSync(join(run, f)), f).toBe(true);
    const audio = JSON.parse(readFileSync(join(run, "audio.json"), "utf8")) as { features: { sampleRate: number; mels: number }; stats: { mean: number; std: number } };
    expect(audio.features).toMatchObject({ sampleRate: 16_000, mels: 64 });
    expect(audio.stats.std).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(run, "config.json"), "utf8")).pretrain).toMatchObject({ encoder: "audio-cnn", batchSize: 8 });

    const e = await runInProcess(["eval", run, "--data", join(root, "train"), "--test-data", join(root, "test"), "--labels-per-class", "1,all", "--probes", "linear,knn", "--json"]);
    expect(e.code, e.stderr).toBe(0);
    const lines = e.stdout.trim().split("\n").map((l) => JSON.parse(l) as { encoder: string; probe: string; labels_per_class: number | string; accuracy: number });
    const encoders = new Set(lines.map((l) => `${l.encoder}/${l.probe}`));
    for (const k of ["cola/linear", "cola/knn", "random/linear", "mfcc/linear", "mfcc/knn", "dtw/1nn"]) expect(encoders, k).toContain(k);
    for (const l of lines) expect(l.accuracy).toBeGreaterThanOrEqual(0);
    // the glides are easy for template matching: the baseline works on resampled 8 kHz test clips
    expect(lines.find((l) => l.encoder === "dtw" && l.labels_per_class === "all")?.accuracy).toBeGreaterThan(0.8);

    // The exported model featurizes raw 16 kHz waves itself: equal to pretext's embedding of the host-featurized clips.
    const { encoder } = await loadRunEncoder(run);
    const test = await audioFolderDataset(join(root, "test"), { stats: audio.stats, cacheDir: null });
    const expected = await embedDataset(encoder, test);
    const session = await ort.InferenceSession.create(join(run, "encoder.onnx"));
    let worst = 0;
    let worstAbsolute = 0;
    for (let i = 0; i < test.length; i++) {
      const wave = await resampledClip(test.paths[i] as string);
      const out = (await session.run({ input: new ort.Tensor("float32", wave, [1, 1, 16_000]) })).embedding?.data as Float32Array;
      for (let d = 0; d < out.length; d++) {
        const [got, want] = [out[d] as number, expected.data[i * expected.dim + d] as number];
        worst = Math.max(worst, Math.abs(got - want) / (1e-3 + Math.abs(want)));
        worstAbsolute = Math.max(worstAbsolute, Math.abs(got - want));
      }
    }
    await session.release();
    expect(worst).toBeLessThan(1e-3);
    // the bound: the exported encoder reproduces the embeddings to 1e-5
    expect(worstAbsolute).toBeLessThan(1e-5);
  }, 180_000);

  it("refuses an audio method on images and an image encoder on audio, in one line", async () => {
    expectOneLineError(await runInProcess(["pretrain", "--method", "byol-a", "--data", "mnist", "--epochs", "1", "--out", join(root, "x")]), "pretrain", /learns from audio data, but mnist is image/);
    expectOneLineError(await runInProcess(["pretrain", "--method", "cola", "--data", join(root, "pool"), "--encoder", "small-cnn", "--epochs", "1", "--out", join(root, "y")]), "pretrain", /for audio use audio-cnn/);
  }, 60_000);
});

/** A test clip as the exported model takes it: mono, 16 kHz, fitted to 1 s (what the folder reader does before featurizing). */
async function resampledClip(path: string): Promise<Float32Array> {
  const { readWav, toMono } = await import("../../src/data/audio/wav.js");
  const { resample } = await import("../../src/data/audio/resample.js");
  const { BYOL_A_FEATURES, fitClip } = await import("../../src/data/audio/audio-features.js");
  const wav = await readWav(path);
  return fitClip(resample(toMono(wav.samples), wav.sampleRate, 16_000), BYOL_A_FEATURES);
}

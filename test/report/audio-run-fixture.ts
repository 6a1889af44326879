import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { audioNeighbours } from "../../src/cli/audio-examples.js";
import { BYOL_A_FEATURES } from "../../src/data/audio/audio-features.js";
import { encodeWav, writeWav } from "../../src/data/audio/wav.js";
import { Rng } from "../../src/random/rng.js";
import { encodeSafetensors } from "../../src/train/safetensors.js";

/**
 * An audio run folder written by hand in the formats the report reads: config.json, audio.json,
 * metrics.jsonl (steps and the evaluation lines of byol-a, random, mfcc and dtw),
 * embeddings.safetensors (no images), clips.json pointing at tiny WAVs named as `pretext synth`
 * names them, audio-examples.json (from the writer's own `audioNeighbours`), views.png and
 * class-spectrograms.png (stand-ins).
 */

export const WORDS = ["down", "left", "right", "up"] as const;
/** Engine and voice of each test speaker, as in `<word>-<engine>-<voice>-<k>.wav`. */
export const VOICES = [
  ["flite", "awb"],
  ["flite", "slt"],
  ["espeak-ng", "en-gb-scotland+Andy"],
] as const;
export const REPEATS = 3;
/** Clip `LONG_CLIP` lasts 1.5 s (the report keeps its loudest second); the others 0.25 s. */
export const LONG_CLIP = 4;

export interface AudioRunOptions {
  readonly withExamples: boolean;
  readonly withClips: boolean;
}

/** Test clip i: its word, voice and file name. */
export function testClip(i: number): { word: number; voice: number; name: string } {
  const word = i % WORDS.length;
  const voice = Math.floor(i / WORDS.length) % VOICES.length;
  const k = Math.floor(i / (WORDS.length * VOICES.length));
  const [engine, name] = VOICES[voice] ?? ["flite", "awb"];
  return { word, voice, name: `${WORDS[word]}-${engine}-${name}-${k}.wav` };
}

export const CLIP_COUNT = WORDS.length * VOICES.length * REPEATS;

function metrics(): string {
  const lines: object[] = [{ type: "plan", total_steps: 40, from: "time-budget", epochs: null, time_budget_s: 300 }];
  for (let step = 0; step < 40; step++) {
    lines.push({ type: "step", step, epoch: 0, loss: 4 * Math.exp(-step / 15) + 0.5, lr: 3e-4, samples_per_s: 120 + (step % 5), elapsed_s: step * 2, collapse_std: 0.02, collapse_dim: 256 });
  }
  const linear: Record<string, number[]> = { "byol-a": [0.62, 0.81], random: [0.3, 0.41], mfcc: [0.25, 0.29] };
  for (const [encoder, accs] of Object.entries(linear)) {
    [1, 5].forEach((lpc, i) => lines.push({ type: "eval", encoder, probe: "linear", labels_per_class: lpc, accuracy: accs[i], sd: 0.03 }));
    lines.push({ type: "eval", encoder, probe: "knn", labels_per_class: "all", accuracy: (accs[1] ?? 0) + 0.02, sd: null });
    lines.push({ type: "eval", encoder, probe: "kmeans", labels_per_class: null, accuracy: null, sd: null, nmi: 0.3, ari: 0.1 });
  }
  lines.push({ type: "eval", encoder: "dtw", probe: "1nn", labels_per_class: 1, accuracy: 0.401, sd: 0.05 });
  lines.push({ type: "eval", encoder: "dtw", probe: "1nn", labels_per_class: 5, accuracy: 0.57, sd: 0.04 });
  return `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
}

/** A tone whose pitch tells the word, at 22.05 kHz (so the report resamples); clip 1 is stereo at 8 kHz. */
async function writeClip(path: string, i: number): Promise<void> {
  const { word } = testClip(i);
  const rate = i === 1 ? 8000 : 22_050;
  const n = Math.round((i === LONG_CLIP ? 1.5 : 0.25) * rate);
  const wave = Float32Array.from({ length: n }, (_, t) => 0.3 * Math.sin((2 * Math.PI * (220 + 110 * word) * t) / rate));
  if (i === 1) await writeFile(path, encodeWav([wave, wave.map((v) => -0.5 * v)], rate, "16"));
  else await writeWav(path, wave, rate);
}

async function stripPng(): Promise<Buffer> {
  return sharp(Buffer.alloc(40 * 8 * 3, 90), { raw: { width: 40, height: 8, channels: 3 } }).png().toBuffer();
}

/** Writes the run folder `dir` (clips in `dir/clips/`) and returns the clips' paths in embedding order. */
export async function writeAudioRun(dir: string, options: Partial<AudioRunOptions> = {}): Promise<string[]> {
  const o = { withExamples: true, withClips: true, ...options };
  await mkdir(join(dir, "clips"), { recursive: true });
  const pretrain = { method: "byol-a", data: "/data/kw/pool", encoder: "audio-cnn", epochs: null, timeBudgetSeconds: 300, batchSize: 256, seed: 0, tokenizer: null };
  await writeFile(join(dir, "config.json"), JSON.stringify({ pretrain, method: { augmentation: "byol-a" }, eval: { seed: 0 } }, null, 2));
  await writeFile(join(dir, "audio.json"), JSON.stringify({ features: BYOL_A_FEATURES, stats: { mean: -8.7, std: 7.6 } }));
  await writeFile(join(dir, "metrics.jsonl"), metrics());
  const rng = new Rng(3);
  const d = 16;
  const centres = WORDS.map(() => Float32Array.from({ length: d }, () => rng.normal()));
  const embeddings = new Float32Array(CLIP_COUNT * d);
  const labels = new Int32Array(CLIP_COUNT);
  const paths: string[] = [];
  for (let i = 0; i < CLIP_COUNT; i++) {
    const clip = testClip(i);
    labels[i] = clip.word;
    for (let j = 0; j < d; j++) embeddings[i * d + j] = (centres[clip.word]?.[j] ?? 0) + 0.5 * rng.normal();
    const path = join(dir, "clips", clip.name);
    await writeClip(path, i);
    paths.push(path);
  }
  const tensors = new Map([
    ["embeddings", { shape: [CLIP_COUNT, d], data: embeddings }],
    ["labels", { shape: [CLIP_COUNT], data: BigInt64Array.from(labels, (y) => BigInt(y)) }],
  ]);
  await writeFile(join(dir, "embeddings.safetensors"), encodeSafetensors(tensors, { format: "pretext-embeddings", class_names: JSON.stringify(WORDS) }));
  if (o.withClips) await writeFile(join(dir, "clips.json"), JSON.stringify(paths));
  if (o.withExamples) {
    const neighbours = audioNeighbours(embeddings, d, paths, labels, WORDS);
    const classes = WORDS.map((w, y) => ({ path: paths[y] as string, label: w }));
    await writeFile(join(dir, "audio-examples.json"), JSON.stringify({ neighbours, classes }));
    await writeFile(join(dir, "class-spectrograms.png"), await stripPng());
  }
  await writeFile(join(dir, "views.png"), await stripPng());
  return paths;
}

/**
 * How far the keyword task's labels can take any encoder: AudioCnn trained supervised from random
 * initialization on every labeled digit of `pretext synth keywords` (espeak-ng, 32 per class),
 * with and without augmentations, tested on the held-out synthesizer (flite) and on held-out
 * espeak-ng voices; and, for comparison, DTW 1-nearest-neighbour within flite itself, each
 * flite voice matched against the other four (so the flite words are known to be tellable apart).
 * A few-label SSL probe on the same splits is bounded in practice by what all the labels give.
 *
 * Run: `pretext synth keywords --out kw`, then
 * `npx tsx examples/keyword-transfer-ceiling.ts --data kw [--steps 300] [--augment none,resize-crop,voice,resize-crop+voice]`
 * One line per (augmentation, test set) on stdout.
 */
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { rawLogMels } from "../src/cli/audio-baselines.js";
import { type AudioFolderDataset, audioFolderDataset } from "../src/data/audio/audio-folder.js";
import { type Spectrogram, SPEECH_LOG_MEL_STD, randomResizeCrop, randomVoicePerturbation } from "../src/data/audio/augment/index.js";
import { cmvn, dtwDistance } from "../src/eval/dtw.js";
import { trainFromScratch } from "../src/eval/finetune.js";
import { mfccFrameDim, mfccSequences } from "../src/eval/mfcc-baseline.js";
import { AudioCnn } from "../src/nn/index.js";
import type { Rng } from "../src/random/rng.js";

const { values } = parseArgs({
  options: { data: { type: "string", default: "kw" }, steps: { type: "string", default: "300" }, augment: { type: "string", default: "none,resize-crop,voice,resize-crop+voice" } },
});
const root = values.data as string;
const steps = Number(values.steps);
const pool = await audioFolderDataset(join(root, "pool"));
const train = await audioFolderDataset(join(root, "train"), { stats: pool.stats });
const tests = {
  flite: await audioFolderDataset(join(root, "test"), { stats: pool.stats }),
  "espeak-ng held-out voices": await audioFolderDataset(join(root, "test-espeak-heldout"), { stats: pool.stats }),
};

const context = { outFrames: train.spec.fields.logmel?.shape[2] as number, bank: null };
const crop = randomResizeCrop();
const voice = randomVoicePerturbation({ normalizationStd: SPEECH_LOG_MEL_STD });

/** The batch with each clip through the named augmentations. */
function augmenter(name: string) {
  const parts = name.split("+");
  return (x: Float32Array, shape: readonly [number, number, number, number], rng: Rng): Float32Array => {
    const [n, , mels, frames] = shape;
    const out = new Float32Array(x.length);
    for (let i = 0; i < n; i++) {
      let clip: Spectrogram = { data: x.subarray(i * mels * frames, (i + 1) * mels * frames), mels, frames };
      if (parts.includes("resize-crop")) clip = crop.apply(clip, rng, context);
      if (parts.includes("voice")) clip = voice.apply(clip, rng, context);
      out.set(clip.data, i * mels * frames);
    }
    return out;
  };
}

for (const name of (values.augment as string).split(",")) {
  for (const [testName, test] of Object.entries(tests)) {
    const r = await trainFromScratch((rng) => new AudioCnn(rng), train, test, { steps, batchSize: 64, seed: 0, ...(name === "none" ? {} : { augment: augmenter(name) }) });
    console.log(`supervised on all ${train.length} labeled clips, augment ${name}, ${steps} steps → ${testName}: ${(100 * r.accuracy).toFixed(1)}%`);
  }
}

/** MFCC (+ Δ, ΔΔ) frames with per-utterance mean and variance normalization, as the dtw baseline. */
function sequences(dataset: AudioFolderDataset): Float32Array[] {
  const raw = rawLogMels(dataset, dataset.stats);
  return mfccSequences(raw.values, raw.n, raw.mels, raw.frames).map((s) => cmvn(s, mfccFrameDim()));
}
const flite = tests.flite;
const voiceOf = flite.paths.map((p) => basename(p).split("-")[2]);
const seqs = sequences(flite);
let right = 0;
for (let i = 0; i < seqs.length; i++) {
  let best = Infinity;
  let label = -1;
  for (let j = 0; j < seqs.length; j++) {
    if (voiceOf[j] === voiceOf[i]) continue;
    const d = dtwDistance(seqs[i] as Float32Array, seqs[j] as Float32Array, mfccFrameDim(), { band: 0.2 });
    if (d < best) [best, label] = [d, flite.labels?.[j] as number];
  }
  if (label === flite.labels?.[i]) right++;
}
console.log(`DTW 1-NN within flite, each voice against the other ${new Set(voiceOf).size - 1}: ${((100 * right) / seqs.length).toFixed(1)}% of ${seqs.length}`);

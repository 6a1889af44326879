/**
 * The host featurizer's real-time factor on one core: seconds of 16 kHz audio turned into BYOL-A's
 * log-mel (64 × 101 per 1 s clip) per second of wall time, the median of several rounds. The
 * issue's goal is ≥ 500x. Also, for the whole path a clip of a synthesizer takes, the same factor
 * from 22.05 kHz 16-bit WAV bytes (decode + resample + fit + log-mel).
 * Run: `npx tsx bench/featurize.ts [rounds]`; prints one line.
 *
 * `npx tsx bench/featurize.ts --folder [clips]` instead times `audioFolderDataset` on a folder of
 * that many 1 s clips (22.05 kHz 16-bit WAV, written to a temp folder first) on every core: cold
 * (a fresh cache), then again from the cache; prints clips/s of each as one line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { audioFolderDataset } from "../src/data/audio/audio-folder.js";
import { BYOL_A_FEATURES, clipFrames } from "../src/data/audio/audio-features.js";
import { featurizeWav } from "../src/data/audio/featurize-clip.js";
import { logMelExtractor } from "../src/data/audio/log-mel.js";
import { encodeWav, writeWav } from "../src/data/audio/wav.js";
import { Rng } from "../src/random/rng.js";

const folderMode = process.argv[2] === "--folder";
const rounds = folderMode ? 1 : Number(process.argv[2] ?? 7);
const clipsPerRound = 100;
const features = BYOL_A_FEATURES;

/** Speech-like test audio: a few harmonics with a wandering pitch, and noise. */
function clip(rng: Rng, rate: number): Float32Array {
  const n = Math.round(features.clipSeconds * rate);
  const out = new Float32Array(n);
  let phase = 0;
  const f0 = rng.uniformIn(90, 250);
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * f0 * (1 + 0.1 * Math.sin(i / 2000))) / rate;
    out[i] = 0.2 * Math.sin(phase) + 0.1 * Math.sin(3 * phase) + 0.05 * Math.sin(7 * phase) + 0.01 * rng.normal();
  }
  return out;
}

function medianSeconds(run: () => void): number {
  run(); // warm-up: JIT and buffers
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    run();
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1] as number;
}

const rng = new Rng(7);
if (folderMode) await timeFolder(Number(process.argv[3] ?? 2000));
else timeFeaturizer();

function timeFeaturizer(): void {
  const waves = Array.from({ length: clipsPerRound }, () => clip(rng, features.sampleRate));
  const wavs = Array.from({ length: clipsPerRound }, () => encodeWav(clip(rng, 22050), 22050, "16"));
  const extractor = logMelExtractor(features);
  let sink = 0;
  const logMelSeconds = medianSeconds(() => {
    for (const wave of waves) sink += extractor.compute(wave).values[0] as number;
  });
  const pipelineSeconds = medianSeconds(() => {
    for (const [i, bytes] of wavs.entries()) sink += featurizeWav(bytes, `clip ${i}`, features)[0] as number;
  });
  if (!Number.isFinite(sink)) throw new Error("non-finite features");
  const audioSeconds = clipsPerRound * features.clipSeconds;
  const factor = (seconds: number) => `${Math.round(audioSeconds / seconds).toLocaleString("en-US")}x`;
  console.log(
    `featurize: log-mel ${features.mels} x ${clipFrames(features)} per ${features.clipSeconds} s clip, ${factor(logMelSeconds)} real time (one core); ` +
      `from 22.05 kHz 16-bit WAV bytes (decode + resample + log-mel) ${factor(pipelineSeconds)}`,
  );
}

async function timeFolder(clips: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "pretext-featurize-"));
  try {
    const folder = join(root, "clips");
    for (let i = 0; i < clips; i++) await writeWav(join(folder, `${String(i).padStart(5, "0")}.wav`), clip(rng, 22050), 22050);
    const cacheDir = join(root, "cache");
    const time = async () => {
      const start = performance.now();
      const ds = await audioFolderDataset(folder, { cacheDir });
      if (ds.length !== clips) throw new Error(`read ${ds.length} of ${clips} clips`);
      return clips / ((performance.now() - start) / 1000);
    };
    const cold = await time();
    const cached = await time();
    const rate = (r: number) => `${Math.round(r).toLocaleString("en-US")} clips/s`;
    console.log(`featurize: folder of ${clips} 1 s clips at 22.05 kHz on ${availableParallelism()} cores: cold ${rate(cold)}, cached ${rate(cached)}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

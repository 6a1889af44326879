import { existsSync, readFileSync } from "node:fs";
import type { AudioFolderDataset } from "../data/audio/audio-folder.js";
import { type AudioFeatures, type LogMelStats, checkFeatures, checkStats, clipSamples } from "../data/audio/audio-features.js";
import { frontendOptions } from "../data/audio/frontend-options.js";
import { writeFileAtomic } from "../io/write-atomic.js";
import type { Encoder } from "../methods/method.js";
import { LogMelFrontend, WaveformEncoder } from "../nn/index.js";
import { exportOnnx } from "../train/export.js";
import { CliError, ExitCode, errorMessage } from "./errors.js";
import type { RunFolder } from "./run-folder.js";

/** What an audio run keeps beside its weights: how clips become features, and the training clips' statistics. */
export interface RunAudio {
  readonly features: AudioFeatures;
  readonly stats: LogMelStats;
}

/** Writes `audio.json` (atomically). */
export async function writeRunAudio(run: RunFolder, audio: RunAudio): Promise<void> {
  await writeFileAtomic(run.audioPath, `${JSON.stringify({ features: audio.features, stats: audio.stats }, null, 2)}\n`);
}

/** An audio run's `audio.json`, or null for a run of another modality; a damaged file is a one-line error. */
export function readRunAudio(run: RunFolder): RunAudio | null {
  if (!existsSync(run.audioPath)) return null;
  try {
    const parsed = JSON.parse(readFileSync(run.audioPath, "utf8")) as { features?: AudioFeatures; stats?: LogMelStats };
    if (parsed.features === undefined || parsed.stats === undefined) throw new Error("it needs features and stats");
    return { features: checkFeatures(parsed.features), stats: checkStats(parsed.stats) };
  } catch (e) {
    throw new CliError(`${run.audioPath}: damaged (${errorMessage(e)}); the run folder is not usable for audio`, ExitCode.failure);
  }
}

/** The run's audio settings, or an error saying the run is not an audio run. */
export function requireRunAudio(run: RunFolder): RunAudio {
  const audio = readRunAudio(run);
  if (audio === null) throw new CliError(`${run.audioPath}: missing; ${run.dir} is not an audio run (or its folder is damaged)`, ExitCode.failure);
  return audio;
}

/** `loadData`'s audio option for data a finished run reads: the run's features and training statistics (nothing for other runs). */
export function audioLoading(run: RunFolder): { audio?: { features: AudioFeatures; stats: LogMelStats } } {
  const audio = readRunAudio(run);
  return audio === null ? {} : { audio: { features: audio.features, stats: audio.stats } };
}

/** The features and statistics a loaded audio data set was made with. */
export function audioOf(dataset: AudioFolderDataset): RunAudio {
  return { features: dataset.features, stats: dataset.stats };
}

/**
 * The audio encoder as an ONNX model that takes raw 16 kHz waves of the run's clip length
 * (`[batch, 1, samples]`), featurized in the graph exactly as training featurized on the host.
 */
export function exportWaveformEncoder(encoder: Encoder, audio: RunAudio, batchSize: number, description: string): { bytes: Uint8Array; inputShape: number[] } {
  const inputShape = [batchSize, 1, clipSamples(audio.features)];
  const model = new WaveformEncoder(new LogMelFrontend(frontendOptions(audio.features, audio.stats)), encoder);
  return { bytes: exportOnnx(model, { inputShape, inputDType: "float32", description }), inputShape };
}

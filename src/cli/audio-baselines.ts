import type { LogMelStats } from "../data/audio/audio-features.js";
import type { Dataset } from "../data/dataset.js";
import { spectrogramShape } from "../data/sample.js";
import { type EvaluationResult, type ProtocolOptions, evaluateEmbeddings } from "../eval/protocol.js";
import { dtwBaseline, mfccDim, mfccFrameDim, mfccSequences, mfccStatistics } from "../eval/mfcc-baseline.js";

/** A data set's log-mel clips back in natural-log mel power (the datasets hold them normalized), `[N, M, T]`. */
export function rawLogMels(dataset: Dataset, stats: LogMelStats): { values: Float32Array; n: number; mels: number; frames: number } {
  const [mels, frames] = spectrogramShape(dataset.spec, "the mfcc and dtw baselines");
  const size = mels * frames;
  const values = new Float32Array(dataset.length * size);
  const scale = stats.std > 0 ? stats.std : 1;
  for (let i = 0; i < dataset.length; i++) {
    const clip = dataset.get(i).fields.logmel as Float32Array;
    for (let j = 0; j < size; j++) values[i * size + j] = (clip[j] as number) * scale + stats.mean;
  }
  return { values, n: dataset.length, mels, frames };
}

/** The "mfcc" baseline: per clip, the mean and standard deviation over frames of 13 MFCCs, Δ and ΔΔ, under the same probes as the encoder. */
export async function mfccBaseline(train: Dataset, test: Dataset, trainLabels: Int32Array, testLabels: Int32Array, numClasses: number, stats: LogMelStats, protocol: ProtocolOptions): Promise<EvaluationResult> {
  const [a, b] = [rawLogMels(train, stats), rawLogMels(test, stats)];
  const features = (x: typeof a) => ({ data: mfccStatistics(x.values, x.n, x.mels, x.frames), length: x.n, dim: mfccDim() });
  return evaluateEmbeddings(features(a), features(b), trainLabels, testLabels, numClasses, protocol);
}

/** The "dtw" baseline: DTW 1-nearest neighbour over MFCC (+ Δ, ΔΔ) frames, with the probes' label subsets as templates. */
export async function dtwLines(train: Dataset, test: Dataset, trainLabels: Int32Array, testLabels: Int32Array, numClasses: number, stats: LogMelStats, protocol: ProtocolOptions) {
  const [a, b] = [rawLogMels(train, stats), rawLogMels(test, stats)];
  const sequences = (x: typeof a) => mfccSequences(x.values, x.n, x.mels, x.frames);
  return dtwBaseline({ sequences: sequences(a), labels: trainLabels }, { sequences: sequences(b), labels: testLabels }, mfccFrameDim(), numClasses, {
    perClass: protocol.perClass ?? [],
    draws: protocol.draws ?? 5,
    seed: protocol.seed ?? 0,
    includeAll: protocol.linearAll === true,
  });
}

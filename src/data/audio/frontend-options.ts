import type { LogMelFrontendOptions } from "../../nn/log-mel-frontend.js";
import { type AudioFeatures, type LogMelStats, checkFeatures, checkStats } from "./audio-features.js";
import { melFilterbank } from "./mel-scale.js";

/** The in-graph featurizer's settings for `features` normalized by `stats`: what the host pipeline computes, as constants for `LogMelFrontend`. */
export function frontendOptions(features: AudioFeatures, stats: LogMelStats): LogMelFrontendOptions {
  const { sampleRate, nFft, winLength, hopLength, mels, fMin, fMax, melScale, logEpsilon } = checkFeatures(features);
  const { mean, std } = checkStats(stats);
  return { nFft, winLength, hopLength, mels, logEpsilon, mean, std, melFilters: melFilterbank({ sampleRate, nFft, mels, fMin, fMax, scale: melScale, norm: null }) };
}

// Speech audio as a modality: WAV files, resampling, log-mel features, feature caches and
// folders of clips. Readers of files (WAVs, folders, the cache) use node:fs.
export { AudioFileError, MAX_WAV_CHANNELS, type WavAudio, type WavEncoding, type WavFormat, decodeWav, encodeWav, readWav, toMono, writeWav } from "./wav.js";
export { type ResampleOptions, Resampler, resample, resampler } from "./resample.js";
export {
  type AudioFeatures,
  BYOL_A_FEATURES,
  type LogMelStats,
  type MelScale,
  checkFeatures,
  checkStats,
  clipFrames,
  clipSamples,
  featuresKey,
  fitClip,
  frameCount,
  logMelStats,
  loudestWindow,
  normalizeLogMel,
} from "./audio-features.js";
export { type MelFilterbankOptions, hzToMel, melEdgesHz, melFilterbank, melToHz } from "./mel-scale.js";
export { LogMelExtractor, type LogMelSpectrogram, logMelExtractor, logMelSpectrogram } from "./log-mel.js";
export { type CacheLookup, LogMelCache, contentDigest, defaultAudioCacheDir } from "./feature-cache.js";
export { type ClipResult, featurizeFile, featurizeWav } from "./featurize-clip.js";
export { type FeaturizeFilesOptions, featurizeFiles } from "./featurize-pool.js";
export {
  AUDIO_EXTENSIONS,
  type AudioFolderDataset,
  type AudioFolderOptions,
  type AudioFolderProgress,
  type AudioFolderSummary,
  MANIFEST_EXTENSIONS,
  audioFolderDataset,
  describeSkips,
  isAudioFolder,
} from "./audio-folder.js";
export { type AudioIndex, indexAudio } from "./audio-index.js";
export { frontendOptions } from "./frontend-options.js";
export { type MinePositivesOptions, minePositives, withPositives } from "./mined-positives.js";
export { type MfccOptions, computeDeltas, dctMatrix, mfccFromLogMel, mfccWithDeltas } from "./mfcc.js";
export { spectrogramGridPng, spectrogramGridPixels, writeSpectrogramGrid } from "./spectrogram-grid.js";

export {
  type MixupBankState,
  type MixupWithBackgroundOptions,
  logMixupExp,
  MixupBank,
  mixupWithBackground,
} from "./mixup.js";
export { applySpectrogramPipeline, applyWavePipeline, audioViews, augmentWaves, waveViews } from "./multi-view.js";
export { type AudioAugmentationPreset, type ByolAPresetOptions, byolABankCapacity, byolAPreset, colaPreset, SPEECH_LOG_MEL_STD, specAugmentPreset, voicePreset } from "./presets.js";
export { type MelBands, randomVoicePerturbation, shapeSpectrum, type VoicePerturbationOptions, warpFrequency } from "./voice.js";
export {
  type CropWindow,
  type RandomResizeCropOptions,
  type ResizeInterpolation,
  randomResizeCrop,
  resizeCrop,
  resizeSpectrogram,
} from "./resize-crop.js";
export { changeSpeed, type SpeedInterpolation, type SpeedPerturbationOptions, speedPerturbation } from "./speed.js";
export {
  addOffset,
  frequencyMasking,
  linearFade,
  type MaskAxis,
  type MaskValue,
  maskBand,
  NATS_PER_DB,
  type RandomLinearFaderOptions,
  type RandomLogGainOptions,
  type RandomTimeCropOptions,
  randomLinearFader,
  randomLogGain,
  randomTimeCrop,
  type SpecAugmentMaskingOptions,
  timeMasking,
  windowFrames,
} from "./spectrogram.js";
export {
  randomApply,
  type Spectrogram,
  type SpectrogramBatchShape,
  type SpectrogramPipeline,
  type SpectrogramTransform,
  type ViewContext,
  type WavePipeline,
  type WaveTransform,
} from "./transform.js";
export {
  type AdditiveNoiseOptions,
  addNoiseAtSnr,
  additiveNoise,
  applyGain,
  power,
  type RandomGainOptions,
  type RandomTimeShiftOptions,
  type RandomWaveCropOptions,
  randomGain,
  randomTimeShift,
  randomWaveCrop,
  SAMPLE_RATE,
  type ShiftMode,
  shiftWave,
  windowWave,
} from "./wave.js";

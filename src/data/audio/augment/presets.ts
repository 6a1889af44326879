import { mixupWithBackground } from "./mixup.js";
import { randomResizeCrop } from "./resize-crop.js";
import { frequencyMasking, randomLinearFader, randomTimeCrop, timeMasking } from "./spectrogram.js";
import type { SpectrogramPipeline } from "./transform.js";
import { randomVoicePerturbation } from "./voice.js";

/** The views of an audio SSL recipe on log-mel spectrograms. */
export interface AudioAugmentationPreset {
  readonly name: string;
  /** Run once per sample before the views, which all start from its result (e.g. one crop shared by both views). */
  readonly shared: SpectrogramPipeline;
  /** One pipeline per view, each ending at the view's `[mels, outFrames]`. */
  readonly views: readonly SpectrogramPipeline[];
  /** Whether a view mixes with past clips, so `audioViews` needs a `MixupBank`. */
  readonly needsBank: boolean;
}

export interface ByolAPresetOptions {
  /**
   * 1 (default): BYOL-A (Niizumi et al. 2021): mixup with α = 0.4 then random resize crop, no
   * fader. 2: BYOL-A v2 (Niizumi et al. 2023): mixup with α = 0.2, random resize crop, then the
   * random linear fader (gain 1.0). Their banks: 2,048 and 512 clips (`byolABankCapacity`).
   */
  version?: 1 | 2;
  /** Override whether the linear fader ends each view (default: version 2 only). */
  linearFader?: boolean;
  /** Override mixup's α (λ ~ U(0, α)). */
  mixupRatio?: number;
}

/** The size of BYOL-A's FIFO of past clips: 2,048 in their first code, 512 in v2. */
export function byolABankCapacity(version: 1 | 2 = 1): number {
  return version === 2 ? 512 : 2048;
}

/**
 * BYOL-A's views: one random crop of `outFrames` per sample (their dataset's crop, before the
 * augmentations), then per view mixup with a past clip (log-mixup-exp), random resize crop
 * (virtual canvas [1, 1.5], scales [0.6, 1.5], bicubic) and, in v2, the random linear fader.
 * BYOL-A applies these to log-mel normalized by the dataset's mean and standard deviation and
 * normalizes each batch of views again after them; both are the method's, not the views'.
 */
export function byolAPreset(options: ByolAPresetOptions = {}): AudioAugmentationPreset {
  const { version = 1 } = options;
  if (version !== 1 && version !== 2) throw new Error(`byolAPreset: version must be 1 or 2, got ${String(version)}`);
  const fader = options.linearFader ?? version === 2;
  const ratio = options.mixupRatio ?? (version === 2 ? 0.2 : 0.4);
  const view = (): SpectrogramPipeline => [mixupWithBackground({ ratio }), randomResizeCrop(), ...(fader ? [randomLinearFader({ gain: 1.0 })] : [])];
  return { name: version === 2 ? "byol-a-v2" : "byol-a", shared: [randomTimeCrop()], views: [view(), view()], needsBank: true };
}

/**
 * COLA (Saeed et al. 2021): "segments of the same clip" are the positives, so a view is a random
 * crop of `outFrames` (theirs 960 ms) and nothing else; the two crops are independent and may
 * overlap.
 */
export function colaPreset(): AudioAugmentationPreset {
  return { name: "cola", shared: [], views: [[randomTimeCrop()], [randomTimeCrop()]], needsBank: false };
}

/**
 * SpecAugment's masking (Park et al. 2019, LibriSpeech-double policy without time warping, the
 * costliest and least useful of its three parts in their ablation): two frequency masks of up to
 * 27 bands in 80 (22 in 64), two time masks of up to 100 frames and 20% of the clip, masked values
 * set to the clip's mean; as two views of one random crop, which differ only in what is hidden.
 */
export function specAugmentPreset(): AudioAugmentationPreset {
  const view = (): SpectrogramPipeline => [frequencyMasking(), timeMasking()];
  return { name: "spec-augment", shared: [randomTimeCrop()], views: [view(), view()], needsBank: false };
}

/**
 * The standard deviation of speech log-mel values (natural log of mel power, BYOL-A's features)
 * that the data sets are normalized by: 7.62 on the keyword pool, near it for any speech with
 * silences (the log floor is −15.9). The voice perturbation's gains in dB are divided by it.
 */
export const SPEECH_LOG_MEL_STD = 7.6;

/**
 * COLA's two random segments, each then spoken by a random voice (`randomVoicePerturbation`: a
 * frequency warp and a random equalizer), so the positives share the word and not the voice.
 */
export function voicePreset(): AudioAugmentationPreset {
  const view = (): SpectrogramPipeline => [randomTimeCrop(), randomVoicePerturbation({ normalizationStd: SPEECH_LOG_MEL_STD })];
  return { name: "voice", shared: [], views: [view(), view()], needsBank: false };
}

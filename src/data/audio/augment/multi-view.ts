import type { Rng } from "../../../random/rng.js";
import type { MixupBank } from "./mixup.js";
import type { AudioAugmentationPreset } from "./presets.js";
import {
  type Spectrogram,
  type SpectrogramBatchShape,
  type SpectrogramPipeline,
  type ViewContext,
  type WavePipeline,
  checkInteger,
  checkSpectrogramBatch,
} from "./transform.js";

/** Runs `pipeline` on one clip, in order; the clip itself is not modified. */
export function applySpectrogramPipeline(pipeline: SpectrogramPipeline, clip: Spectrogram, rng: Rng, context: ViewContext): Spectrogram {
  let current = clip;
  for (const transform of pipeline) current = transform.apply(current, rng, context);
  return current === clip ? { ...clip, data: clip.data.slice() } : current;
}

/** Runs `pipeline` on one waveform, in order; returns a new array. */
export function applyWavePipeline(pipeline: WavePipeline, wave: Float32Array, rng: Rng): Float32Array {
  let current = wave;
  for (const transform of pipeline) current = transform.apply(current, rng);
  return current === wave ? wave.slice() : current;
}

/**
 * The views of a batch of log-mel spectrograms, one `[N, 1, M, outFrames]` array per view of
 * `preset` (two for the presets here). Per sample, in batch order: a generator is split off
 * `rng`; from it the preset's `shared` pipeline makes the sample's clip (BYOL-A's one input crop)
 * and each view runs on that clip with its own split generator; then, for a preset that mixes,
 * the clip joins `bank`. So sample i's views depend on the generator's state, the samples before
 * it and the bank, never on how many samples follow it: a batch cut in two gives the same views
 * as the whole.
 * @param batch `[N, 1, M, T]` row-major (frames minor); not modified.
 * @param bank BYOL-A's memory of past clips, advanced in place like `rng`; required when a view
 *   mixes (`mixupWithBackground`), and then part of the run's state to checkpoint.
 */
export function audioViews(
  batch: Float32Array,
  shape: SpectrogramBatchShape,
  preset: AudioAugmentationPreset,
  rng: Rng,
  outFrames: number,
  bank: MixupBank | null = null,
): Float32Array[] {
  const where = `audioViews(${preset.name})`;
  checkSpectrogramBatch(where, batch, shape);
  checkInteger(where, "outFrames", outFrames, 1);
  if (preset.views.length === 0) throw new Error(`${where}: the preset has no views`);
  if (preset.needsBank && bank === null) throw new Error(`${where}: the preset mixes with past clips and needs a MixupBank (the bank argument)`);
  const [n, , mels, frames] = shape;
  const context: ViewContext = { outFrames, bank };
  const out = preset.views.map(() => new Float32Array(n * mels * outFrames));
  for (let s = 0; s < n; s++) {
    const sampleRng = rng.split();
    const input: Spectrogram = { data: batch.subarray(s * mels * frames, (s + 1) * mels * frames), mels, frames };
    const clip = applySpectrogramPipeline(preset.shared, input, sampleRng.split(), context);
    preset.views.forEach((pipeline, k) => {
      const view = applySpectrogramPipeline(pipeline, clip, sampleRng.split(), context);
      if (view.mels !== mels || view.frames !== outFrames) {
        throw new Error(`${where}: view ${k} made [${view.mels}, ${view.frames}] of a [${mels}, ${frames}] clip; the views must be [${mels}, ${outFrames}]`);
      }
      (out[k] as Float32Array).set(view.data, s * mels * outFrames);
    });
    // NOTE: pushed after the sample's views (BYOL-A pushes after each call, so its second view may
    // mix a clip with itself); a view never mixes with its own clip here.
    if (preset.needsBank) bank?.push(clip);
  }
  return out;
}

/** One augmented copy of each waveform, each drawing from its own generator split off `rng` in order. */
export function augmentWaves(waves: readonly Float32Array[], pipeline: WavePipeline, rng: Rng): Float32Array[] {
  return waves.map((wave) => applyWavePipeline(pipeline, wave, rng.split()));
}

/**
 * Views of waveforms: per clip, in order, a generator split off `rng`, from which each view
 * splits its own; returns `views.length` arrays of `waves.length` clips (lengths may differ:
 * speed perturbation changes them).
 */
export function waveViews(waves: readonly Float32Array[], views: readonly WavePipeline[], rng: Rng): Float32Array[][] {
  if (views.length === 0) throw new Error("waveViews: needs at least one view");
  const out: Float32Array[][] = views.map(() => []);
  for (const wave of waves) {
    const clipRng = rng.split();
    views.forEach((pipeline, k) => (out[k] as Float32Array[]).push(applyWavePipeline(pipeline, wave, clipRng.split())));
  }
  return out;
}

import { readFileSync } from "node:fs";
import { type AudioFeatures, fitClip } from "./audio-features.js";
import { type LogMelCache, contentDigest } from "./feature-cache.js";
import { logMelExtractor } from "./log-mel.js";
import { resample } from "./resample.js";
import { AudioFileError, decodeWav, toMono } from "./wav.js";

/**
 * The log-mel spectrogram (`[mels, frames]`, unnormalized) of one WAV file's bytes: decoded,
 * downmixed to mono, resampled to `features.sampleRate`, fitted to the clip length
 * (`fitClip`), featurized. Bad bytes are an `AudioFileError` naming `name`.
 */
export function featurizeWav(bytes: Uint8Array, name: string, features: AudioFeatures): Float32Array {
  const audio = decodeWav(bytes, name);
  const mono = toMono(audio.samples);
  const wave = audio.sampleRate === features.sampleRate ? mono : resample(mono, audio.sampleRate, features.sampleRate);
  return logMelExtractor(features).compute(fitClip(wave, features)).values;
}

/** What featurizing one file gave. */
export type ClipResult =
  | { readonly ok: true; readonly values: Float32Array; readonly cached: boolean; readonly corruptEntry: boolean; readonly cacheError?: string }
  | { readonly ok: false; readonly reason: string };

/**
 * One file's spectrogram through `cache` (null: no cache): a hit is read back; a miss (or a
 * corrupt entry) is computed and stored. A file that cannot be read or decoded is `ok: false`
 * with its reason; a cache that cannot be written is reported, not fatal. Synchronous: it is CPU
 * work on small files, run in worker threads (see `featurizeFiles`).
 */
export function featurizeFile(path: string, features: AudioFeatures, cache: LogMelCache | null): ClipResult {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    return { ok: false, reason: code === "ENOENT" ? "no such file" : `cannot read the file (${code || messageOf(error)})` };
  }
  const digest = cache === null ? "" : contentDigest(bytes);
  let corruptEntry = false;
  if (cache !== null) {
    const found = cache.read(digest);
    if (found.hit) return { ok: true, values: found.values, cached: true, corruptEntry: false };
    corruptEntry = found.corrupt;
  }
  let values: Float32Array;
  try {
    values = featurizeWav(bytes, path, features);
  } catch (error) {
    return { ok: false, reason: error instanceof AudioFileError ? error.reason : messageOf(error) };
  }
  if (cache === null) return { ok: true, values, cached: false, corruptEntry };
  try {
    cache.write(digest, values);
  } catch (error) {
    return { ok: true, values, cached: false, corruptEntry, cacheError: messageOf(error) };
  }
  return { ok: true, values, cached: false, corruptEntry };
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.trim() ?? message;
}

import { loudestWindow } from "../data/audio/audio-features.js";
import { resample } from "../data/audio/resample.js";
import { encodeWav, readWav, toMono } from "../data/audio/wav.js";

/**
 * Clips are put in the page at 16 kHz, 16-bit mono: the rate the speech features use, and
 * 32 kB per second (43 kB as base64), so 30 one-second clips add ~1.3 MB to the report.
 */
export const EMBEDDED_SAMPLE_RATE = 16_000;

/** A clip ready for an `<audio>` element. */
export interface EmbeddedClip {
  /** `data:audio/wav;base64,…` */
  readonly src: string;
  /** Bytes of the WAV file before base64. */
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * The WAV file at `path` as a data URL for `<audio src>`: decoded, downmixed, resampled to
 * 16 kHz and re-encoded as 16-bit PCM. A clip longer than `maxSeconds` keeps its loudest
 * `maxSeconds` (as `fitClip` crops, so one hears what the encoder heard); a shorter one is not
 * padded. An unreadable file throws the reader's one-line `AudioFileError`.
 */
export async function clipDataUrl(path: string, maxSeconds: number): Promise<EmbeddedClip> {
  const wav = await readWav(path);
  let wave = resample(toMono(wav.samples), wav.sampleRate, EMBEDDED_SAMPLE_RATE);
  const max = Math.max(1, Math.round(maxSeconds * EMBEDDED_SAMPLE_RATE));
  if (wave.length > max) {
    const start = loudestWindow(wave, max);
    wave = wave.subarray(start, start + max);
  }
  const bytes = encodeWav(wave, EMBEDDED_SAMPLE_RATE, "16");
  return { src: `data:audio/wav;base64,${Buffer.from(bytes).toString("base64")}`, bytes: bytes.length, seconds: wave.length / EMBEDDED_SAMPLE_RATE };
}

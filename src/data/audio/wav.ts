import { readFile } from "node:fs/promises";
import wavefile from "wavefile";
import { writeFileAtomic } from "../../io/write-atomic.js";

/** How a WAV's samples are stored: integer PCM or IEEE float. */
export type WavFormat = "pcm" | "float";

/** A decoded WAV file. */
export interface WavAudio {
  /** One array per channel; integer PCM scaled to [-1, 1) (full scale 2^(bits−1)), float as stored. */
  readonly samples: Float32Array[];
  readonly sampleRate: number;
  readonly channels: number;
  /** Bits per sample: 8, 16, 24 or 32 for PCM; 32 or 64 for float. */
  readonly bitDepth: number;
  readonly format: WavFormat;
}

/** A WAV file that cannot be read; the message is one line, `<file>: <reason>`. */
export class AudioFileError extends Error {
  readonly file: string;
  readonly reason: string;

  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = "AudioFileError";
    this.file = file;
    this.reason = reason;
  }
}

/** More channels than this is taken for a broken header rather than audio (7.1 surround is 8). */
export const MAX_WAV_CHANNELS = 8;

/** The encodings `encodeWav` writes: wavefile's bit depth codes ("32f" and "64" are float). */
export type WavEncoding = "8" | "16" | "24" | "32" | "32f" | "64";

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;
/** Format tags met in the wild that are not PCM or float, for the error message. */
const FORMAT_NAMES: Readonly<Record<number, string>> = {
  0x0002: "Microsoft ADPCM",
  0x0006: "A-law",
  0x0007: "µ-law",
  0x0011: "IMA ADPCM",
  0x0031: "GSM 6.10",
  0x0050: "MPEG",
  0x0055: "MPEG Layer 3",
  0x0161: "Windows Media Audio",
  0x1610: "AAC",
  0xf1ac: "FLAC",
};
const CONTAINERS = ["RIFF", "RIFX", "RF64"];
/** Other formats a misnamed .wav often is, by their first bytes. */
const SIGNATURES: readonly (readonly [string, string])[] = [
  ["ID3", "MP3 (ID3 tag)"],
  ["fLaC", "FLAC"],
  ["OggS", "Ogg"],
  ["FORM", "AIFF"],
  ["caff", "Core Audio (CAF)"],
  [".snd", "Sun/NeXT audio (AU)"],
];

/** Reads and decodes a WAV file (see `decodeWav`); a missing or unreadable file is an `AudioFileError` too. */
export async function readWav(path: string): Promise<WavAudio> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "";
    throw new AudioFileError(path, code === "ENOENT" ? "no such file" : `cannot read the file (${code || String(error)})`);
  }
  return decodeWav(bytes, path);
}

/**
 * Decodes the bytes of a WAV file (RIFF or RIFX, integer PCM of 8/16/24/32 bits or IEEE float of
 * 32/64 bits, WAVE_FORMAT_EXTENSIBLE included, 1 to 8 channels, any rate). Anything else is an
 * `AudioFileError` naming `name` and what is wrong in one line: not RIFF/WAVE (and what it looks
 * like instead), truncated, no samples, an unsupported encoding (A-law, µ-law, ADPCM, …: which),
 * an inconsistent header (which fields disagree), or a NaN or infinite float sample (its index).
 */
export function decodeWav(bytes: Uint8Array, name: string): WavAudio {
  const bad = (reason: string) => new AudioFileError(name, reason);
  if (bytes.length === 0) throw bad("empty file (0 bytes)");
  const magic = ascii(bytes, 0, 4);
  if (!CONTAINERS.includes(magic)) {
    const known = SIGNATURES.find(([prefix]) => magic.startsWith(prefix));
    throw bad(`not a WAV file: ${known === undefined ? `no RIFF header (starts with ${quote(bytes.subarray(0, 4))})` : `${known[1]} data`}`);
  }
  if (bytes.length < 12) throw bad(`truncated: ${bytes.length} bytes, shorter than a RIFF header (12)`);
  const kind = ascii(bytes, 8, 12);
  if (kind !== "WAVE") throw bad(`not a WAV file: a RIFF file of type ${quote(bytes.subarray(8, 12))}, not WAVE`);

  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const cut = truncatedChunk(bytes, magic === "RIFX");
    if (cut !== null) {
      throw bad(cut.id === null ? `truncated: the file ends inside a chunk header at byte ${cut.at}` : `truncated: the file ends inside its ${cut.id} chunk (${cut.held} of ${cut.size} bytes)`);
    }
    if (message.includes('"fmt "')) throw bad("truncated or damaged: no fmt chunk (the header that says how samples are stored)");
    if (message.includes('"data"')) throw bad("truncated or damaged: no data chunk");
    throw bad(`unreadable WAV header (${message.split("\n")[0] ?? message})`);
  }
  const fmt = wav.fmt;
  const tag = headerNumber(fmt, "audioFormat");
  const channels = headerNumber(fmt, "numChannels");
  const sampleRate = headerNumber(fmt, "sampleRate");
  const blockAlign = headerNumber(fmt, "blockAlign");
  const bits = headerNumber(fmt, "bitsPerSample");
  if (tag === null || channels === null || sampleRate === null || blockAlign === null || bits === null) throw bad("truncated or damaged: the fmt chunk is incomplete");
  let format = tag;
  if (format === EXTENSIBLE) {
    // the sub-format GUID starts with the actual format tag
    const subformat = Reflect.get(fmt, "subformat");
    const first: unknown = Array.isArray(subformat) ? subformat[0] : undefined;
    if (typeof first !== "number") throw bad("truncated or damaged: WAVE_FORMAT_EXTENSIBLE without its sub-format");
    format = first & 0xffff;
  }
  if (format !== PCM && format !== IEEE_FLOAT) {
    const what = FORMAT_NAMES[format] ?? "an encoding other than PCM or float";
    throw bad(`unsupported encoding: ${what} (format tag 0x${format.toString(16).padStart(4, "0")}); pretext reads PCM (8/16/24/32-bit) and float (32/64-bit) WAV: convert it, e.g. sox in.wav -e signed-integer -b 16 out.wav`);
  }
  const isFloat = format === IEEE_FLOAT;
  const bitDepth = bits;
  if (isFloat ? bitDepth !== 32 && bitDepth !== 64 : ![8, 16, 24, 32].includes(bitDepth)) {
    throw bad(`unsupported encoding: ${bitDepth}-bit ${isFloat ? "float" : "PCM"}; pretext reads PCM of 8/16/24/32 bits and float of 32/64 bits`);
  }
  const channelCount = channels;
  if (channelCount === 0) throw bad("inconsistent header: 0 channels");
  if (channelCount > MAX_WAV_CHANNELS) throw bad(`${channelCount} channels: at most ${MAX_WAV_CHANNELS} are read (and downmixed); is the header damaged?`);
  if (!(sampleRate > 0)) throw bad(`inconsistent header: sample rate ${sampleRate} Hz`);
  const bytesPerSample = bitDepth / 8;
  const frameBytes = channelCount * bytesPerSample;
  if (blockAlign !== frameBytes) {
    throw bad(`inconsistent header: block align ${blockAlign} bytes, but ${channelCount} channel${channelCount === 1 ? "" : "s"} of ${bitDepth} bits take ${frameBytes}`);
  }

  const declared = headerNumber(wav.data, "chunkSize") ?? 0;
  const stored = Reflect.get(wav.data, "samples");
  const data = stored instanceof Uint8Array ? stored : new Uint8Array(0);
  if (data.length < declared) throw bad(`truncated: the data chunk declares ${declared} bytes, the file holds ${data.length}`);
  if (declared === 0) throw bad("no samples (the data chunk is empty)");
  if (declared % frameBytes !== 0) throw bad(`inconsistent header: the data chunk's ${declared} bytes are not a whole number of ${frameBytes}-byte frames`);

  const frames = declared / frameBytes;
  const view = new DataView(data.buffer, data.byteOffset, declared);
  const littleEndian = wav.container !== "RIFX";
  const samples = Array.from({ length: channelCount }, () => new Float32Array(frames));
  for (let c = 0; c < channelCount; c++) {
    const out = samples[c] as Float32Array;
    decodeChannel(view, out, c * bytesPerSample, frameBytes, bitDepth, isFloat, littleEndian);
    if (isFloat) {
      for (let i = 0; i < frames; i++) {
        const v = out[i] as number;
        if (!Number.isFinite(v)) throw bad(`sample ${i}${channelCount > 1 ? ` of channel ${c}` : ""} is ${v} (float WAVs must hold finite samples)`);
      }
    }
  }
  return { samples, sampleRate, channels: channelCount, bitDepth, format: isFloat ? "float" : "pcm" };
}

function decodeChannel(view: DataView, out: Float32Array, first: number, stride: number, bits: number, isFloat: boolean, le: boolean): void {
  const n = out.length;
  if (isFloat && bits === 32) for (let i = 0, p = first; i < n; i++, p += stride) out[i] = view.getFloat32(p, le);
  else if (isFloat) for (let i = 0, p = first; i < n; i++, p += stride) out[i] = view.getFloat64(p, le);
  // 8-bit WAV is unsigned, offset by 128; wider PCM is two's complement
  else if (bits === 8) for (let i = 0, p = first; i < n; i++, p += stride) out[i] = (view.getUint8(p) - 128) / 128;
  else if (bits === 16) for (let i = 0, p = first; i < n; i++, p += stride) out[i] = view.getInt16(p, le) / 32768;
  else if (bits === 32) for (let i = 0, p = first; i < n; i++, p += stride) out[i] = view.getInt32(p, le) / 2147483648;
  else {
    const [low, high] = le ? [0, 2] : [2, 0];
    for (let i = 0, p = first; i < n; i++, p += stride) {
      out[i] = (view.getInt8(p + high) * 65536 + view.getUint8(p + 1) * 256 + view.getUint8(p + low)) / 8388608;
    }
  }
}

/** The mean of the channels (the channel itself for mono). */
export function toMono(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0];
  if (first === undefined) throw new Error("toMono: no channels");
  if (channels.length === 1) return first;
  const n = first.length;
  for (const channel of channels) if (channel.length !== n) throw new Error(`toMono: channels of ${n} and ${channel.length} samples`);
  const out = new Float32Array(n);
  for (const channel of channels) for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (channel[i] as number);
  const scale = 1 / channels.length;
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) * scale;
  return out;
}

/**
 * The bytes of a WAV file holding `samples` (one channel, or one array per channel) at
 * `sampleRate`: integer PCM rounded from [-1, 1] (clipped; full scale 2^(bits−1)), or float.
 */
export function encodeWav(samples: Float32Array | readonly Float32Array[], sampleRate: number, encoding: WavEncoding = "16"): Uint8Array {
  const channels = samples instanceof Float32Array ? [samples] : samples;
  if (channels.length < 1 || channels.length > MAX_WAV_CHANNELS) throw new Error(`encodeWav: 1 to ${MAX_WAV_CHANNELS} channels, got ${channels.length}`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new Error(`encodeWav: the sample rate must be a positive integer, got ${sampleRate}`);
  const n = (channels[0] as Float32Array).length;
  if (channels.some((c) => c.length !== n)) throw new Error("encodeWav: channels of different lengths");
  const isFloat = encoding === "32f" || encoding === "64";
  const bits = Number.parseInt(encoding, 10);
  const full = 2 ** (bits - 1);
  const offset = bits === 8 ? 128 : 0;
  const data = channels.map((channel) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = channel[i] as number;
      if (!Number.isFinite(v)) throw new Error(`encodeWav: sample ${i} is ${v}`);
      out[i] = isFloat ? v : Math.min(full - 1, Math.max(-full, Math.round(v * full))) + offset;
    }
    return out;
  });
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels.length, sampleRate, encoding, data);
  return wav.toBuffer();
}

/** Writes mono `samples` as a 16-bit PCM WAV, atomically (a reader never sees half a file). */
export async function writeWav(path: string, samples: Float32Array, sampleRate: number): Promise<void> {
  await writeFileAtomic(path, encodeWav(samples, sampleRate, "16"));
}

/** The chunk a RIFF file ends inside, with its declared and present sizes, or null when it ends between chunks. */
function truncatedChunk(bytes: Uint8Array, bigEndian: boolean): { id: string | null; at: number; size: number; held: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 12;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) return { id: null, at, size: 8, held: bytes.length - at };
    const size = view.getUint32(at + 4, !bigEndian);
    if (at + 8 + size > bytes.length) return { id: quote(bytes.subarray(at, at + 4)), at, size, held: bytes.length - at - 8 };
    at += 8 + size + (size & 1);
  }
  return null;
}

function headerNumber(chunk: object, key: string): number | null {
  const value: unknown = Reflect.get(chunk, key);
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

/** Bytes as a quoted string, non-printable ones as \xNN, for messages. */
function quote(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  return `"${out}"`;
}

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import wavefile from "wavefile";
import { afterAll, describe, expect, it } from "vitest";
import { AudioFileError, type WavEncoding, decodeWav, encodeWav, readWav, toMono, writeWav } from "../../../src/data/audio/wav.js";

const root = mkdtempSync(join(tmpdir(), "pretext-wav-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A seeded-free deterministic test signal in [-0.9, 0.9], different per channel. */
function signal(n: number, channel = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.9 * Math.sin(i * (0.05 + 0.02 * channel)) * Math.cos(i * 0.0031));
}

/** Byte offset of a chunk's id in a RIFF file. */
function chunkAt(bytes: Uint8Array, id: string): number {
  for (let i = 12; i + 4 <= bytes.length; i++) if (String.fromCharCode(...bytes.subarray(i, i + 4)) === id) return i;
  throw new Error(`no ${id} chunk`);
}

function errorOf(fn: () => unknown): AudioFileError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AudioFileError) return error;
    throw error;
  }
  throw new Error("no error");
}

/** The one-line message of decoding `bytes` as "x.wav". */
function reasonFor(bytes: Uint8Array): string {
  const error = errorOf(() => decodeWav(bytes, "x.wav"));
  expect(error.message.startsWith("x.wav: ")).toBe(true);
  expect(error.message).not.toContain("\n");
  return error.reason;
}

describe("WAV reading and writing", () => {
  const cases: readonly [WavEncoding, number, "pcm" | "float", number][] = [
    ["8", 8, "pcm", 1 / 128],
    ["16", 16, "pcm", 1 / 32768],
    ["24", 24, "pcm", 1 / 8388608],
    ["32", 32, "pcm", 1 / 2147483648],
    ["32f", 32, "float", 0],
    ["64", 64, "float", 0],
  ];
  it.each(cases)("round-trips %s-bit samples, mono and stereo, to within half a quantization step", (encoding, bitDepth, format, step) => {
    for (const channels of [1, 2]) {
      const source = Array.from({ length: channels }, (_, c) => signal(1000, c));
      const audio = decodeWav(encodeWav(source, 22050, encoding), "x.wav");
      expect({ rate: audio.sampleRate, channels: audio.channels, bitDepth: audio.bitDepth, format: audio.format }).toEqual({ rate: 22050, channels, bitDepth, format });
      for (let c = 0; c < channels; c++) {
        const got = audio.samples[c] as Float32Array;
        expect(got.length).toBe(1000);
        let worst = 0;
        for (let i = 0; i < 1000; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (source[c]?.[i] as number)));
        // float32 precision of the decoded value on top of the quantization
        expect(worst).toBeLessThanOrEqual(step / 2 + 1e-7);
      }
    }
  });

  it("reads full scale: 16-bit -32768 is -1 and 8-bit 0 is -1", () => {
    const audio = decodeWav(encodeWav(Float32Array.from([-1, 1, 0]), 8000, "16"), "x.wav");
    expect(Array.from(audio.samples[0] as Float32Array)).toEqual([-1, 32767 / 32768, 0]);
    const eight = decodeWav(encodeWav(Float32Array.from([-1, 0]), 8000, "8"), "x.wav");
    expect(Array.from(eight.samples[0] as Float32Array)).toEqual([-1, 0]);
  });

  it("writes 16-bit PCM atomically and reads it back from disk", async () => {
    const path = join(root, "nested", "tone.wav");
    const wave = signal(480);
    await writeWav(path, wave, 48000);
    const audio = await readWav(path);
    expect(audio.format).toBe("pcm");
    expect(audio.bitDepth).toBe(16);
    expect(audio.sampleRate).toBe(48000);
    expect(Math.max(...(audio.samples[0] as Float32Array).map((v, i) => Math.abs(v - (wave[i] as number))))).toBeLessThanOrEqual(0.5 / 32768 + 1e-7);
    await expect(readWav(join(root, "missing.wav"))).rejects.toThrow(`${join(root, "missing.wav")}: no such file`);
  });

  it("downmixes any channel count up to 8 by the mean", () => {
    const seven = Array.from({ length: 7 }, (_, c) => Float32Array.from([c / 10, -c / 10, 0.5]));
    const audio = decodeWav(encodeWav(seven, 16000, "32f"), "7ch.wav");
    expect(audio.channels).toBe(7);
    const mono = toMono(audio.samples);
    expect(mono[0]).toBeCloseTo(0.3, 6);
    expect(mono[1]).toBeCloseTo(-0.3, 6);
    expect(mono[2]).toBeCloseTo(0.5, 6);
    const single = Float32Array.from([1, 2]);
    expect(toMono([single])).toBe(single);
  });
});

describe("bad WAV input is one line naming the file", () => {
  const good = encodeWav(signal(100), 16000, "16");

  it("empty, not RIFF, and RIFF of another type", () => {
    expect(reasonFor(new Uint8Array(0))).toBe("empty file (0 bytes)");
    expect(reasonFor(new TextEncoder().encode("ID3\x03 some mp3"))).toBe("not a WAV file: MP3 (ID3 tag) data");
    expect(reasonFor(new TextEncoder().encode("hello, world"))).toBe('not a WAV file: no RIFF header (starts with "hell")');
    const avi = good.slice();
    avi.set(new TextEncoder().encode("AVI "), 8);
    expect(reasonFor(avi)).toBe('not a WAV file: a RIFF file of type "AVI ", not WAVE');
  });

  it("truncated files: in the header, before the data chunk, inside the data", () => {
    expect(reasonFor(good.subarray(0, 8))).toBe("truncated: 8 bytes, shorter than a RIFF header (12)");
    expect(reasonFor(good.subarray(0, 20))).toBe('truncated: the file ends inside its "fmt " chunk (0 of 16 bytes)');
    expect(reasonFor(good.subarray(0, 14))).toBe("truncated: the file ends inside a chunk header at byte 12");
    expect(reasonFor(good.subarray(0, chunkAt(good, "data")))).toBe("truncated or damaged: no data chunk");
    expect(reasonFor(good.subarray(0, good.length - 11))).toBe("truncated: the data chunk declares 200 bytes, the file holds 189");
  });

  it("no samples", () => {
    const empty = new wavefile.WaveFile();
    empty.fromScratch(1, 16000, "16", []);
    expect(reasonFor(empty.toBuffer())).toBe("no samples (the data chunk is empty)");
  });

  it("A-law, µ-law and IMA ADPCM are named as unsupported encodings", () => {
    const encode = (to: "alaw" | "mulaw" | "ima") => {
      const wav = new wavefile.WaveFile();
      wav.fromScratch(1, 8000, "16", Int16Array.from({ length: 505 }, (_, i) => Math.round(8000 * Math.sin(i / 5))));
      if (to === "alaw") wav.toALaw();
      else if (to === "mulaw") wav.toMuLaw();
      else wav.toIMAADPCM();
      return wav.toBuffer();
    };
    expect(reasonFor(encode("alaw"))).toMatch(/^unsupported encoding: A-law \(format tag 0x0006\); pretext reads PCM/);
    expect(reasonFor(encode("mulaw"))).toMatch(/^unsupported encoding: µ-law \(format tag 0x0007\)/);
    expect(reasonFor(encode("ima"))).toMatch(/^unsupported encoding: IMA ADPCM \(format tag 0x0011\)/);
  });

  it("WAVE_FORMAT_EXTENSIBLE is read by its sub-format", () => {
    const bytes = encodeWav([signal(10), signal(10, 1), signal(10, 2)], 16000, "16");
    const fmt = chunkAt(bytes, "fmt ") + 8;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint16(fmt, 0xfffe, true);
    view.setUint32(fmt + 24, 1, true); // KSDATAFORMAT_SUBTYPE_PCM starts 01 00 00 00
    expect(decodeWav(bytes, "x.wav").channels).toBe(3);
    view.setUint32(fmt + 24, 6, true);
    expect(reasonFor(bytes)).toMatch(/^unsupported encoding: A-law \(format tag 0x0006\)/);
  });

  it("inconsistent headers: block align, channel count, frames", () => {
    const fmt = chunkAt(good, "fmt ") + 8;
    const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const misaligned = good.slice();
    view(misaligned).setUint16(fmt + 12, 4, true);
    expect(reasonFor(misaligned)).toBe("inconsistent header: block align 4 bytes, but 1 channel of 16 bits take 2");
    const many = good.slice();
    view(many).setUint16(fmt + 2, 9, true);
    expect(reasonFor(many)).toBe("9 channels: at most 8 are read (and downmixed); is the header damaged?");
    const none = good.slice();
    view(none).setUint16(fmt + 2, 0, true);
    expect(reasonFor(none)).toBe("inconsistent header: 0 channels");
    const odd = encodeWav(signal(3), 16000, "16");
    const data = chunkAt(odd, "data");
    view(odd).setUint32(data + 4, 5, true);
    expect(reasonFor(odd)).toBe("inconsistent header: the data chunk's 5 bytes are not a whole number of 2-byte frames");
  });

  it("a NaN or infinite float sample, by its index", () => {
    const float32 = encodeWav([signal(50), signal(50, 1)], 16000, "32f");
    const at = chunkAt(float32, "data") + 8;
    new DataView(float32.buffer, float32.byteOffset).setFloat32(at + (17 * 2 + 1) * 4, Number.NaN, true);
    expect(reasonFor(float32)).toBe("sample 17 of channel 1 is NaN (float WAVs must hold finite samples)");
    const float64 = encodeWav(signal(50), 16000, "64");
    new DataView(float64.buffer, float64.byteOffset).setFloat64(chunkAt(float64, "data") + 8 + 3 * 8, Number.POSITIVE_INFINITY, true);
    expect(reasonFor(float64)).toBe("sample 3 is Infinity (float WAVs must hold finite samples)");
  });

  it("readWav names the path", async () => {
    const path = join(root, "bad.wav");
    writeFileSync(path, "not audio at all");
    await expect(readWav(path)).rejects.toThrow(`${path}: not a WAV file: no RIFF header (starts with "not ")`);
  });
});

import wavefile from "wavefile";
import { describe, expect, it } from "vitest";
import { addNoise, finishUtterance, peakNormalize, trimSilence } from "../../../../src/data/audio/synth/finish.js";
import { encodePcm16, readPcm16 } from "../../../../src/data/audio/synth/pcm16.js";
import { Rng } from "../../../../src/random/rng.js";

const RATE = 16000;

/** 0.3 s of silence, 0.2 s of a 440 Hz tone at amplitude `a`, 0.3 s of silence. */
function toneInSilence(a: number): Float32Array {
  const x = new Float32Array(0.8 * RATE);
  for (let i = 0.3 * RATE; i < 0.5 * RATE; i++) x[i] = a * Math.sin((2 * Math.PI * 440 * i) / RATE);
  return x;
}

describe("trimSilence", () => {
  it("keeps the sound and 20 ms each side, and nothing of a silent clip", () => {
    const trimmed = trimSilence(toneInSilence(0.5), RATE);
    expect(trimmed?.length).toBe(0.2 * RATE + 2 * 0.02 * RATE);
    expect(trimSilence(new Float32Array(1000), RATE)).toBeNull();
  });

  it("cuts frames 40 dB below the loudest, keeps those above", () => {
    const x = toneInSilence(0.5);
    for (let i = 0; i < 0.1 * RATE; i++) x[i] = 0.5 * 10 ** (-50 / 20) * Math.sin(i); // −50 dB hum: cut
    for (let i = 0.6 * RATE; i < 0.7 * RATE; i++) x[i] = 0.5 * 10 ** (-30 / 20) * Math.sin(i); // −30 dB tail: kept
    expect(trimSilence(x, RATE)?.length).toBe(0.4 * RATE + 2 * 0.02 * RATE);
  });
});

describe("addNoise and peakNormalize", () => {
  it("adds white noise at the asked SNR (within 0.2 dB on 16,000 samples)", () => {
    const clean = Float32Array.from({ length: RATE }, (_, i) => 0.3 * Math.sin(i / 7));
    for (const snr of [10, 25, 40]) {
      const noisy = clean.slice();
      addNoise(noisy, snr, new Rng(snr));
      let signal = 0;
      let noise = 0;
      for (let i = 0; i < clean.length; i++) {
        signal += (clean[i] as number) ** 2;
        noise += ((noisy[i] as number) - (clean[i] as number)) ** 2;
      }
      expect(Math.abs(10 * Math.log10(signal / noise) - snr)).toBeLessThan(0.2);
    }
  });

  it("scales the largest sample to the asked level", () => {
    const x = Float32Array.from([0.1, -0.4, 0.2]);
    peakNormalize(x, -6);
    expect(Math.max(...x.map(Math.abs))).toBeCloseTo(10 ** (-6 / 20), 6);
  });

  it("finishUtterance trims, normalizes and rounds to 16 bits; the same seed gives the same noise", () => {
    const raw = { samples: Int16Array.from(toneInSilence(0.25), (v) => Math.round(v * 32767)), sampleRate: RATE };
    const a = finishUtterance(raw, { peakDbfs: -3, noise: { snrDb: 20, seed: 7 } }, "x.wav");
    expect(a).toEqual(finishUtterance(raw, { peakDbfs: -3, noise: { snrDb: 20, seed: 7 } }, "x.wav"));
    expect(a).not.toEqual(finishUtterance(raw, { peakDbfs: -3, noise: { snrDb: 20, seed: 8 } }, "x.wav"));
    const clean = finishUtterance(raw, { peakDbfs: -3, noise: null }, "x.wav");
    expect(clean.length).toBe(0.24 * RATE);
    expect(Math.max(...clean.map(Math.abs)) / 32767).toBeCloseTo(10 ** (-3 / 20), 3);
    expect(() => finishUtterance({ samples: new Int16Array(100), sampleRate: RATE }, { peakDbfs: -3, noise: null }, "x.wav")).toThrow("x.wav: the synthesizer produced silence");
  });
});

describe("encodePcm16", () => {
  it("writes a 16-bit mono WAV that wavefile reads back exactly", () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    const bytes = encodePcm16(samples, 22050);
    const wav = new wavefile.WaveFile(bytes);
    expect(wav.fmt).toMatchObject({ audioFormat: 1, numChannels: 1, sampleRate: 22050, bitsPerSample: 16, blockAlign: 2, byteRate: 44100 });
    expect(Array.from(wav.getSamples(false, Int16Array))).toEqual(Array.from(samples));
    // and it is byte for byte what wavefile itself writes
    const reference = new wavefile.WaveFile();
    reference.fromScratch(1, 22050, "16", samples);
    expect(Buffer.from(bytes).equals(Buffer.from(reference.toBuffer()))).toBe(true);
    expect(readPcm16(bytes, "x")).toEqual({ samples, sampleRate: 22050 });
  });

  it("readPcm16 finds the data after other chunks and rejects other formats", () => {
    const plain = encodePcm16(Int16Array.from([5, -5]), 8000);
    const list = new Uint8Array([...new TextEncoder().encode("LIST"), 4, 0, 0, 0, ...new TextEncoder().encode("INFO")]);
    const withList = new Uint8Array([...plain.subarray(0, 36), ...list, ...plain.subarray(36)]);
    new DataView(withList.buffer).setUint32(4, withList.length - 8, true);
    expect(readPcm16(withList, "x").samples).toEqual(Int16Array.from([5, -5]));
    const stereo = plain.slice();
    new DataView(stereo.buffer).setUint16(22, 2, true);
    expect(() => readPcm16(stereo, "flite")).toThrow("flite: the engine wrote format 1, 2 channels, 16 bits; expected 16-bit PCM mono");
    expect(() => readPcm16(new Uint8Array(8), "flite")).toThrow("not a WAV file");
  });
});

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readWav } from "../../../src/data/audio/wav.js";
import { indexAudio } from "../../../src/data/audio/audio-index.js";
import { audioFolderDataset } from "../../../src/data/audio/audio-folder.js";
import { type BadInput, OUT } from "../bad-input.js";

interface Header {
  readonly container?: string;
  readonly kind?: string;
  readonly format?: number;
  readonly channels?: number;
  readonly rate?: number;
  readonly bits?: number;
  readonly blockAlign?: number;
  /** Bytes the data chunk declares, and those actually written (default: as declared). */
  readonly declared?: number;
  readonly written?: number;
}

/** A RIFF/WAVE file written field by field, so each can be wrong on its own. */
export function wavBytes(h: Header = {}): Uint8Array {
  const { container = "RIFF", kind = "WAVE", format = 1, channels = 1, rate = 16000, bits = 16 } = h;
  const blockAlign = h.blockAlign ?? (channels * bits) / 8;
  const declared = h.declared ?? 3200;
  const written = h.written ?? declared;
  const out = Buffer.alloc(44 + written);
  out.write(container, 0, "ascii");
  out.writeUInt32LE(36 + written, 4);
  out.write(kind, 8, "ascii");
  out.write("fmt ", 12, "ascii");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(format, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * blockAlign, 28);
  out.writeUInt16LE(blockAlign, 32);
  out.writeUInt16LE(bits, 34);
  out.write("data", 36, "ascii");
  out.writeUInt32LE(declared, 40);
  for (let i = 44; i < out.length; i++) out[i] = (i * 7) % 256;
  return out;
}

const CLIP = "clips/word.wav";
const write = (bytes: Uint8Array) => (dir: string) => {
  mkdirSync(join(dir, "clips"), { recursive: true });
  writeFileSync(join(dir, CLIP), bytes);
};
const pretrain = (data: string) => (dir: string) => ["pretrain", "--method", "cola", "--data", join(dir, data), "--batch-size", "2", "--epochs", "1", "--out", join(dir, OUT), "--quiet"];

/** One bad clip in a folder: the folder has no readable clip (CLI, naming the clip and why), and `readWav` refuses it. */
function wavCase(name: string, bytes: Uint8Array, reason: RegExp): BadInput {
  const message = new RegExp(`clips/word\\.wav: (.*)?${reason.source}`);
  return { reader: "wav", name, files: write(bytes), cli: pretrain("clips"), library: (dir) => readWav(join(dir, CLIP)), message };
}

function manifestCase(name: string, file: string, contents: string, message: RegExp): BadInput {
  return {
    reader: "wav",
    name,
    files: (dir) => {
      write(wavBytes())(dir);
      writeFileSync(join(dir, file), contents);
    },
    cli: pretrain(file),
    library: (dir) => indexAudio(join(dir, file)),
    message,
  };
}

const float32Nan = (() => {
  const b = Buffer.from(wavBytes({ format: 3, bits: 32, declared: 16 }));
  b.writeFloatLE(Number.NaN, 44 + 8);
  return b;
})();

export const wavCases: readonly BadInput[] = [
  wavCase("a zero-byte .wav", new Uint8Array(0), /empty file \(0 bytes\)/),
  wavCase("an MP3 named .wav", Buffer.from("ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000 not really audio"), /not a WAV file: MP3 \(ID3 tag\) data/),
  wavCase("text named .wav", Buffer.from("hello, this is not a wave file\n"), /not a WAV file: no RIFF header/),
  wavCase("a RIFF file that is not WAVE (AVI)", wavBytes({ kind: "AVI " }), /not a WAV file: a RIFF file of type "AVI "/),
  wavCase("a RIFF header only (12 bytes)", wavBytes().subarray(0, 12), /truncated|no fmt chunk/),
  wavCase("0 samples", wavBytes({ declared: 0 }), /no samples/),
  wavCase("a data chunk cut short", wavBytes({ declared: 3200, written: 100 }), /truncated/),
  wavCase("A-law", wavBytes({ format: 6, bits: 8 }), /unsupported encoding: A-law/),
  wavCase("µ-law", wavBytes({ format: 7, bits: 8 }), /unsupported encoding: µ-law/),
  wavCase("IMA ADPCM", wavBytes({ format: 0x11, bits: 4, blockAlign: 256 }), /unsupported encoding: IMA ADPCM/),
  wavCase("12-bit PCM", wavBytes({ bits: 12, blockAlign: 2 }), /unsupported encoding: 12-bit PCM/),
  wavCase("0 channels", wavBytes({ channels: 0, blockAlign: 2 }), /0 channels/),
  wavCase("200 channels (a damaged header)", wavBytes({ channels: 200 }), /200 channels/),
  wavCase("a sample rate of 0", wavBytes({ rate: 0 }), /sample rate 0 Hz/),
  wavCase("block align disagreeing with channels and bits", wavBytes({ blockAlign: 3 }), /block align 3 bytes, but 1 channel of 16 bits take 2/),
  wavCase("data not a whole number of frames", wavBytes({ channels: 2, declared: 3202 }), /not a whole number of 4-byte frames/),
  wavCase("a NaN float sample", float32Nan, /sample 2 is NaN/),
  {
    ...manifestCase("a manifest naming only missing clips", "clips.csv", "path,label\nclips/gone.wav,yes\nclips/lost.wav,no\n", /clips\.csv: none of its 2 clips is readable \(first: .*gone\.wav: no such file/),
    library: (dir: string) => audioFolderDataset(join(dir, "clips.csv"), { cacheDir: null, threads: 1 }),
  },
  manifestCase("a manifest labeled on some rows only", "clips.csv", "path,label\nclips/word.wav,yes\nclips/word.wav,\n", /clips\.csv:3: no label, while line 2 has one/),
  manifestCase("a JSONL manifest line that is not JSON", "clips.jsonl", '{"path": "clips/word.wav"}\n{"path": \n', /clips\.jsonl:2: not JSON/),
  manifestCase("a JSONL manifest line without a path", "clips.jsonl", '{"path": "clips/word.wav"}\n{"file": "x.wav"}\n', /clips\.jsonl:2: no "path" string/),
  {
    reader: "wav",
    name: "an empty audio class folder",
    files: (dir) => {
      write(wavBytes())(dir);
      mkdirSync(join(dir, "clips", "b"), { recursive: true });
      mkdirSync(join(dir, "classes", "yes"), { recursive: true });
      mkdirSync(join(dir, "classes", "no"), { recursive: true });
      writeFileSync(join(dir, "classes", "yes", "a.wav"), wavBytes());
    },
    cli: pretrain("classes"),
    library: (dir) => indexAudio(join(dir, "classes")),
    message: /classes\/no: class folder has no \.wav files/,
  },
];

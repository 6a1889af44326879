import fc from "fast-check";
import { decodeWav, encodeWav } from "../../../src/data/audio/wav.js";
import type { FuzzTarget } from "../fuzz-target.js";
import { BOUNDARY_U32, mutated } from "../mutate.js";

const SOURCE = "fuzz.wav";
const u16 = (v: number, le: boolean) => {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v & 0xffff, le);
  return [...b];
};
const u32 = (v: number, le: boolean) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, le);
  return [...b];
};
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0) & 0xff);

/** A size field: right (null), or a boundary value. */
const sizeField = fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, fc.constantFrom(...BOUNDARY_U32), fc.nat({ max: 4096 }));
const fmtChunk = fc.record({
  tag: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(1, 3, 0xfffe) }, fc.constantFrom(2, 6, 7, 0x11, 0x55, 0), fc.integer({ min: 0, max: 0xffff })),
  channels: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 2 }) }, fc.integer({ min: 0, max: 0xffff })),
  rate: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(8000, 16000, 44100) }, fc.constantFrom(...BOUNDARY_U32)),
  bits: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(8, 16, 24, 32, 64) }, fc.integer({ min: 0, max: 0xffff })),
  blockAlignRight: fc.boolean(),
  blockAlign: fc.integer({ min: 0, max: 0xffff }),
  subformat: fc.integer({ min: 0, max: 0xffff }),
  extraBytes: fc.integer({ min: 0, max: 24 }),
});
const chunk = fc.oneof(
  { weight: 3, arbitrary: fmtChunk.map((f) => ({ kind: "fmt" as const, ...f })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("data" as const), bytes: fc.uint8Array({ maxLength: 96 }) }) },
  fc.record({ kind: fc.constant("other" as const), id: fc.constantFrom("LIST", "fact", "JUNK", "data", "fmt ", "\0\0\0\0"), bytes: fc.uint8Array({ maxLength: 12 }) }),
);

/** RIFF or RIFX containers of fuzzed fmt, data and other chunks, with size fields right or wrong. */
const structured = fc
  .record({ container: fc.constantFrom("RIFF", "RIFX", "RF64", "RIFF"), kind: fc.constantFrom("WAVE", "WAVE", "AVI "), chunks: fc.array(fc.tuple(chunk, sizeField), { maxLength: 4 }), riffSize: sizeField })
  .map(({ container, kind, chunks, riffSize }) => {
    const le = container !== "RIFX";
    const body: number[] = ascii(kind);
    for (const [c, size] of chunks) {
      let id: string;
      let payload: number[];
      if (c.kind === "fmt") {
        id = "fmt ";
        const align = c.blockAlignRight ? (c.channels * c.bits) / 8 : c.blockAlign;
        payload = [...u16(c.tag, le), ...u16(c.channels, le), ...u32(c.rate, le), ...u32(c.rate * align, le), ...u16(align, le), ...u16(c.bits, le)];
        if (c.tag === 0xfffe) payload.push(...u16(22, le), ...u16(c.bits, le), ...u32(0, le), ...u16(c.subformat, le), ...new Array<number>(14).fill(0));
        payload.push(...new Array<number>(c.extraBytes % 3 === 0 ? 0 : c.extraBytes).fill(0));
      } else if (c.kind === "data") {
        id = "data";
        payload = [...c.bytes];
      } else {
        id = c.id;
        payload = [...c.bytes];
      }
      body.push(...ascii(id), ...u32(size ?? payload.length, le), ...payload);
      if (payload.length % 2 === 1) body.push(0);
    }
    return Uint8Array.from([...ascii(container), ...u32(riffSize ?? body.length, le), ...body]);
  });

/** A well-formed WAV of a few samples in one of the encodings pretext writes, to damage. */
const valid = fc
  .record({ samples: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 16 }), channels: fc.integer({ min: 1, max: 2 }), encoding: fc.constantFrom("8", "16", "24", "32", "32f", "64" as const) })
  .map(({ samples, channels, encoding }) => encodeWav(Array.from({ length: channels }, () => Float32Array.from(samples)), 16000, encoding));

/** WAV files through `decodeWav`, which `readWav` and every audio reader use. */
export const wavTarget: FuzzTarget<Uint8Array> = {
  name: "wav",
  arbitrary: fc.oneof(structured, mutated(valid), fc.uint8Array({ maxLength: 48 })),
  prepare: (bytes) => ({ source: SOURCE, read: () => decodeWav(bytes, SOURCE) }),
};

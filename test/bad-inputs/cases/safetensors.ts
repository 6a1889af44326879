import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeSafetensors, encodeSafetensors } from "../../../src/train/safetensors.js";
import { type BadInput, type CaseContext } from "../bad-input.js";

/** Safetensors bytes from a header (an object, or raw text) and a data section; `length` overrides the header length field. */
export function safetensorsBytes(header: object | string, data: Uint8Array = new Uint8Array(0), length?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(length ?? BigInt(json.length), 0);
  json.copy(out, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: "F32", shape, data_offsets: [begin, end] });
const FILE = "run/encoder.safetensors";

/**
 * A damaged `encoder.safetensors` in a copy of a finished run: `pretext export` must refuse it
 * (before writing any .onnx), and `decodeSafetensors` must refuse the same bytes.
 */
function stCase(name: string, bytes: Uint8Array | ((good: Uint8Array) => Uint8Array), message: RegExp): BadInput {
  const make = (ctx: CaseContext) => (typeof bytes === "function" ? bytes(readFileSync(join(ctx.goodRun, "encoder.safetensors"))) : bytes);
  return {
    reader: "safetensors",
    name,
    files: (dir, ctx) => {
      cpSync(ctx.goodRun, join(dir, "run"), { recursive: true });
      writeFileSync(join(dir, FILE), make(ctx));
    },
    cli: (dir) => ["export", join(dir, "run"), "--out", join(dir, "exported.onnx")],
    library: (dir) => decodeSafetensors(readFileSync(join(dir, FILE)), join(dir, FILE)),
    message: new RegExp(`encoder\\.safetensors: .*${message.source}`),
    leaves: ["exported.onnx"],
  };
}

const eight = new Uint8Array(8);

export const safetensorsCases: readonly BadInput[] = [
  stCase("a zero-byte file", new Uint8Array(0), /0 bytes is too short for the 8-byte header length/),
  stCase("5 bytes", Uint8Array.from([1, 2, 3, 4, 5]), /5 bytes is too short/),
  stCase("header length beyond the file", safetensorsBytes({}, eight, 1000n), /header length 1000 runs past the end of the \d+-byte file/),
  stCase("header length of 2^63", safetensorsBytes({}, eight, 2n ** 63n), /header length 9223372036854775808 exceeds the 100000000-byte limit/),
  stCase("a header that is not JSON", safetensorsBytes("{not json at all}"), /header is not valid UTF-8 JSON/),
  stCase("a header of invalid UTF-8", safetensorsBytes(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("latin1")), /header is not valid UTF-8 JSON|header is not a JSON object/),
  stCase("a header that is a JSON array", safetensorsBytes("[1, 2, 3]"), /header is not a JSON object/),
  stCase("an unknown dtype", safetensorsBytes({ w: { dtype: "F128", shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)), /tensor "w" has unknown or unsupported dtype "F128"/),
  stCase("a negative dimension", safetensorsBytes({ w: { dtype: "F32", shape: [-1, 2], data_offsets: [0, 8] } }, eight), /tensor "w" has invalid shape \[-1,2\]/),
  stCase("a fractional dimension", safetensorsBytes({ w: { dtype: "F32", shape: [1.5], data_offsets: [0, 8] } }, eight), /tensor "w" has invalid shape \[1\.5\]/),
  // 2^40 float32 values: 4 TB claimed by a 100-byte file, refused from the header.
  stCase("an absurd shape [2^40]", safetensorsBytes({ w: f32([2 ** 40], 0, 8) }, eight), /tensor "w" \(F32\[1099511627776\]\) needs 4398046511104 bytes but data_offsets \[0, 8\] span 8/),
  stCase("an absurd shape whose offsets agree", safetensorsBytes({ w: f32([2 ** 40], 0, 2 ** 42) }, eight), /tensor "w" data_offsets \[0, 4398046511104\] run past the 8-byte data section/),
  stCase("offsets outside the data", safetensorsBytes({ w: f32([2], 8, 16) }, eight), /tensor "w" data_offsets \[8, 16\] run past the 8-byte data section/),
  stCase("offsets that end before they begin", safetensorsBytes({ w: f32([0], 8, 0) }, eight), /tensor "w".*needs 0 bytes but data_offsets \[8, 0\]/),
  stCase("a dtype whose size disagrees with the bytes (F64 in 8 bytes for 2 values)", safetensorsBytes({ w: { dtype: "F64", shape: [2], data_offsets: [0, 8] } }, eight), /tensor "w" \(F64\[2\]\) needs 16 bytes but data_offsets \[0, 8\] span 8/),
  stCase("overlapping tensors", safetensorsBytes({ a: f32([2], 0, 8), b: f32([1], 4, 8) }, eight), /overlap the previous tensor/),
  stCase("a gap in the data", safetensorsBytes({ a: f32([1], 4, 8) }, eight), /gap in the data section before tensor "a"/),
  stCase("bytes after the last tensor", safetensorsBytes({ a: f32([1], 0, 4) }, eight), /data section has 8 bytes but the tensors cover 4/),
  // JSON keeps the last of two equal keys; the first one's bytes then belong to no tensor.
  stCase("a duplicate tensor name", safetensorsBytes('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight), /(duplicate|gap in the data section before tensor "w")/),
  stCase("a metadata value that is not a string", safetensorsBytes({ __metadata__: { format: 1 } }), /metadata "format" is not a string/),
  stCase("a tensor without a description", safetensorsBytes({ w: 5 }), /tensor "w" has no description/),
  stCase("data_offsets of three numbers", safetensorsBytes({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4, 8] } }, eight), /tensor "w" has invalid data_offsets \[0,4,8\]/),
  stCase("the encoder's file truncated by half", (good) => good.subarray(0, good.length >> 1), /run past the .*(data section|end)/),
  {
    reader: "safetensors",
    name: "a valid file from another model",
    files: (dir, ctx) => {
      cpSync(ctx.goodRun, join(dir, "run"), { recursive: true });
      const meta = decodeSafetensors(readFileSync(join(ctx.goodRun, "encoder.safetensors"))).metadata;
      writeFileSync(join(dir, FILE), encodeSafetensors(new Map([["other.weight", { shape: [2, 2], data: new Float32Array(4) }]]), meta));
    },
    cli: (dir) => ["export", join(dir, "run"), "--out", join(dir, "exported.onnx")],
    message: /encoder\.safetensors: "[\w.]+" is missing or has the wrong size/,
    leaves: ["exported.onnx"],
  },
];

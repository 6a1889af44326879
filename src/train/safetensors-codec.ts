import { formatShape, sizeOf } from "../graph/index.js";

/**
 * The safetensors format (https://github.com/huggingface/safetensors), written here rather than
 * taken from npm because the `safetensors` package there is a 0.0.1 placeholder and the format is
 * ~100 lines: an 8-byte little-endian header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }`
 * padded with spaces to a multiple of 8, then the tensors' raw little-endian bytes, with offsets
 * relative to the start of that data section.
 */

/** Element types of the format. F16 and BF16 are carried as their raw bits in a Uint16Array. */
export type SafetensorsDType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U64" | "U32" | "U16" | "U8" | "BOOL";

export type TensorData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** A tensor to store: `dtype` is inferred from the array type unless given (BOOL, F16, BF16 need it). */
export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: TensorData;
  readonly dtype?: SafetensorsDType;
}

/** A tensor read back: its dtype is always known. */
export interface StoredTensor extends NamedTensor {
  readonly dtype: SafetensorsDType;
}

export interface SafetensorsContents {
  readonly tensors: Map<string, StoredTensor>;
  readonly metadata: Record<string, string>;
}

type ArrayConstructorOf = { readonly BYTES_PER_ELEMENT: number; new (buffer: ArrayBuffer): TensorData; readonly name: string };

const arrayFor: Readonly<Record<SafetensorsDType, ArrayConstructorOf>> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

/** The default dtype of each array type (the first entry of `arrayFor` that uses it). */
function inferDType(data: TensorData): SafetensorsDType {
  for (const [dtype, ctor] of Object.entries(arrayFor) as [SafetensorsDType, ArrayConstructorOf][]) {
    if (data.constructor === ctor) return dtype;
  }
  throw new Error(`safetensors: cannot store a ${data.constructor.name}`);
}

/** The reference implementation refuses headers above 100 MB; so do we, before allocating them. */
const MAX_HEADER_BYTES = 100_000_000;

// NOTE: the format is little-endian and typed arrays use the platform's byte order. Every platform
// Node and browsers run on is little-endian; refuse loudly rather than corrupt weights elsewhere.
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function requireLittleEndian(): void {
  if (!littleEndian) throw new Error("safetensors: big-endian platforms are not supported");
}

/** Serializes tensors and string metadata into safetensors bytes. */
export function encodeSafetensors(tensors: ReadonlyMap<string, NamedTensor>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  requireLittleEndian();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new Error(`safetensors: metadata "${k}" must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const parts: Uint8Array[] = [];
  // NOTE: wider elements first (stable otherwise), as the reference implementation orders them, so
  // every tensor starts aligned to its element size for readers that map the file without copying.
  const ordered = [...tensors].sort(([, a], [, b]) => b.data.BYTES_PER_ELEMENT - a.data.BYTES_PER_ELEMENT);
  for (const [name, t] of ordered) {
    if (name === "__metadata__") throw new Error(`safetensors: "__metadata__" is reserved and cannot name a tensor`);
    const dtype = t.dtype ?? inferDType(t.data);
    const ctor = arrayFor[dtype];
    if (t.data.constructor !== ctor) throw new Error(`safetensors: tensor "${name}" is ${dtype} but its data is a ${t.data.constructor.name}, not a ${ctor.name}`);
    if (t.data.length !== sizeOf(t.shape)) throw new Error(`safetensors: tensor "${name}" has ${t.data.length} values for shape ${formatShape(t.shape)}`);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    offset += t.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data section starts 8-byte aligned, as the reference implementation does.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/**
 * Parses safetensors bytes, checking everything a truncated or hostile file could get wrong.
 * `source` (a file path) is named in every error. Tensor data is copied into aligned arrays.
 */
export function decodeSafetensors(bytes: Uint8Array, source = "<buffer>"): SafetensorsContents {
  requireLittleEndian();
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes is too short for the 8-byte header length (truncated?)`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.byteLength) fail(`header length ${headerLength} runs past the end of the ${bytes.byteLength}-byte file (truncated?)`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    return fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) return fail("header is not a JSON object");

  // NOTE: names come from the file and are quoted with JSON.stringify in messages, so a name with a
  // line break or a quote in it cannot break the one-line error.
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (typeof info !== "object" || info === null || Array.isArray(info)) fail(`"__metadata__" is not an object`);
      for (const [k, v] of Object.entries(info as object)) if (typeof v !== "string") fail(`metadata ${JSON.stringify(k)} is not a string`);
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    if (typeof info !== "object" || info === null) return fail(`tensor ${JSON.stringify(name)} has no description`);
    const { dtype, shape, data_offsets: offsets } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== "string" || !Object.hasOwn(arrayFor, dtype)) {
      return fail(`tensor ${JSON.stringify(name)} has unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(arrayFor).join(", ")})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`tensor ${JSON.stringify(name)} has invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      return fail(`tensor ${JSON.stringify(name)} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const d = dtype as SafetensorsDType;
    const expected = sizeOf(shape) * arrayFor[d].BYTES_PER_ELEMENT;
    if (end < begin || end - begin !== expected) fail(`tensor ${JSON.stringify(name)} (${d}${formatShape(shape)}) needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    if (end > dataLength) fail(`tensor ${JSON.stringify(name)} data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data section (truncated?)`);
    entries.push({ name, dtype: d, shape, begin, end });
  }

  // Tensors must tile the data section exactly: no overlap, no gap, nothing left over.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of byOffset) {
    if (e.begin < cursor) fail(`tensor ${JSON.stringify(e.name)} data_offsets [${e.begin}, ${e.end}] overlap the previous tensor, which ends at ${cursor}`);
    if (e.begin > cursor) fail(`gap in the data section before tensor ${JSON.stringify(e.name)} (bytes ${cursor}..${e.begin} belong to no tensor)`);
    cursor = e.end;
  }
  if (cursor !== dataLength) fail(`data section has ${dataLength} bytes but the tensors cover ${cursor}`);

  const tensors = new Map<string, StoredTensor>();
  for (const e of entries) {
    // Copied into a fresh ArrayBuffer, aligned for any typed array. NOTE: not bytes.slice(), which on
    // a Node Buffer is a view into a shared pool rather than a copy.
    const buffer = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end)).buffer;
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: new arrayFor[e.dtype](buffer) });
  }
  return { tensors, metadata };
}

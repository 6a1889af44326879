import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { encodeSafetensors, readSafetensors } from "../../../src/train/safetensors.js";
import type { FuzzTarget } from "../fuzz-target.js";
import { mutated } from "../mutate.js";

const DTYPES = ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL"];
/** Names a hostile header might use: prototype keys, the metadata key, path-like and empty names. */
const tensorName = fc.oneof(fc.constantFrom("w", "encoder.conv.weight", "__metadata__", "__proto__", "constructor", "toString", "", "../../etc/passwd", "a\nb"), fc.string({ maxLength: 8 }));
/** Shape entries: small, boundary, absurd (2^40, beyond 2^53), negative, fractional, not numbers. */
const dimension = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) },
  fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53, 2 ** 64, -1, 1.5, Number.MAX_SAFE_INTEGER),
  fc.constantFrom<unknown>("2", null, [], true),
);
const offset = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 64 }) }, fc.constantFrom<unknown>(-1, 2 ** 53, 2 ** 64, 1.5, "0", null));
const description = fc.oneof(
  { weight: 8, arbitrary: fc.record({ dtype: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...DTYPES) }, fc.string({ maxLength: 4 })), shape: fc.array(dimension, { maxLength: 4 }), data_offsets: fc.array(offset, { minLength: 0, maxLength: 3 }) }, { requiredKeys: [] }) },
  fc.jsonValue({ maxDepth: 2 }),
);
const metadata = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 6 }) }, fc.jsonValue({ maxDepth: 1 })), { maxKeys: 3 });

/** A header of fuzzed tensor descriptions, its length field right or wrong, and a data section of about the right size. */
const structured = fc
  .record({
    entries: fc.array(fc.tuple(tensorName, description), { maxLength: 4 }),
    metadata: fc.option(metadata),
    lengthField: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 7n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n)),
    dataLength: fc.integer({ min: 0, max: 80 }),
    padding: fc.integer({ min: 0, max: 7 }),
  })
  .map(({ entries, metadata, lengthField, dataLength, padding }) => {
    const header: Record<string, unknown> = {};
    for (const [name, info] of entries) Object.defineProperty(header, name, { value: info, enumerable: true, writable: true, configurable: true });
    if (metadata !== null) header.__metadata__ = metadata;
    const json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(padding));
    const out = new Uint8Array(8 + json.length + dataLength);
    new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
    out.set(json, 8);
    return out;
  });

/** A well-formed file of a few small tensors to damage byte by byte. */
const valid = fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.float32Array({ minLength: 0, maxLength: 6 })), { minLength: 1, maxLength: 3 }).map((tensors) => {
  const map = new Map(tensors.map(([name, data]) => [name, { shape: [data.length], data }]));
  return encodeSafetensors(map, { note: "fuzz" });
});

/** Safetensors files (checkpoints, encoder.safetensors, embeddings) through `readSafetensors`. */
export const safetensorsTarget: FuzzTarget<Uint8Array> = {
  name: "safetensors",
  arbitrary: fc.oneof(structured, mutated(valid), fc.uint8Array({ maxLength: 32 })),
  prepare: (bytes, dir) => {
    const file = join(dir, "fuzz.safetensors");
    writeFileSync(file, bytes);
    return { source: file, read: () => readSafetensors(file) };
  },
};

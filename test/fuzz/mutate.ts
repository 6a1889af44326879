import fc, { type Arbitrary } from "fast-check";

/**
 * Byte-level damage to a well-formed file, the way files are damaged in the wild: a flipped
 * byte, a cut, bytes inserted or dropped, and a 32-bit field overwritten with a boundary value
 * (0, 1, 2^31 − 1, 2^31, 2^32 − 1), which is where length and count fields go wrong.
 */
type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly xor: number }
  | { readonly kind: "cut"; readonly at: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "drop"; readonly at: number; readonly length: number }
  | { readonly kind: "u32"; readonly at: number; readonly value: number; readonly littleEndian: boolean };

/** Where in the file, as a fraction of its length, so one mutation fits files of any size. */
const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export const BOUNDARY_U32 = [0, 1, 2, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff] as const;

const mutation: Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: position, xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: position }),
  fc.record({ kind: fc.constant("insert" as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant("drop" as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant("u32" as const), at: position, value: fc.oneof(fc.constantFrom(...BOUNDARY_U32), fc.nat()), littleEndian: fc.boolean() }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = Math.floor(m.at * (bytes.length + 1));
  switch (m.kind) {
    case "flip": {
      if (bytes.length === 0) return bytes;
      const out = Uint8Array.from(bytes);
      const i = Math.min(at, bytes.length - 1);
      out[i] = (out[i] as number) ^ m.xor;
      return out;
    }
    case "cut":
      return bytes.subarray(0, at);
    case "insert":
      return Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    case "drop":
      return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]);
    case "u32": {
      if (bytes.length < 4) return bytes;
      const out = Uint8Array.from(bytes);
      new DataView(out.buffer).setUint32(Math.min(at, bytes.length - 4), m.value >>> 0, m.littleEndian);
      return out;
    }
  }
}

/** `valid` with up to `max` mutations applied in order. */
export function mutated(valid: Arbitrary<Uint8Array>, max = 3): Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: max })).map(([bytes, ms]) => ms.reduce(apply, bytes));
}

/** Text damaged at the character level: cut, a character replaced or inserted from `alphabet`. */
export function mutatedText(valid: Arbitrary<string>, alphabet: readonly string[], max = 3): Arbitrary<string> {
  const edit = fc.record({ at: position, kind: fc.constantFrom("cut", "replace", "insert", "drop"), ch: fc.constantFrom(...alphabet) });
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: max })).map(([text, edits]) =>
    edits.reduce((t, e) => {
      const at = Math.floor(e.at * (t.length + 1));
      if (e.kind === "cut") return t.slice(0, at);
      if (e.kind === "replace") return t.slice(0, at) + e.ch + t.slice(at + 1);
      if (e.kind === "insert") return t.slice(0, at) + e.ch + t.slice(at);
      return t.slice(0, at) + t.slice(at + 1);
    }, text),
  );
}

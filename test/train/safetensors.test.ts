import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type NamedTensor, decodeSafetensors, encodeSafetensors, readSafetensors } from "../../src/train/safetensors.js";

/** Builds a file from a header object and a data section, the way a foreign writer would. */
function rawFile(header: object, data: Uint8Array, pad = true): Uint8Array {
  let json = JSON.stringify(header);
  if (pad) json = json.padEnd(Math.ceil(json.length / 8) * 8, " ");
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe("safetensors", () => {
  it("round-trips every array type, metadata and empty tensors", () => {
    const tensors = new Map<string, NamedTensor>([
      ["encoder.conv1.weight", { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 4, 5, 6e-8]) }],
      ["counts", { shape: [3], data: BigInt64Array.from([1n, -2n, 9007199254740993n]) }],
      ["mask", { shape: [2], data: Uint8Array.from([1, 0]), dtype: "BOOL" }],
      ["bytes", { shape: [3], data: Int8Array.from([-1, 2, 3]) }],
      ["double", { shape: [], data: Float64Array.from([Math.PI]) }],
      ["half", { shape: [1], data: Uint16Array.from([0x3c00]), dtype: "F16" }],
      ["empty", { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const bytes = encodeSafetensors(tensors, { step: "7" });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ step: "7" });
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const b = back.tensors.get(name);
      expect(b?.shape, name).toEqual(t.shape);
      expect(b?.data, name).toEqual(t.data);
    }
    expect(back.tensors.get("mask")?.dtype).toBe("BOOL");
    expect(back.tensors.get("half")?.dtype).toBe("F16");
    expect(back.tensors.get("counts")?.dtype).toBe("I64");
  });

  it("round-trips through a file (Node Buffers are views into a shared pool: data must be copied out)", async () => {
    const tensors = new Map<string, NamedTensor>([
      ["a", { shape: [3], data: Int8Array.from([1, 2, 3]) }],
      ["b", { shape: [2], data: BigInt64Array.from([5n, -6n]) }],
      ["c", { shape: [1], data: Float32Array.from([0.25]) }],
    ]);
    const path = join(await mkdtemp(join(tmpdir(), "pretext-st-")), "t.safetensors");
    await writeFile(path, encodeSafetensors(tensors));
    const back = await readSafetensors(path);
    for (const [name, t] of tensors) expect(back.tensors.get(name)?.data, name).toEqual(t.data);
  });

  it("reads a file laid out by hand as the format describes (offsets relative to the data section)", () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    const file = rawFile(
      { __metadata__: { format: "pt" }, b: { dtype: "F32", shape: [1], data_offsets: [12, 16] }, a: { dtype: "F32", shape: [3], data_offsets: [0, 12] } },
      data,
      false,
    );
    const { tensors, metadata } = decodeSafetensors(file);
    expect(metadata).toEqual({ format: "pt" });
    expect([...(tensors.get("a")?.data ?? [])]).toEqual([1, 2, 3]);
    expect([...(tensors.get("b")?.data ?? [])]).toEqual([4]);
  });

  it("rejects damaged files with errors naming the file", async () => {
    const good = encodeSafetensors(new Map([["w", { shape: [4], data: new Float32Array(4) }]]));
    const four = new Uint8Array(16);
    const cases: [string, Uint8Array, RegExp][] = [
      ["short", good.subarray(0, 5), /too short.*truncated/],
      ["truncated data", good.subarray(0, good.length - 1), /run past the .*data section|cover/],
      ["header length beyond file", (() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 10_000n, true); return b; })(), /runs past the end/],
      ["huge header length", (() => { const b = good.slice(); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; })(), /exceeds/],
      ["not json", rawFile({}, new Uint8Array()).fill(0x7b, 8), /not valid UTF-8 JSON/],
      ["unknown dtype", rawFile({ w: { dtype: "Q4", shape: [4], data_offsets: [0, 16] } }, four), /unknown or unsupported dtype "Q4"/],
      ["size mismatch", rawFile({ w: { dtype: "F32", shape: [3], data_offsets: [0, 16] } }, four), /needs 12 bytes/],
      [
        "overlap",
        rawFile({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, four),
        /overlap/,
      ],
      ["out of range", rawFile({ w: { dtype: "F32", shape: [8], data_offsets: [0, 32] } }, four), /run past/],
      ["leftover bytes", rawFile({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, four), /cover 8/],
      ["negative offsets", rawFile({ w: { dtype: "F32", shape: [1], data_offsets: [-4, 0] } }, four), /invalid data_offsets/],
      ["non-string metadata", rawFile({ __metadata__: { step: 3 } }, new Uint8Array()), /metadata "step" is not a string/],
    ];
    const dir = await mkdtemp(join(tmpdir(), "pretext-st-"));
    for (const [label, bytes, pattern] of cases) {
      const path = join(dir, `${label.replaceAll(" ", "-")}.safetensors`);
      await writeFile(path, bytes);
      const err = await readSafetensors(path).then(
        () => null,
        (e: Error) => e,
      );
      expect(err, label).toBeInstanceOf(Error);
      expect(err?.message, label).toContain(path);
      expect(err?.message, label).toMatch(pattern);
    }
  });

  it("refuses to store mismatched data", () => {
    expect(() => encodeSafetensors(new Map([["w", { shape: [3], data: new Float32Array(4) }]]))).toThrow(/4 values for shape \[3\]/);
    expect(() => encodeSafetensors(new Map([["w", { shape: [4], data: new Float32Array(4), dtype: "F64" }]]))).toThrow(/not a Float64Array/);
  });
});

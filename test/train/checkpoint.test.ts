import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/random/rng.js";
import { type JsonValue, loadLatestCheckpoint, readCheckpoint, saveCheckpoint } from "../../src/train/checkpoint.js";
import type { NamedTensor } from "../../src/train/safetensors.js";

const tempDir = () => mkdtemp(join(tmpdir(), "pretext-ckpt-"));

function state(step: number): { tensors: Map<string, NamedTensor>; metadata: { step: number; epoch: number; rng: number[]; optimizer: string } } {
  return {
    tensors: new Map<string, NamedTensor>([
      ["encoder.linear.weight", { shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, i) => step + i / 10) }],
      ["encoder.linear.bias", { shape: [3], data: Float32Array.from([step, -step, 0.5]) }],
      ["optimizer.step", { shape: [], data: BigInt64Array.from([BigInt(step)]) }],
    ]),
    metadata: { step, epoch: Math.floor(step / 10), rng: new Rng(step).state, optimizer: "adamw" },
  };
}

describe("checkpoints", () => {
  it("round-trips tensors and metadata, keeps the last K, points latest.json at the newest", async () => {
    const dir = await tempDir();
    expect(await loadLatestCheckpoint(dir)).toBeNull();
    for (const step of [10, 20, 30]) await saveCheckpoint(dir, state(step), { step });
    expect((await readdir(dir)).sort()).toEqual([
      "checkpoint-20.json",
      "checkpoint-20.safetensors",
      "checkpoint-30.json",
      "checkpoint-30.safetensors",
      "latest.json",
    ]);
    expect(JSON.parse(await readFile(join(dir, "latest.json"), "utf8"))).toEqual({ checkpoint: "checkpoint-30.json", step: 30 });
    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.warnings).toEqual([]);
    expect(loaded?.step).toBe(30);
    expect(loaded?.metadata).toEqual(state(30).metadata);
    for (const [name, t] of state(30).tensors) {
      expect(loaded?.tensors.get(name)?.data, name).toEqual(t.data);
      expect(loaded?.tensors.get(name)?.shape, name).toEqual(t.shape);
    }
    // The restored RNG state resumes the same sequence.
    const restored = new Rng((loaded?.metadata as { rng: number[] }).rng);
    const original = new Rng(30);
    expect(restored.state).toEqual(original.state);
  });

  it("keeps=1 keeps only the newest; saving an earlier step drops the abandoned later ones", async () => {
    const dir = await tempDir();
    await saveCheckpoint(dir, state(1), { step: 1, keep: 3 });
    await saveCheckpoint(dir, state(2), { step: 2, keep: 3 });
    await saveCheckpoint(dir, state(3), { step: 3, keep: 3 });
    await saveCheckpoint(dir, state(2), { step: 2, keep: 3 }); // resumed from step 1, reached step 2 again
    expect((await readdir(dir)).filter((n) => n.endsWith(".json")).sort()).toEqual(["checkpoint-1.json", "checkpoint-2.json", "latest.json"]);
    await saveCheckpoint(dir, state(4), { step: 4, keep: 1 });
    expect((await readdir(dir)).sort()).toEqual(["checkpoint-4.json", "checkpoint-4.safetensors", "latest.json"]);
  });

  it("a crash mid-write leaves the previous checkpoint loadable", async () => {
    const dir = await tempDir();
    await saveCheckpoint(dir, state(10), { step: 10 });
    // Crash while writing the step-20 tensors: a temp file, and a truncated tensors file without its JSON.
    await writeFile(join(dir, ".checkpoint-20.safetensors.123-abcd.tmp"), new Uint8Array(100));
    await writeFile(join(dir, "checkpoint-20.safetensors"), new Uint8Array(7));
    const loaded = await loadLatestCheckpoint(dir);
    expect(loaded?.step).toBe(10);
    expect(loaded?.warnings).toEqual([]);
    // The next save cleans the debris up.
    await saveCheckpoint(dir, state(20), { step: 20 });
    expect((await readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect((await loadLatestCheckpoint(dir))?.step).toBe(20);
  });

  it("falls back to the previous checkpoint when the latest is corrupt, and says so", async () => {
    const dir = await tempDir();
    await saveCheckpoint(dir, state(10), { step: 10 });
    await saveCheckpoint(dir, state(20), { step: 20 });
    const tensors20 = join(dir, "checkpoint-20.safetensors");
    await truncate(tensors20, 40);
    const seen: string[] = [];
    const loaded = await loadLatestCheckpoint(dir, { onWarning: (m) => seen.push(m) });
    expect(loaded?.step).toBe(10);
    expect(seen).toEqual(loaded?.warnings);
    expect(seen.join("\n")).toContain(`${tensors20}: has 40 bytes`);
    expect(seen.join("\n")).toContain("loaded the older checkpoint");

    // Same size, different bytes: caught by the hash.
    await saveCheckpoint(dir, state(20), { step: 20 });
    const bytes = await readFile(tensors20);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await writeFile(tensors20, bytes);
    const again = await loadLatestCheckpoint(dir);
    expect(again?.step).toBe(10);
    expect(again?.warnings.join("\n")).toMatch(/SHA-256 .* does not match/);

    // A missing tensors file, and a corrupt latest.json: the newest complete checkpoint is found by scanning.
    await saveCheckpoint(dir, state(20), { step: 20 });
    await rm(tensors20);
    await writeFile(join(dir, "latest.json"), "{ not json");
    const scanned = await loadLatestCheckpoint(dir);
    expect(scanned?.step).toBe(10);
    expect(scanned?.warnings.join("\n")).toContain("latest.json is unreadable");
    expect(scanned?.warnings.join("\n")).toContain(`${tensors20}: tensors file of`);
  });

  it("corrupt JSON gives a clear error naming the file", async () => {
    const dir = await tempDir();
    const path = await saveCheckpoint(dir, state(5), { step: 5 });
    await writeFile(path, '{"format": "pretext-checkpoint-1", "step": 5, "tens');
    await expect(readCheckpoint(path)).rejects.toThrow(`${path}: checkpoint JSON is corrupt`);
    await expect(loadLatestCheckpoint(dir)).rejects.toThrow(new RegExp(`no loadable checkpoint in .*${path.replaceAll("/", "\\/")}: checkpoint JSON is corrupt`));
    await writeFile(path, '{"step": 5}');
    await expect(readCheckpoint(path)).rejects.toThrow(`${path}: not a pretext-checkpoint-1 manifest`);
  });

  it("rejects metadata that JSON cannot hold", async () => {
    const dir = await tempDir();
    const cyclic: { [key: string]: JsonValue } = {};
    cyclic.self = cyclic;
    await expect(saveCheckpoint(dir, { tensors: new Map(), metadata: cyclic }, { step: 1 })).rejects.toThrow(/not JSON-serializable/);
  });
});

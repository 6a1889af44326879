import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadLatestCheckpoint } from "../../src/train/checkpoint.js";
import { runCli, runInProcess } from "../cli/run-cli.js";
import { KILL_RUN, PARAMETER_FILES, killAndResume, sameParameters } from "./kill-resume.js";

// Runs interrupted the ways runs are: SIGKILL at seeded moments, a corrupt checkpoint, a full
// disk. Each resumes to the parameters of a run never interrupted, byte for byte.
// scripts/kill-resume.ts does the kills many more times.

/** A full disk, injected: writes of the files `matching` names fail with ENOSPC after half their bytes. */
const disk = vi.hoisted(() => ({ full: null as RegExp | null, refused: [] as string[] }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const open = async (...args: Parameters<typeof real.open>): Promise<FileHandle> => {
    const handle = await real.open(...args);
    const path = String(args[0]);
    if (disk.full === null || !disk.full.test(path)) return handle;
    const writeFile = async (data: Uint8Array) => {
      await handle.write(data.subarray(0, data.length >> 1));
      disk.refused.push(path);
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: "ENOSPC", errno: -28, syscall: "write" });
    };
    return new Proxy(handle, {
      get: (target, key) => {
        if (key === "writeFile") return writeFile;
        const value: unknown = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  return { ...real, open, default: { ...real, open } };
});
const root = mkdtempSync(join(tmpdir(), "pretext-kill-resume-"));
const reference = join(root, "reference");
let referenceMs = 0;

beforeAll(async () => {
  const started = Date.now();
  const r = await runCli(["pretrain", ...KILL_RUN, "--out", reference]);
  referenceMs = Date.now() - started;
  expect(r.code, r.stderr).toBe(0);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a pretrain run killed and resumed", () => {
  it("SIGKILLed twice at seeded moments and resumed, it ends with the uninterrupted run's parameters bit for bit", async () => {
    const dir = join(root, "killed");
    const result = await killAndResume(dir, { kills: 2, seed: 7, spanMs: referenceMs });
    expect(result.kills.length + result.finishedEarly).toBe(2);
    expect(result.kills.length).toBeGreaterThan(0);
    expect(sameParameters(dir, reference), result.stderr).toBeNull();
  }, 90_000);

  it("a corrupt newest checkpoint is caught by its SHA-256: resume warns, falls back to the previous one and still ends bit for bit equal", async () => {
    const dir = join(root, "corrupt");
    cpSync(reference, dir, { recursive: true });
    for (const f of [...PARAMETER_FILES, "encoder.onnx"]) rmSync(join(dir, f));
    const newest = join(dir, "checkpoints", "checkpoint-8.safetensors");
    const bytes = readFileSync(newest);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0x40;
    writeFileSync(newest, bytes);
    const r = await runCli(["pretrain", "--resume", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: skipping corrupt checkpoint: .*checkpoint-8\.safetensors: SHA-256 [0-9a-f]+ does not match/);
    expect(r.stderr).toMatch(/warning: loaded the older checkpoint .*checkpoint-7\.json instead/);
    expect(r.stderr).toMatch(/resuming from step 7/);
    expect(sameParameters(dir, reference)).toBeNull();
  }, 60_000);

  it("a full disk while writing checkpoint 5 stops the run with one clear line; checkpoint 4 is intact, nothing half-written is left, and resume ends bit for bit equal", async () => {
    const dir = join(root, "disk-full");
    disk.full = /checkpoint-5\.safetensors/;
    let r: Awaited<ReturnType<typeof runInProcess>>;
    try {
      r = await runInProcess(["pretrain", ...KILL_RUN, "--out", dir]);
    } finally {
      disk.full = null;
    }
    expect(disk.refused).toHaveLength(1);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pretext pretrain: error: .*no space left on the device \(ENOSPC\); the last complete checkpoint in .*checkpoints is intact: free space, then pretext pretrain --resume /);
    expect(readdirSync(join(dir, "checkpoints")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const last = await loadLatestCheckpoint(join(dir, "checkpoints"));
    expect({ step: last?.step, warnings: last?.warnings }).toEqual({ step: 4, warnings: [] });
    expect(existsSync(join(dir, "run.lock"))).toBe(false);

    const resumed = await runCli(["pretrain", "--resume", dir, "--quiet"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(sameParameters(dir, reference)).toBeNull();
  }, 60_000);
});

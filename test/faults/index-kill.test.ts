import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/random/rng.js";
import { EmbeddingStore } from "../../src/store/embedding-store.js";
import { exited, runInProcess, spawnCli } from "../cli/run-cli.js";

const root = mkdtempSync(join(tmpdir(), "pretext-index-kill-"));
const run = join(root, "run");
const reference = join(root, "reference-db");
let referenceMs = 0;

beforeAll(async () => {
  // NOTE: the anchor's 128-d small-cnn: the test is about kills, and the grid encoder's 1,152-d vectors make every append 9x larger.
  const r = await runInProcess(["pretrain", "--method", "rotation", "--data", "mnist", "--encoder", "small-cnn", "--limit", "128", "--batch-size", "32", "--epochs", "1", "--quiet", "--out", run]);
  expect(r.code, r.stderr).toBe(0);
  const started = Date.now();
  const index = await runInProcess(["index", run, "--db", reference, "--quiet"]);
  referenceMs = Date.now() - started;
  expect(index.code, index.stderr).toBe(0);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Files LanceDB has written under the table's data folder (one per append, before the commit that makes it visible). */
function dataFiles(db: string): number {
  const dir = join(db, "items.lance", "data");
  return existsSync(dir) ? readdirSync(dir).length : 0;
}

async function rows(db: string): Promise<{ ids: number[]; vectors: Float32Array; hashes: readonly string[]; complete: boolean }> {
  const store = await EmbeddingStore.open(db);
  try {
    const all = await store.readAll();
    return { ids: Array.from(all.ids), vectors: all.vectors, hashes: all.hashes, complete: await store.isComplete() };
  } finally {
    store.close();
  }
}

describe("pretext index killed and run again", () => {
  it("SIGKILLed inside its first append and at a seeded moment, the same command finishes the index: every id once, vectors equal to an uninterrupted index", async () => {
    const db = join(root, "killed-db");
    const argv = ["index", run, "--db", db, "--quiet"];
    // 1: the moment the first append's data file appears, before LanceDB commits it.
    const first = spawnCli(argv);
    const watch = setInterval(() => dataFiles(db) > 0 && first.kill("SIGKILL"), 1);
    const firstEnd = await exited(first);
    clearInterval(watch);
    expect(firstEnd.signal, first.output.stderr).toBe("SIGKILL");
    // What the kill left is all or nothing of that append: ids 0..m−1 (m = 0, or the 9,000 train digits).
    const left = await rows(db);
    expect([0, 9000]).toContain(left.ids.length);
    expect(left.ids).toEqual(Array.from({ length: left.ids.length }, (_, i) => i));
    expect(left.complete).toBe(false);
    // 2: anywhere in a run's time (start-up included: a child starts slower than the in-process reference).
    const second = spawnCli(argv);
    const killAt = Math.floor(new Rng(16).uniform() * 2 * referenceMs);
    const timer = setTimeout(() => second.kill("SIGKILL"), killAt);
    const secondEnd = await exited(second);
    clearTimeout(timer);
    expect(secondEnd.signal === "SIGKILL" || secondEnd.code === 0, second.output.stderr).toBe(true);

    const lockLeft = existsSync(join(db, "index.lock"));
    // A kill can land after the index finished and released its lock, while the process exits.
    const finishedBefore = secondEnd.code === 0 || (await rows(db)).complete;
    const finished = await runInProcess(argv);
    expect(finished.code, finished.stderr).toBe(0);
    // A killed index leaves its lock behind (unless killed before taking it); the next run takes it over, saying so.
    expect(lockLeft || finishedBefore).toBe(true);
    if (lockLeft) expect(finished.stderr).toMatch(/index\.lock: left by pretext index .* \(pid \d+\), which no longer runs; taken over/);
    const got = await rows(db);
    const want = await rows(reference);
    expect(got.complete).toBe(true);
    expect(got.ids).toEqual(Array.from({ length: want.ids.length }, (_, i) => i));
    expect(got.hashes).toEqual(want.hashes);
    expect(got.vectors).toEqual(want.vectors);
  }, 120_000);

  it("a second index into a folder another live process is filling is refused with one line naming it", async () => {
    writeFileSync(join(reference, "index.lock"), `${JSON.stringify({ pid: process.pid, host: hostname(), command: "index elsewhere", started: "2026-12-07T00:00:00Z" })}\n`);
    try {
      const r = await runInProcess(["index", run, "--db", reference]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toEqual([`pretext index: error: ${reference}: in use by pretext index elsewhere (pid ${process.pid}, since 2026-12-07T00:00:00Z); wait for it to finish or stop it`]);
    } finally {
      rmSync(join(reference, "index.lock"));
    }
  });
});

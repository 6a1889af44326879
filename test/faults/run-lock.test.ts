import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RunFolder } from "../../src/cli/run-folder.js";
import { exited, runInProcess, spawnCli, waitFor } from "../cli/run-cli.js";
import { KILL_RUN } from "./kill-resume.js";

// One writer per run folder: a second process refuses with a clear message; the lock of an
// owner that died (SIGKILL, crash) is taken over, not left stuck.
const root = mkdtempSync(join(tmpdir(), "pretext-run-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let serial = 0;
/** A fresh folder to lock. */
function folder(): RunFolder {
  const dir = join(root, `run-${serial++}`);
  mkdirSync(dir);
  return new RunFolder(dir);
}
const lockOf = (pid: number, host = hostname()) => JSON.stringify({ pid, host, command: "pretrain", started: "2026-12-07T06:00:00.000Z" });
/** The pid of a process that has exited: no process runs with it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("run.lock", () => {
  it("is taken by the first process, refused to a second while the first runs, and released", () => {
    const run = folder();
    const other = new RunFolder(run.dir);
    expect(run.lock("pretrain")).toBeNull();
    expect(JSON.parse(readFileSync(run.lockPath, "utf8"))).toMatchObject({ pid: process.pid, host: hostname(), command: "pretrain" });
    expect(() => other.lock("pretrain")).toThrow(new RegExp(`${run.dir}: in use by pretext pretrain \\(pid ${process.pid}, since .*\\); wait for it to finish or stop it`));
    run.unlock();
    expect(existsSync(run.lockPath)).toBe(false);
    expect(other.lock("pretrain")).toBeNull();
    other.unlock();
  });

  it("a lock whose owner no longer runs, or that is unreadable, is taken over with a warning", () => {
    const run = folder();
    const pid = deadPid();
    writeFileSync(run.lockPath, lockOf(pid));
    expect(run.lock("pretrain")).toBe(`${run.lockPath}: left by pretext pretrain (pid ${pid}), which no longer runs; taken over`);
    expect(JSON.parse(readFileSync(run.lockPath, "utf8")).pid).toBe(process.pid);
    run.unlock();
    writeFileSync(run.lockPath, "");
    expect(run.lock("pretrain")).toBe(`${run.lockPath}: unreadable; taken over`);
    run.unlock();
  });

  it("a lock held on another machine (a shared folder) is refused with what to do", () => {
    const run = folder();
    writeFileSync(run.lockPath, lockOf(1, "other-host"));
    expect(() => run.lock("pretrain")).toThrow(/in use by pretext pretrain on other-host \(pid 1, since .*\); if nothing runs there any more, delete .*run\.lock/);
  });

  it("through the CLI: a second pretrain --resume on a running run exits 1 with one line; once the first is SIGKILLed, resume takes its lock over", async () => {
    const dir = join(root, "cli");
    const first = spawnCli(["pretrain", ...KILL_RUN.filter((a) => a !== "--quiet"), "--epochs", "40", "--out", dir, "--quiet"]);
    await waitFor(() => existsSync(join(dir, "config.json")) || first.exitCode !== null, 60_000, "the first run to start");
    const second = await runInProcess(["pretrain", "--resume", dir]);
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr.trim()).toMatch(new RegExp(`^pretext pretrain: error: ${dir}: in use by pretext pretrain \\(pid ${first.pid}, since [^)]+\\); wait for it to finish or stop it$`));
    first.kill("SIGKILL");
    await exited(first);
    const resumed = await runInProcess(["pretrain", "--resume", dir, "--epochs", "1"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`warning: ${join(dir, "run.lock")}: left by pretext pretrain (pid ${first.pid}), which no longer runs; taken over`);
    expect(existsSync(join(dir, "run.lock"))).toBe(false);
  }, 90_000);
});

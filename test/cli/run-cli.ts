import { type ChildProcess, spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { main } from "../../src/cli/program.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs the CLI in this process with captured output (fast: for help and error paths). */
export async function runInProcess(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await main(argv, { stdout, stderr });
  // Let the PassThroughs flush their last chunks.
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out, stderr: err };
}

/** Starts `node --import tsx src/cli.ts …` as the user would run `pretext …`. */
export function spawnCli(argv: readonly string[]): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...argv], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout?.on("data", (d: Buffer) => (output.stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output.stderr += d.toString()));
  return Object.assign(child, { output });
}

/** Waits for a child to exit: its exit code, or the signal that killed it. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

/** Runs the CLI to completion in a child process. */
export async function runCli(argv: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(argv);
  const { code } = await exited(child);
  return { code, ...child.output };
}

/** Polls `check` every 100 ms until it returns true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A user error: exactly one line on stderr, naming the command, and a usage exit code. */
export function expectOneLineError(r: { code: number | null; stdout: string; stderr: string }, command: string, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^pretext ${command}: error: `));
  expect(lines[0]).toMatch(pattern);
}

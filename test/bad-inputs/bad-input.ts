import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { runInProcess } from "../cli/run-cli.js";

/** The readers the corpus covers, as the README's reliability table counts them. */
export type Reader = "idx" | "image-folder" | "text" | "wav" | "safetensors" | "onnx" | "config" | "run-folder" | "tokenizer";

/**
 * One bad input and what pretext must do with it. Everything is made by code in `files` (no
 * binary blobs checked in) inside a fresh folder `dir`, then given to the CLI, to the library
 * reader, or to both. The expected outcome is the same for both: a one-line message matching
 * `message` (which names the file and, where it applies, the line, field or tensor), no stack
 * trace, and nothing left behind that a later command could take for good output.
 */
export interface BadInput {
  readonly reader: Reader;
  readonly name: string;
  /** Writes the bad files into `dir` (a run folder case may also copy `ctx.goodRun`). */
  readonly files: (dir: string, ctx: CaseContext) => void | Promise<void>;
  /** The command line, e.g. `["pretrain", "--data", join(dir, "x"), ...]`; omitted for library-only cases. */
  readonly cli?: (dir: string, ctx: CaseContext) => string[];
  /** The library call that must throw the reader's error; omitted for CLI-only cases. */
  readonly library?: (dir: string, ctx: CaseContext) => unknown;
  /** The exit code: 2 when the command line or config is wrong (nothing ran), 1 when data is bad. */
  readonly exit?: 1 | 2;
  /** What the one line must say: the file and the place (line, column, field, tensor, shape). */
  readonly message: RegExp;
  /** Paths (relative to `dir`) that must not exist afterwards; `run` (the `--out` of pretrain cases) always must not. */
  readonly leaves?: readonly string[];
  /** Paths (relative to `dir`) that must exist afterwards, unchanged or not: the good state a failure must not destroy. */
  readonly keeps?: readonly string[];
  /**
   * Valid but unusual input (a CMYK JPEG, a 16-bit PNG): it must be read, not refused. The CLI
   * must exit 0 and the library call return a value that `check` accepts.
   */
  readonly read?: { readonly check: (value: unknown) => void };
  /** Skip with this reason where the case cannot be made (e.g. file permissions when running as root). */
  readonly skip?: string;
}

/** What every case may use: finished tiny run folders (to copy, never to damage in place). */
export interface CaseContext {
  /** An image run, evaluated (so with embeddings.safetensors). */
  readonly goodRun: string;
  /** A character language model (clm) run. */
  readonly goodTextRun: string;
}

/** The `--out` every pretrain case gets, which must not exist after a refused run. */
export const OUT = "new-run";

/** Errors that mean a bug rather than a refused input: a reader must never let one of these escape. */
const BUG_ERRORS = ["TypeError", "RangeError", "ReferenceError", "SyntaxError", "EvalError", "URIError", "AggregateError"];

/** Buffer memory a refused input may cost: far below the sizes the absurd cases claim (terabytes) or inflate to (64 MB). */
const MEMORY_LIMIT = 48 * 2 ** 20;

/** Fails unless `message` is one line without a stack frame. */
function expectOneLine(message: string): void {
  expect(message.split("\n").filter((l) => l.trim() !== "")).toHaveLength(1);
  expect(message).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

/** Runs the CLI side of a case in this process and checks the outcome. */
export async function checkCli(c: BadInput, dir: string, ctx: CaseContext): Promise<void> {
  if (c.cli === undefined) return;
  const argv = c.cli(dir, ctx);
  const r = await runInProcess(argv);
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("warning: "));
  const command = argv[0] as string;
  if (c.read !== undefined) {
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    return;
  }
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: c.exit ?? 1 });
  expect(lines, r.stderr).toHaveLength(1);
  expectOneLine(lines[0] as string);
  expect(lines[0]).toMatch(new RegExp(`^pretext ${command}: error: `));
  expect(lines[0]).toMatch(c.message);
}

/**
 * Runs the library side: the call must throw an error of the reader's own (an `Error`, or a
 * subclass the project defines such as `AudioFileError` or `CliError`), never a `TypeError` or
 * `RangeError` from deeper down (an allocation of an absurd size shows up as one), with a
 * one-line message matching the case.
 */
export async function checkLibrary(c: BadInput, dir: string, ctx: CaseContext): Promise<void> {
  if (c.library === undefined) return;
  let thrown: unknown = null;
  let value: unknown;
  const before = process.memoryUsage().arrayBuffers;
  try {
    value = await c.library(dir, ctx);
  } catch (e) {
    thrown = e;
  }
  // Bounded memory: a header's absurd claim is refused before its size is allocated (buffers
  // not yet collected still count here, so an allocation made and dropped shows up too).
  const grown = process.memoryUsage().arrayBuffers - before;
  expect(grown, `${(grown / 2 ** 20).toFixed(0)} MB of buffers allocated`).toBeLessThan(MEMORY_LIMIT);
  if (c.read !== undefined) {
    expect(thrown).toBeNull();
    c.read.check(value);
    return;
  }
  expect(thrown, "the reader returned instead of refusing the input").toBeInstanceOf(Error);
  const error = thrown as Error;
  expect(BUG_ERRORS, `${error.name}: ${error.message}`).not.toContain(error.name);
  expectOneLine(error.message);
  expect(error.message).toMatch(c.message);
}

/** Checks that nothing was left behind and nothing good was lost. */
export function checkLeftovers(c: BadInput, dir: string): void {
  for (const path of [OUT, ...(c.leaves ?? [])]) {
    const full = join(dir, path);
    expect(existsSync(full) ? `${path} left behind: ${listing(full)}` : null).toBeNull();
  }
  for (const path of c.keeps ?? []) expect(existsSync(join(dir, path)), `${path} was lost`).toBe(true);
}

function listing(path: string): string {
  try {
    return readdirSync(path).join(", ") || "(empty folder)";
  } catch {
    return "(a file)";
  }
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc, { type Arbitrary } from "fast-check";

/**
 * One parser under fuzzing: an input generator and the call that reads one input. Inputs are
 * written into the case's scratch folder when the reader takes a path, so what is fuzzed is the
 * reader a user's file meets, not an inner function.
 */
export interface FuzzTarget<T = unknown> {
  /** Names the target in reports and in `scripts/fuzz.ts --only`. */
  readonly name: string;
  readonly arbitrary: Arbitrary<T>;
  /** Writes `input` into `dir` where the reader takes a path; returns the read (which may also use what it read) and the source its errors must name. */
  readonly prepare: (input: T, dir: string) => PreparedRead;
}

export interface PreparedRead {
  readonly source: string;
  readonly read: () => unknown;
}

/** The error classes a reader may throw for a bad input: the project's own, one line each. */
export const TYPED_ERRORS: ReadonlySet<string> = new Set(["Error", "AudioFileError", "CliError", "CheckpointError"]);

/**
 * The invariant: `run` returns, or throws one of the project's typed errors (never a
 * TypeError, RangeError, SyntaxError from deeper down, nor a non-Error), with a one-line message
 * that names `source`. Throws an explanation when the invariant is broken.
 */
export async function checkRead(source: string, run: () => Promise<unknown> | unknown): Promise<void> {
  let thrown: unknown;
  try {
    await run();
    return;
  } catch (e) {
    thrown = e;
  }
  if (!(thrown instanceof Error)) throw new Error(`threw a non-Error: ${String(thrown)}`);
  if (!TYPED_ERRORS.has(thrown.name)) throw new Error(`threw a ${thrown.name}, not a typed error: ${thrown.message}\n${thrown.stack ?? ""}`);
  const lines = thrown.message.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== 1) throw new Error(`a ${lines.length}-line message: ${JSON.stringify(thrown.message)}`);
  if (!thrown.message.includes(source)) throw new Error(`the message does not name ${source}: ${thrown.message}`);
}

/** How one target is run: fast-check's seed and number of cases, and the time one case may take. */
export interface FuzzOptions {
  readonly seed: number;
  readonly numRuns: number;
  /** An async read that has not settled by then fails its case (a synchronous hang is the watchdog's: `run-fuzz.ts`). */
  readonly caseTimeoutMs: number;
  /** Called before each case with the input, printed, so that a watchdog can name the case that hung. */
  readonly onCase?: (input: string) => void;
}

/** What a run of one target found. */
export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  /** Cases run, shrinking included. */
  readonly cases: number;
  /** The smallest failing input, printed, and why it failed; null when the invariant held. */
  readonly failure: { readonly input: string; readonly error: string } | null;
  /** The input that was still running when the watchdog stopped the run. */
  readonly hang?: string;
}

/** A target with its input type hidden, so targets of different inputs share one list. */
export interface Runnable {
  readonly name: string;
  readonly check: (options: FuzzOptions) => Promise<FuzzReport>;
}

export function runnable<T>(target: FuzzTarget<T>): Runnable {
  return {
    name: target.name,
    check: async ({ seed, numRuns, caseTimeoutMs, onCase }) => {
      const dir = mkdtempSync(join(tmpdir(), `pretext-fuzz-${target.name}-`));
      let cases = 0;
      try {
        const property = fc.asyncProperty(target.arbitrary, async (input) => {
          cases++;
          onCase?.(fc.stringify(input).slice(0, 4000));
          const { source, read } = target.prepare(input, dir);
          await checkRead(source, read);
        });
        const details = await fc.check(property, { seed, numRuns, timeout: caseTimeoutMs, markInterruptAsFailure: true });
        const failure = details.failed ? { input: fc.stringify(details.counterexample?.[0]).slice(0, 4000), error: errorText(details.errorInstance) } : null;
        return { target: target.name, seed, cases, failure };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

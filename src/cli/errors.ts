/** Exit codes of the `pretext` command: scripts branch on them. */
export const ExitCode = {
  ok: 0,
  /** Something failed while running (bad data file contents, a NaN loss, …). */
  failure: 1,
  /** The command line or config was wrong; nothing ran. */
  usage: 2,
  /** Stopped by Ctrl-C (128 + SIGINT), after writing a checkpoint. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error meant for the person at the terminal: one line that says what was wrong and what to
 * do about it. Anything else that escapes a command is a bug and is printed with its stack.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.usage,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Squeezes a multi-line message (commander's "unknown option\n(Did you mean …?)") onto one line. */
export function oneLine(message: string): string {
  return message
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .join(" ");
}

/** "did you mean …?" for a name, by edit distance, or "" when nothing is close. */
export function suggest(name: string, candidates: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // Commander's rule of thumb: at most 40% of the name may differ.
  return best !== null && bestDistance <= Math.max(1, Math.floor(name.length * 0.4)) ? ` (did you mean "${best}"?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

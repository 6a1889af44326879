import { InvalidArgumentError } from "commander";
import { parseDuration } from "./config.js";
import { CliError } from "./errors.js";

/** Commander argument parsers: a bad value becomes commander's one-line "option … argument … is invalid". */

export function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer.");
  return n;
}

export function nonNegativeIntArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("expected an integer ≥ 0.");
  return n;
}

export function fractionArg(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !(n >= 0 && n < 1)) throw new InvalidArgumentError("expected a number in [0, 1).");
  return n;
}

export function durationArg(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof CliError ? `${e.message}.` : "expected a duration like 90s or 5m.");
  }
}

/** "1,10,100" → [1, 10, 100]; "all" counts as 0 (every label). */
export function countListArg(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  const out = parts.map((s) => (s === "all" ? 0 : Number(s)));
  if (parts.some((s) => s === "") || out.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new InvalidArgumentError('expected a comma-separated list of counts, e.g. "1,10,100" (or "all").');
  }
  return out;
}

/** "linear,knn" → ["linear", "knn"], each one of `names`. */
export function nameListArg<T extends string>(names: readonly T[]): (value: string) => T[] {
  return (value: string) => {
    const parts = value.split(",").map((s) => s.trim());
    for (const p of parts) {
      if (!(names as readonly string[]).includes(p)) throw new InvalidArgumentError(`"${p}" is not one of ${names.join(", ")}.`);
    }
    return parts as T[];
  };
}

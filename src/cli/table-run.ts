import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidArgumentError } from "commander";
import { type TableEncoding, parseTableEncoding } from "../data/table/table-encoding.js";
import { writeFileAtomic } from "../io/write-atomic.js";
import { CliError, ExitCode, errorMessage } from "./errors.js";
import type { RunFolder } from "./run-folder.js";

/**
 * A table run's `table.json`: how its rows became features (each numeric column's training mean
 * and deviation and whether it has a missing indicator, each categorical column's levels, the
 * label column and classes). Eval, embed and export encode every later table with it, so a test
 * file is standardized with the training statistics, not its own.
 */
export function runTablePath(run: RunFolder): string {
  return join(run.dir, "table.json");
}

/** Writes `table.json` (atomically). */
export function writeRunTable(run: RunFolder, encoding: TableEncoding): Promise<void> {
  return writeTableFile(runTablePath(run), encoding);
}

/** Writes an encoding as JSON (atomically): a run's `table.json`, or the one beside an exported model. */
export async function writeTableFile(path: string, encoding: TableEncoding): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(encoding, null, 2)}\n`);
}

/** Where `export` puts a table model's encoding: `model.onnx` → `model.table.json`. */
export function exportedTablePath(onnxPath: string): string {
  return onnxPath.replace(/\.onnx$/i, ".table.json");
}

/** A table run's encoding, or null for a run of another modality; a damaged file is a one-line error. */
export function readRunTable(run: RunFolder): TableEncoding | null {
  const path = runTablePath(run);
  if (!existsSync(path)) return null;
  try {
    return parseTableEncoding(JSON.parse(readFileSync(path, "utf8")), path);
  } catch (e) {
    throw new CliError(`${path}: damaged (${errorMessage(e)}); the run folder is not usable for tables`, ExitCode.failure);
  }
}

/** `loadData`'s table option for data a finished run reads: the run's encoding (nothing for other runs). */
export function tableLoading(run: RunFolder): { table?: { encoding: TableEncoding } } {
  const encoding = readRunTable(run);
  return encoding === null ? {} : { table: { encoding } };
}

/** The column types and columns left out a pretrain config asks for, as `loadData`'s table option (none when it asks for nothing). */
export function tableColumnOptions(p: { readonly categoricalColumns: readonly string[] | null; readonly numericColumns: readonly string[] | null; readonly ignoreColumns: readonly string[] | null }): {
  table?: { categorical?: readonly string[]; numeric?: readonly string[]; ignore?: readonly string[] };
} {
  const table = {
    ...(p.categoricalColumns === null ? {} : { categorical: p.categoricalColumns }),
    ...(p.numericColumns === null ? {} : { numeric: p.numericColumns }),
    ...(p.ignoreColumns === null ? {} : { ignore: p.ignoreColumns }),
  };
  return Object.keys(table).length === 0 ? {} : { table };
}

/** "0.01,0.1,1" → [0.01, 0.1, 1]: shares of the training rows in (0, 1] (`--label-fractions`). */
export function fractionListArg(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((s) => s === "") || out.some((f) => !(f > 0 && f <= 1))) throw new InvalidArgumentError('expected a comma-separated list of shares in (0, 1], e.g. "0.01,0.1,1".');
  return out;
}

/** "a,b" → ["a", "b"]: column names (`--categorical`, `--numeric`, `--ignore-columns`). */
export function columnListArg(value: string): string[] {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.some((s) => s === "")) throw new InvalidArgumentError('expected a comma-separated list of column names, e.g. "age,income".');
  return parts;
}

/**
 * `--label-column` names a table's label column; it is `--labels` by another name (a CSV's labels
 * are a column of it), so giving both with different values is a usage error.
 */
export function labelColumnFlag(flags: { readonly labels?: string; readonly labelColumn?: string }): string | undefined {
  if (flags.labelColumn !== undefined && flags.labels !== undefined && flags.labels !== flags.labelColumn) {
    throw new CliError(`--labels ${flags.labels} and --label-column ${flags.labelColumn} disagree; a table's labels are one column: give --label-column only`);
  }
  return flags.labelColumn ?? flags.labels;
}

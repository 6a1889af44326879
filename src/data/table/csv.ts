import { readFileSync } from "node:fs";
import { CsvError, parse } from "csv-parse/sync";
import { MISSING_TOKENS, type RawRow, type RawTable, checkColumnNames } from "./raw-table.js";
import { type TableDataset, type TableEncoding, type TableOptions, tableDataset } from "./table-encoding.js";

export interface CsvReadOptions {
  /** Field separator; default ",". */
  readonly delimiter?: string;
  /** Column names for a file without a header row (UCI's `.data` files); by default the first row names them. */
  readonly columns?: readonly string[];
  /** Values read as missing; default `MISSING_TOKENS` (empty, `?`, `NA`, `NaN`, `null`, …). */
  readonly missing?: readonly string[];
}

export type CsvDatasetOptions = TableOptions & CsvReadOptions;

/** How rows became feature vectors (see `TableEncoding`). */
export type CsvEncoding = TableEncoding;

/** A CSV table as a dataset of `row: float32[D]` feature vectors (the table modality), with the encoding that made them. */
export type CsvDataset = TableDataset;

/**
 * Reads a CSV file into a raw table: a header row of names (or `columns`), then rows of strings
 * with their line numbers, missing values as null. Errors name `file:line`: ragged rows, bad
 * quoting, duplicate or empty names, a file with no rows after its header.
 */
export function readCsvTable(file: string, options: CsvReadOptions = {}): RawTable {
  const { delimiter = ",", columns: given, missing = MISSING_TOKENS } = options;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`${file}: cannot read (${error instanceof Error ? error.message : String(error)})`);
  }
  let records: ParsedRecord[];
  try {
    // csv-parse's types do not model `info: true` (records become { record, info }), so the
    // result is checked rather than cast.
    const parsed: unknown[] = parse(text, { delimiter, info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true });
    records = parsed.filter(isParsedRecord);
    if (records.length !== parsed.length) throw new Error(`${file}: unexpected csv-parse output`);
  } catch (error) {
    if (error instanceof CsvError) throw new Error(`${file}:${String(error.lines ?? "?")}: ${error.message}`);
    throw error;
  }
  const header = given === undefined ? records[0] : undefined;
  if (given === undefined && header === undefined) throw new Error(`${file}: empty file; expected a header row of column names`);
  const columns = given ?? (header as ParsedRecord).record;
  const headerLine = header?.info.lines ?? 0;
  checkColumnNames(file, headerLine, columns);
  const body = given === undefined ? records.slice(1) : records;
  if (body.length === 0) throw new Error(`${file}: no data rows after the header`);
  const absent = new Set(missing);
  const listing = columns.length <= 40 ? ` (columns are: ${columns.join(", ")})` : "";
  const rows = body.map(({ record, info }): RawRow => {
    if (record.length !== columns.length) throw new Error(`${file}:${info.lines}: ragged row: expected ${columns.length} fields${listing}, got ${record.length}`);
    return { values: record.map((v) => (absent.has(v) ? null : v)), line: info.lines };
  });
  return { file, columns, headerLine, rows };
}

/**
 * Reads a CSV file with a header row into a dataset for tabular SSL: column types inferred
 * (overridable), numbers standardized, categories one-hot, missing values imputed with an
 * indicator (see `tableDataset` for the encoding and `inferColumnTypes` for the types).
 */
export function csvDataset(file: string, options: CsvDatasetOptions = {}): CsvDataset {
  return tableDataset(readCsvTable(file, options), options);
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

function isParsedRecord(x: unknown): x is ParsedRecord {
  if (typeof x !== "object" || x === null || !("record" in x) || !("info" in x)) return false;
  const { record, info } = x;
  return Array.isArray(record) && record.every((f) => typeof f === "string") && typeof info === "object" && info !== null && "lines" in info && typeof info.lines === "number";
}

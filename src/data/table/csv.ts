import { readFileSync } from "node:fs";
import { CsvError, parse } from "csv-parse/sync";
import { ArrayDataset } from "../dataset.js";
import { tableSpec } from "../sample.js";

export interface CsvDatasetOptions {
  /** The column holding class labels; its distinct values become classes 0..K-1 (`classNames`). */
  labelColumn?: string;
  /** Columns to one-hot encode; every other column (but the label and `ignore`d ones) must be numeric. */
  categorical?: readonly string[];
  /** Columns to leave out, e.g. row ids. */
  ignore?: readonly string[];
  /** Field separator; default ",". */
  delimiter?: string;
  /**
   * The encoding of another file (usually the training set's `dataset.encoding`), so this file
   * is standardized with the same means and deviations and one-hot encoded with the same
   * categories and features; the class names are reused too.
   */
  encoding?: CsvEncoding;
}

/** How rows became feature vectors: enough to encode new rows the same way. */
export interface CsvEncoding {
  /** Name of each of the D features: a numeric column's name, or `column=value` for a one-hot slot. */
  readonly features: readonly string[];
  /** Numeric columns with the mean and (population) standard deviation used to standardize them. */
  readonly numeric: readonly { readonly column: string; readonly mean: number; readonly std: number }[];
  /** Categorical columns with their categories, in the order of their one-hot slots. */
  readonly categorical: readonly { readonly column: string; readonly categories: readonly string[] }[];
  /** Label values in class-id order, when there is a label column. */
  readonly classNames?: readonly string[];
}

/** A CSV table as a dataset of `row: float32[D]` feature vectors (the table modality), with the encoding that made them. */
export type CsvDataset = ArrayDataset & { readonly encoding: CsvEncoding };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads a CSV file with a header row into a dataset for tabular SSL. Numeric columns are
 * standardized to zero mean and unit variance (population std, like scikit-learn's
 * StandardScaler); categorical columns are one-hot encoded (0/1 slots in sorted category order,
 * not standardized), rather than index-encoded, because an index would impose an order and
 * distances an MLP encoder would have to unlearn. Features are laid out numeric columns first,
 * then one-hot blocks, each in file column order. Samples are `row: float32[D]` (`tableSpec`).
 *
 * Errors name `file:line`: ragged rows, non-numeric or empty values in numeric columns, unknown
 * columns (listing the available ones).
 */
export function csvDataset(file: string, options: CsvDatasetOptions = {}): CsvDataset {
  const { labelColumn, categorical = [], ignore = [], delimiter = ",", encoding } = options;
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
  const header = records[0];
  if (header === undefined) throw new Error(`${file}: empty file; expected a header row of column names`);
  const columns = header.record;
  const rows = records.slice(1);
  if (rows.length === 0) throw new Error(`${file}: no data rows after the header`);
  const listing = `columns are: ${columns.join(", ")}`;
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name)) throw new Error(`${file}:${header.info.lines}: duplicate column name "${name}"`);
    seen.add(name);
  }
  const indexOf = (name: string, role: string): number => {
    const k = columns.indexOf(name);
    if (k < 0) throw new Error(`${file}: no ${role} column "${name}"; ${listing}`);
    return k;
  };
  const labelIndex = labelColumn === undefined ? -1 : indexOf(labelColumn, "label");
  for (const name of categorical) indexOf(name, "categorical");
  for (const name of ignore) indexOf(name, "ignored");
  const categoricalSet = new Set(categorical);
  const ignored = new Set(ignore);
  if (labelColumn !== undefined && categoricalSet.has(labelColumn)) throw new Error(`${file}: "${labelColumn}" is both the label column and categorical`);

  for (const { record, info } of rows) {
    if (record.length !== columns.length) {
      throw new Error(`${file}:${info.lines}: ragged row: expected ${columns.length} fields (${listing}), got ${record.length}`);
    }
  }

  const numericColumns: number[] = [];
  const categoricalColumns: number[] = [];
  columns.forEach((name, k) => {
    if (k === labelIndex || ignored.has(name)) return;
    (categoricalSet.has(name) ? categoricalColumns : numericColumns).push(k);
  });
  if (encoding !== undefined) checkSameColumns(file, encoding, numericColumns.map((k) => columns[k] as string), categoricalColumns.map((k) => columns[k] as string));

  // Numeric values, column-major, in float64 for the statistics.
  const n = rows.length;
  const numeric = numericColumns.map((k) => {
    const values = new Float64Array(n);
    rows.forEach(({ record, info }, r) => {
      const raw = record[k] as string;
      if (!NUMBER.test(raw)) {
        const what = raw === "" ? "an empty value" : `non-numeric value "${raw}"`;
        throw new Error(`${file}:${info.lines}: column "${columns[k]}" has ${what}; numeric columns need numbers (list the column in categorical, or ignore it)`);
      }
      values[r] = Number(raw);
    });
    return values;
  });
  const numericStats = numericColumns.map((k, j) => {
    const known = encoding?.numeric[j];
    if (known !== undefined) return known;
    const values = numeric[j] as Float64Array;
    let mean = 0;
    for (const v of values) mean += v;
    mean /= n;
    let variance = 0;
    for (const v of values) variance += (v - mean) * (v - mean);
    // NOTE: a constant column has std 0; dividing by 1 instead maps it to all zeros rather than NaN.
    const std = Math.sqrt(variance / n) || 1;
    return { column: columns[k] as string, mean, std };
  });

  const categoricalStats = categoricalColumns.map((k, j) => {
    const known = encoding?.categorical[j];
    if (known !== undefined) return known;
    return { column: columns[k] as string, categories: sortValues(new Set(rows.map(({ record }) => record[k] as string))) };
  });

  const features = [...numericStats.map((s) => s.column), ...categoricalStats.flatMap((s) => s.categories.map((c) => `${s.column}=${c}`))];
  if (features.length === 0) throw new Error(`${file}: no feature columns left (${listing})`);
  const d = features.length;
  const values = new Float32Array(n * d);
  numericStats.forEach(({ mean, std }, j) => {
    const column = numeric[j] as Float64Array;
    for (let r = 0; r < n; r++) values[r * d + j] = ((column[r] as number) - mean) / std;
  });
  let offset = numericStats.length;
  categoricalStats.forEach(({ column, categories }, j) => {
    const slot = new Map(categories.map((c, i) => [c, i]));
    const k = categoricalColumns[j] as number;
    rows.forEach(({ record, info }, r) => {
      const i = slot.get(record[k] as string);
      if (i === undefined) throw new Error(`${file}:${info.lines}: column "${column}" has category "${record[k]}" unseen in the encoding (known: ${categories.join(", ")})`);
      values[r * d + offset + i] = 1;
    });
    offset += categories.length;
  });

  let labels: Int32Array | undefined;
  let classNames: readonly string[] | undefined;
  if (labelIndex >= 0) {
    for (const { record, info } of rows) {
      if (record[labelIndex] === "") throw new Error(`${file}:${info.lines}: empty label in column "${labelColumn}"`);
    }
    const names = encoding?.classNames ?? sortValues(new Set(rows.map(({ record }) => record[labelIndex] as string)));
    const classOf = new Map(names.map((c, i) => [c, i]));
    const ids = new Int32Array(n);
    rows.forEach(({ record, info }, r) => {
      const y = classOf.get(record[labelIndex] as string);
      if (y === undefined) throw new Error(`${file}:${info.lines}: label "${record[labelIndex]}" is not one of the known classes (${names.join(", ")})`);
      ids[r] = y;
    });
    labels = ids;
    classNames = names;
  }

  const csvEncoding: CsvEncoding = {
    features,
    numeric: numericStats,
    categorical: categoricalStats,
    ...(classNames === undefined ? {} : { classNames }),
  };
  const dataset = new ArrayDataset({
    spec: tableSpec(d),
    fields: { row: values },
    ...(labels === undefined || classNames === undefined ? {} : { labels, numClasses: classNames.length, classNames }),
  });
  return Object.assign(dataset, { encoding: csvEncoding });
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

/** Distinct values sorted numerically when all are numbers (so "10" follows "9"), else by code unit. */
function sortValues(values: Set<string>): string[] {
  const list = [...values];
  if (list.every((v) => NUMBER.test(v))) return list.sort((a, b) => Number(a) - Number(b));
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function checkSameColumns(file: string, encoding: CsvEncoding, numeric: string[], categorical: string[]): void {
  const want = [...encoding.numeric.map((s) => s.column), "|", ...encoding.categorical.map((s) => s.column)].join(",");
  const got = [...numeric, "|", ...categorical].join(",");
  if (want !== got) {
    throw new Error(
      `${file}: columns do not match the encoding: expected numeric [${encoding.numeric.map((s) => s.column).join(", ")}] and categorical [${encoding.categorical.map((s) => s.column).join(", ")}], got [${numeric.join(", ")}] and [${categorical.join(", ")}]`,
    );
  }
}

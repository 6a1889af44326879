import { ArrayDataset } from "../dataset.js";
import { tableSpec } from "../sample.js";
import { type ColumnTypeOptions, type FeatureColumn, NUMBER, inferColumnTypes } from "./column-types.js";
import type { RawRow, RawTable } from "./raw-table.js";

/** A numeric column: standardized with the training rows' mean and population standard deviation. */
export interface NumericEncoding {
  readonly column: string;
  readonly mean: number;
  readonly std: number;
  /** Whether training rows lacked it: then a 0/1 "was missing" slot follows the numeric values. */
  readonly missingIndicator: boolean;
}

/** A categorical column: one 0/1 slot per level, in this order. */
export interface CategoricalEncoding {
  readonly column: string;
  readonly categories: readonly string[];
}

/**
 * How rows became feature vectors, fitted on the training rows: enough to encode any later rows
 * (test files, rows given to an exported encoder) exactly the same way. A run keeps it as JSON.
 */
export interface TableEncoding {
  /** Name of each of the D features: `column` (a number), `column (missing)` (its indicator), `column=level` (a one-hot slot). */
  readonly features: readonly string[];
  readonly numeric: readonly NumericEncoding[];
  readonly categorical: readonly CategoricalEncoding[];
  /** The class column and its values in class-id order, when there is one. */
  readonly labelColumn?: string;
  readonly classNames?: readonly string[];
}

/** The level a missing categorical value becomes: its own category, as the issue asks (and as one-hot encoders' "missing" bin). */
export const MISSING_LEVEL = "(missing)";

export interface TableOptions extends ColumnTypeOptions {
  /** A training set's encoding: this table is encoded with its statistics, levels and classes (eval, export). */
  readonly encoding?: TableEncoding;
  /**
   * The most levels a categorical column may have. Default 1,000: a column with more is usually
   * an id or free text, and its one-hot block would dwarf every other feature (10^5 levels of a
   * 10^4-row table is 4 GB of float32); ignore it or give it as numeric.
   */
  readonly maxLevels?: number;
}

/** A table as a dataset of `row: float32[D]` feature vectors, with the encoding that made them and what was noticed on the way. */
export type TableDataset = ArrayDataset & { readonly encoding: TableEncoding; readonly warnings: readonly string[] };

/**
 * The most features a row may have. An MLP's first layer holds features × 256 weights: 2^16
 * features are 64 MiB of float32 weights (and as much again for each of Adam's moments); 10^6
 * would be 1 GiB each, past what a CPU step can train.
 */
const MAX_FEATURES = 2 ** 16;

/** Beyond this many float32 values (1 GiB) a table is refused up front rather than failing an allocation. */
const MAX_VALUES = 2 ** 28;

/**
 * Encodes a raw table for tabular SSL. Numeric columns are standardized to zero mean and unit
 * variance (population std, like scikit-learn's StandardScaler); a missing number becomes the
 * training mean (0 after standardizing), and when the training rows had missing values a 0/1
 * "was missing" slot says so (scikit-learn's `SimpleImputer(add_indicator=True)`). Categorical
 * columns are one-hot encoded (0/1 slots, not standardized) rather than index-encoded, because an
 * index would impose an order and distances an MLP would have to unlearn; a missing value is its
 * own level, and a level the training rows never had (unseen at test time) is all zeros, with a
 * warning. Features are laid out numeric values first, then the missing indicators, then the
 * one-hot blocks, each in file column order.
 *
 * Errors name `file:line` and the column: non-numeric values in numeric columns, empty labels,
 * unknown classes at test time, too many levels.
 */
export function tableDataset(table: RawTable, options: TableOptions = {}): TableDataset {
  const { file } = table;
  if (table.rows.length === 0) throw new Error(`${file}: no data rows after the header`);
  const { encoding } = options;
  // A training set's label column is optional in later tables: rows to embed need not have labels.
  const labelColumn = options.labelColumn ?? (encoding?.labelColumn !== undefined && table.columns.includes(encoding.labelColumn) ? encoding.labelColumn : undefined);
  const { features: columns, labelIndex, warnings: typeWarnings } = encoding === undefined ? inferColumnTypes(table, options) : columnsOf(table, encoding, labelColumn);
  const warnings = [...typeWarnings];
  const fitted = encoding ?? fitEncoding(table, columns, options.maxLevels ?? 1000, warnings, labelColumn);
  const n = table.rows.length;
  const d = fitted.features.length;
  if (d > MAX_FEATURES) {
    const at = fitted.features[MAX_FEATURES] as string;
    throw new Error(`${file}${table.headerLine > 0 ? `:${table.headerLine}` : ""}: ${d} features, more than ${MAX_FEATURES} (the ${MAX_FEATURES + 1}th is "${at}"): an encoder's first layer would not fit; ignore columns or give fewer`);
  }
  if (n * d > MAX_VALUES) throw new Error(`${file}: ${n} rows × ${d} features is more than ${MAX_VALUES} values; leave out wide categorical columns (ignore) or use fewer rows`);
  const values = new Float32Array(n * d);
  const numericColumns = columns.filter((c) => c.type === "numeric");
  const categoricalColumns = columns.filter((c) => c.type === "categorical");
  const indicators = fitted.numeric.filter((s) => s.missingIndicator).length;

  let indicator = fitted.numeric.length;
  fitted.numeric.forEach(({ column, mean, std, missingIndicator }, j) => {
    const k = (numericColumns[j] as FeatureColumn).index;
    table.rows.forEach(({ values: raw, line }, r) => {
      const v = raw[k] ?? null;
      if (v === null) {
        if (missingIndicator) values[r * d + indicator] = 1;
        return; // the mean, standardized
      }
      if (!NUMBER.test(v)) throw new Error(`${file}:${line}: column "${column}" has non-numeric value "${v}"; the training data had numbers there`);
      values[r * d + j] = (Number(v) - mean) / std;
    });
    if (missingIndicator) indicator++;
  });

  let offset = fitted.numeric.length + indicators;
  fitted.categorical.forEach(({ column, categories }, j) => {
    const slot = new Map(categories.map((c, i) => [c, i]));
    const k = (categoricalColumns[j] as FeatureColumn).index;
    let unseen = 0;
    let first: { value: string; line: number } | null = null;
    table.rows.forEach(({ values: raw, line }, r) => {
      const v = raw[k] ?? MISSING_LEVEL;
      const i = slot.get(v);
      if (i !== undefined) values[r * d + offset + i] = 1;
      else {
        unseen++;
        first ??= { value: v, line };
      }
    });
    if (first !== null) {
      const { value, line } = first;
      warnings.push(`${file}:${line}: column "${column}" has level "${value}" unseen in the training data (${unseen} row${unseen === 1 ? "" : "s"}); encoded as all zeros`);
    }
    offset += categories.length;
  });

  const labels = labelIndex < 0 ? undefined : classIds(table, labelIndex, labelColumn as string, fitted.classNames as readonly string[]);
  const classNames = fitted.classNames;
  const dataset = new ArrayDataset({
    spec: tableSpec(d),
    fields: { row: values },
    ...(labels === undefined || classNames === undefined ? {} : { labels, numClasses: classNames.length, classNames }),
  });
  return Object.assign(dataset, { encoding: fitted, warnings });
}

/** The training rows' statistics, levels and classes. */
function fitEncoding(table: RawTable, columns: readonly FeatureColumn[], maxLevels: number, warnings: string[], labelColumn: string | undefined): TableEncoding {
  const { file, rows } = table;
  const numeric = columns
    .filter((c) => c.type === "numeric")
    .map(({ column, index }): NumericEncoding => {
      let sum = 0;
      let present = 0;
      for (const { values } of rows) {
        const v = values[index];
        if (v !== null && v !== undefined) {
          sum += Number(v);
          present++;
        }
      }
      const mean = sum / present;
      let variance = 0;
      for (const { values } of rows) {
        const v = values[index];
        if (v !== null && v !== undefined) variance += (Number(v) - mean) ** 2;
      }
      const std = Math.sqrt(variance / present);
      // NOTE: a constant column has std 0; dividing by 1 instead maps it to zeros rather than NaN.
      if (std === 0) warnings.push(`${file}: column "${column}" is constant (${mean}) in the training rows; it encodes as zeros`);
      return { column, mean, std: std || 1, missingIndicator: present < rows.length };
    });
  const categorical = columns
    .filter((c) => c.type === "categorical")
    .map(({ column, index }): CategoricalEncoding => {
      const declared = table.declared?.[column];
      const levels = new Set<string>(declared?.kind === "nominal" ? declared.levels : []);
      let missing = false;
      for (const { values, line } of rows) {
        const v = values[index];
        if (v === null || v === undefined) missing = true;
        else if (!levels.has(v)) {
          levels.add(v);
          if (levels.size > maxLevels) {
            throw new Error(`${file}:${line}: column "${column}" has more than ${maxLevels} distinct levels, too many to one-hot encode (an id or free text?); ignore it, or give it as numeric`);
          }
        }
      }
      const ordered = declared?.kind === "nominal" ? [...levels] : sortValues(levels);
      return { column, categories: missing ? [...ordered, MISSING_LEVEL] : ordered };
    });
  const indicatorNames = numeric.filter((s) => s.missingIndicator).map((s) => `${s.column} (missing)`);
  const features = [...numeric.map((s) => s.column), ...indicatorNames, ...categorical.flatMap((s) => s.categories.map((c) => `${s.column}=${c}`))];
  const labelIndex = labelColumn === undefined ? -1 : table.columns.indexOf(labelColumn);
  if (labelIndex < 0) return { features, numeric, categorical };
  const declared = table.declared?.[labelColumn as string];
  const seen = new Set<string>();
  for (const { values, line } of rows) {
    const v = values[labelIndex];
    if (v === null || v === undefined) throw new Error(`${file}:${line}: missing label in column "${labelColumn}"`);
    seen.add(v);
  }
  const classNames = declared?.kind === "nominal" ? declared.levels.filter((l) => seen.has(l)).concat([...seen].filter((l) => !declared.levels.includes(l))) : sortValues(seen);
  return { features, numeric, categorical, labelColumn: labelColumn as string, classNames };
}

/** The feature columns an encoding was fitted on, found in another table (they must all be there). */
function columnsOf(table: RawTable, encoding: TableEncoding, labelColumn: string | undefined): { features: FeatureColumn[]; labelIndex: number; warnings: string[] } {
  const { file, columns } = table;
  const find = (column: string, role: string): number => {
    const k = columns.indexOf(column);
    if (k < 0) throw new Error(`${file}: no ${role} column "${column}", which the training data had; columns are: ${columns.join(", ")}`);
    return k;
  };
  const features: FeatureColumn[] = [
    ...encoding.numeric.map((s): FeatureColumn => ({ column: s.column, index: find(s.column, "numeric"), type: "numeric" })),
    ...encoding.categorical.map((s): FeatureColumn => ({ column: s.column, index: find(s.column, "categorical"), type: "categorical" })),
  ];
  const labelIndex = labelColumn === undefined ? -1 : find(labelColumn, "label");
  if (labelIndex >= 0 && encoding.classNames === undefined) throw new Error(`${file}: the training data had no label column; "${labelColumn}" cannot be one here`);
  return { features, labelIndex, warnings: [] };
}

function classIds(table: RawTable, labelIndex: number, labelColumn: string, names: readonly string[]): Int32Array {
  const classOf = new Map(names.map((c, i) => [c, i]));
  const ids = new Int32Array(table.rows.length);
  table.rows.forEach(({ values, line }: RawRow, r) => {
    const v = values[labelIndex];
    if (v === null || v === undefined) throw new Error(`${table.file}:${line}: missing label in column "${labelColumn}"`);
    const y = classOf.get(v);
    if (y === undefined) throw new Error(`${table.file}:${line}: label "${v}" in column "${labelColumn}" is not one of the known classes (${names.join(", ")})`);
    ids[r] = y;
  });
  return ids;
}

/** Distinct values sorted numerically when all are numbers (so "10" follows "9"), else by code unit. */
export function sortValues(values: Iterable<string>): string[] {
  const list = [...values];
  if (list.every((v) => NUMBER.test(v))) return list.sort((a, b) => Number(a) - Number(b));
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A saved encoding (a run's `table.json`), checked field by field; a one-line error naming `where` otherwise. */
export function parseTableEncoding(value: unknown, where: string): TableEncoding {
  const bad = (what: string) => new Error(`${where}: not a table encoding (${what})`);
  if (typeof value !== "object" || value === null) throw bad("expected an object");
  const v = value as Record<string, unknown>;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === "string");
  if (!strings(v.features)) throw bad("features");
  if (!Array.isArray(v.numeric) || !v.numeric.every((s: unknown) => {
    const o = s as Record<string, unknown>;
    return typeof o === "object" && o !== null && typeof o.column === "string" && Number.isFinite(o.mean) && typeof o.std === "number" && o.std > 0 && typeof o.missingIndicator === "boolean";
  })) throw bad("numeric");
  if (!Array.isArray(v.categorical) || !v.categorical.every((s: unknown) => typeof s === "object" && s !== null && typeof (s as Record<string, unknown>).column === "string" && strings((s as Record<string, unknown>).categories))) throw bad("categorical");
  if (v.classNames !== undefined && !strings(v.classNames)) throw bad("classNames");
  if (v.labelColumn !== undefined && typeof v.labelColumn !== "string") throw bad("labelColumn");
  const numeric = v.numeric as NumericEncoding[];
  const categorical = v.categorical as CategoricalEncoding[];
  const size = numeric.length + numeric.filter((s) => s.missingIndicator).length + categorical.reduce((a, s) => a + s.categories.length, 0);
  if (size !== v.features.length) throw bad(`${v.features.length} feature names for ${size} features`);
  return {
    features: v.features,
    numeric,
    categorical,
    ...(typeof v.labelColumn === "string" ? { labelColumn: v.labelColumn } : {}),
    ...(strings(v.classNames) ? { classNames: v.classNames } : {}),
  };
}

import type { RawTable } from "./raw-table.js";

/** How a feature column is encoded: standardized number, or one-hot levels. */
export type ColumnType = "numeric" | "categorical";

/** A decimal number as tables write them (`3`, `-0.5`, `.5`, `1e-3`); anything else is text. */
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface ColumnTypeOptions {
  /** The class column; it is no feature. */
  readonly labelColumn?: string;
  /** Columns to one-hot encode whatever their values look like (codes such as zip or product ids). */
  readonly categorical?: readonly string[];
  /** Columns that must be numbers (an error names the first value that is not). */
  readonly numeric?: readonly string[];
  /** Columns to leave out, e.g. row ids. */
  readonly ignore?: readonly string[];
}

/** A feature column and its type. */
export interface FeatureColumn {
  readonly column: string;
  /** Its position in the file's columns. */
  readonly index: number;
  readonly type: ColumnType;
}

export interface ColumnTypes {
  /** Feature columns in file order. */
  readonly features: readonly FeatureColumn[];
  /** The label column's position, or -1. */
  readonly labelIndex: number;
  /** Columns left out on the way (missing in every row), one line each. */
  readonly warnings: readonly string[];
}

/**
 * Decides each column's type. An override (`categorical`, `numeric`) wins, then what the file
 * declares (ARFF's numeric and nominal attributes), then the values: a column whose every present
 * value is a number is numeric, any other categorical. A column missing in every row carries
 * nothing and is left out with a warning (standardizing it would divide by zero; as a category it
 * would be one constant slot).
 *
 * Errors name the file, and the line and column of the first offending value.
 */
export function inferColumnTypes(table: RawTable, options: ColumnTypeOptions = {}): ColumnTypes {
  const { file, columns } = table;
  const { labelColumn, categorical = [], numeric = [], ignore = [] } = options;
  const listing = columns.length <= 40 ? `columns are: ${columns.join(", ")}` : `${columns.length} columns, starting ${columns.slice(0, 10).join(", ")}, …`;
  const indexOf = (name: string, role: string): number => {
    const k = columns.indexOf(name);
    if (k < 0) throw new Error(`${file}${table.headerLine > 0 ? `:${table.headerLine}` : ""}: no ${role} column "${name}"; ${listing}`);
    return k;
  };
  const labelIndex = labelColumn === undefined ? -1 : indexOf(labelColumn, "label");
  for (const name of categorical) indexOf(name, "categorical");
  for (const name of numeric) indexOf(name, "numeric");
  for (const name of ignore) indexOf(name, "ignored");
  const asCategorical = new Set(categorical);
  const asNumeric = new Set(numeric);
  const ignored = new Set(ignore);
  for (const name of asNumeric) if (asCategorical.has(name)) throw new Error(`${file}: column "${name}" is given as both numeric and categorical`);
  if (labelColumn !== undefined && (asCategorical.has(labelColumn) || asNumeric.has(labelColumn))) {
    throw new Error(`${file}: "${labelColumn}" is the label column; it cannot also be a ${asCategorical.has(labelColumn) ? "categorical" : "numeric"} feature`);
  }

  const features: FeatureColumn[] = [];
  const warnings: string[] = [];
  columns.forEach((column, index) => {
    if (index === labelIndex || ignored.has(column)) return;
    let present = 0;
    let firstText: { value: string; line: number } | null = null;
    for (const { values, line } of table.rows) {
      const v = values[index];
      if (v === null || v === undefined) continue;
      present++;
      if (firstText === null && !NUMBER.test(v)) firstText = { value: v, line };
    }
    if (present === 0) {
      warnings.push(`${file}: column "${column}" is missing in every row; it is left out`);
      return;
    }
    const declared = table.declared?.[column];
    let type: ColumnType;
    if (asCategorical.has(column)) type = "categorical";
    else if (asNumeric.has(column) || declared?.kind === "numeric") {
      if (firstText !== null) {
        const why = asNumeric.has(column) ? "it is given as numeric" : "the file declares it numeric";
        throw new Error(`${file}:${firstText.line}: column "${column}" has non-numeric value "${firstText.value}"; ${why}`);
      }
      type = "numeric";
    } else if (declared !== undefined) type = "categorical";
    else type = firstText === null ? "numeric" : "categorical";
    features.push({ column, index, type });
  });
  if (features.length === 0) throw new Error(`${file}: no feature columns left (${listing})`);
  return { features, labelIndex, warnings };
}

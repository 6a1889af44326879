/**
 * A table as a file gives it, before any encoding: column names and rows of strings, each row
 * with the line it started on, so every later error can name `file:line` and the column.
 */
export interface RawTable {
  readonly file: string;
  readonly columns: readonly string[];
  /** The line of the header (or of ARFF's first `@attribute`); 0 when the names were given, not read. */
  readonly headerLine: number;
  readonly rows: readonly RawRow[];
  /** What the file itself says a column is (ARFF's `numeric` and `{nominal}` attributes); CSV declares nothing. */
  readonly declared?: Readonly<Record<string, DeclaredType>>;
}

/** One data row: a value per column, null where it is missing. */
export interface RawRow {
  readonly values: readonly (string | null)[];
  readonly line: number;
}

/** A column's type as a file declares it: a nominal attribute lists its levels in the file's order. */
export type DeclaredType = { readonly kind: "numeric" } | { readonly kind: "nominal"; readonly levels: readonly string[] } | { readonly kind: "string" };

/**
 * Values read as missing, as pandas' `read_csv` does by default for the common ones, and ARFF's `?`.
 * An empty field is missing too.
 */
export const MISSING_TOKENS: readonly string[] = ["", "?", "NA", "N/A", "NaN", "nan", "null", "NULL"];

/** Checks names once for every reader: none empty, none twice. */
export function checkColumnNames(file: string, line: number, columns: readonly string[]): void {
  const seen = new Set<string>();
  columns.forEach((name, k) => {
    if (name === "") throw new Error(`${file}:${line}: column ${k + 1} has an empty name`);
    if (seen.has(name)) throw new Error(`${file}:${line}: duplicate column name "${name}"`);
    seen.add(name);
  });
}

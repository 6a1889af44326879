import { readFileSync } from "node:fs";
import { type DeclaredType, type RawRow, type RawTable, checkColumnNames } from "./raw-table.js";
import { type TableDataset, type TableOptions, tableDataset } from "./table-encoding.js";

/**
 * Reads Weka's ARFF format (https://waikato.github.io/weka-wiki/formats_and_processors/arff_stable/)
 * into a raw table: `@attribute` lines give the columns and their declared types (numeric, real
 * and integer are numbers; `{a, b}` is nominal with its levels in the declared order; string is
 * text), `@data` the dense rows, `?` a missing value, `%` a comment line. Values and names may be
 * quoted with `'` or `"` (backslash escapes inside). Sparse rows (`{0 x, 3 y}`), dates and
 * relational attributes are refused with the line that has them.
 */
export function readArffTable(file: string): RawTable {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`${file}: cannot read (${error instanceof Error ? error.message : String(error)})`);
  }
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const columns: string[] = [];
  const declared: Record<string, DeclaredType> = {};
  let headerLine = 0;
  let dataAt = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    const at = i + 1;
    if (line === "" || line.startsWith("%")) continue;
    const keyword = line.split(/\s/, 1)[0]?.toLowerCase();
    if (keyword === "@relation") continue;
    if (keyword === "@data") {
      dataAt = i + 1;
      break;
    }
    if (keyword !== "@attribute") throw new Error(`${file}:${at}: expected @relation, @attribute or @data, got "${line.slice(0, 40)}"`);
    const rest = line.slice("@attribute".length).trim();
    const [name, after] = takeName(rest, file, at);
    const type = parseType(after.trim(), file, at, name);
    if (headerLine === 0) headerLine = at;
    columns.push(name);
    declared[name] = type;
  }
  if (columns.length === 0) throw new Error(`${file}: no @attribute lines; not an ARFF file`);
  if (dataAt < 0) throw new Error(`${file}: no @data section after the ${columns.length} attributes`);
  checkColumnNames(file, headerLine, columns);
  const rows: RawRow[] = [];
  for (let i = dataAt; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    const at = i + 1;
    if (line === "" || line.startsWith("%")) continue;
    if (line.startsWith("{")) throw new Error(`${file}:${at}: sparse ARFF rows ({index value, …}) are not supported; save the data as dense ARFF or CSV`);
    const values = splitValues(line, file, at);
    if (values.length !== columns.length) throw new Error(`${file}:${at}: ragged row: expected ${columns.length} values (one per @attribute), got ${values.length}`);
    rows.push({ values: values.map((v) => (v.quoted || v.text !== "?" ? v.text : null)), line: at });
  }
  if (rows.length === 0) throw new Error(`${file}: no data rows after @data`);
  return { file, columns, headerLine, rows, declared };
}

/** An ARFF file as a dataset of encoded rows (see `tableDataset`); nominal levels and classes keep the declared order. */
export function arffDataset(file: string, options: TableOptions = {}): TableDataset {
  return tableDataset(readArffTable(file), options);
}

/** The attribute's name (quoted or a bare word) and what follows it. */
function takeName(s: string, file: string, line: number): [string, string] {
  const q = s[0];
  if (q === "'" || q === '"') {
    const { text, end } = quoted(s, 0, file, line);
    return [text, s.slice(end)];
  }
  const m = /^(\S+)(.*)$/.exec(s);
  if (m === null) throw new Error(`${file}:${line}: @attribute without a name`);
  return [m[1] as string, m[2] as string];
}

function parseType(s: string, file: string, line: number, name: string): DeclaredType {
  if (s.startsWith("{")) {
    const close = s.lastIndexOf("}");
    if (close < 0) throw new Error(`${file}:${line}: attribute "${name}": nominal levels without a closing "}"`);
    const levels = splitValues(s.slice(1, close), file, line).map((v) => v.text);
    if (levels.length === 0 || levels.some((l) => l === "")) throw new Error(`${file}:${line}: attribute "${name}" has an empty nominal level list or level`);
    return { kind: "nominal", levels };
  }
  const word = s.split(/\s/, 1)[0]?.toLowerCase();
  if (word === "numeric" || word === "real" || word === "integer") return { kind: "numeric" };
  if (word === "string") return { kind: "string" };
  throw new Error(`${file}:${line}: attribute "${name}" has type "${s}"; numeric, real, integer, string and {nominal} attributes are supported`);
}

/** Comma-separated values, each trimmed, quotes removed (a quoted `?` is the text "?", not missing). */
function splitValues(s: string, file: string, line: number): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  let i = 0;
  while (i <= s.length) {
    while (s[i] === " " || s[i] === "\t") i++;
    if (s[i] === "'" || s[i] === '"') {
      const { text, end } = quoted(s, i, file, line);
      out.push({ text, quoted: true });
      i = end;
      while (s[i] === " " || s[i] === "\t") i++;
      if (i < s.length && s[i] !== ",") throw new Error(`${file}:${line}: text after a quoted value at column ${i + 1}`);
    } else {
      let j = s.indexOf(",", i);
      if (j < 0) j = s.length;
      const text = s.slice(i, j).trim();
      if (text === "" && out.length === 0 && j === s.length) return out;
      out.push({ text, quoted: false });
      i = j;
    }
    i++; // past the comma
  }
  return out;
}

/** The quoted string starting at `s[start]`, with `\` escapes, and the index after its closing quote. */
function quoted(s: string, start: number, file: string, line: number): { text: string; end: number } {
  const q = s[start];
  let text = "";
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "\\" && i + 1 < s.length) {
      text += s[++i];
      continue;
    }
    if (c === q) return { text, end: i + 1 };
    text += c;
  }
  throw new Error(`${file}:${line}: unterminated quote starting at column ${start + 1}`);
}

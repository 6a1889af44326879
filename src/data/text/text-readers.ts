import { readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { CsvError, parse } from "csv-parse/sync";
import { fileChunks } from "./text-chunks.js";
import { readTextFile, scanTextFile } from "./text-file.js";
import type { LabeledTexts, TextSource } from "./text-source.js";

/** File extensions read as plain text. */
export const TEXT_EXTENSIONS: readonly string[] = [".txt", ".text", ".md"];

/** Whether a folder holds text (`.txt` files, directly or in class subfolders) rather than images. */
export function isTextFolder(dir: string): boolean {
  const entries = readdirSync(dir, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && TEXT_EXTENSIONS.includes(extname(e.name).toLowerCase()))) return true;
  return entries.some(
    (e) => e.isDirectory() && readdirSync(join(dir, e.name), { withFileTypes: true }).some((f) => f.isFile() && TEXT_EXTENSIONS.includes(extname(f.name).toLowerCase())),
  );
}

/**
 * A `.txt` file as a corpus (for language modelling), read in pieces (it may be larger than
 * memory), with a warning when invalid UTF-8 is replaced.
 */
export function textFileCorpus(path: string): TextSource {
  const { replaced } = scanTextFile(path);
  return { kind: "corpus", name: path, train: fileChunks([path], path), test: null, warnings: replacedWarnings(path, replaced) };
}

/**
 * A folder of text: with class subfolders of `.txt` files, labeled documents (one per file,
 * classes in sorted folder order); with `.txt` files directly in it, one corpus of them all (in
 * sorted order, separated by a blank line). Names sort by code unit, so the order never depends
 * on the locale.
 */
export function textFolder(dir: string): TextSource {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const isText = (name: string) => TEXT_EXTENSIONS.includes(extname(name).toLowerCase());
  const files = entries.filter((e) => e.isFile() && isText(e.name)).map((e) => join(dir, e.name));
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  const warnings: string[] = [];
  if (files.length > 0) {
    if (folders.length > 0) warnings.push(`${dir}: read as one corpus of its ${files.length} .txt files; its subfolders (${folders.join(", ")}) are ignored`);
    for (const f of files) warnings.push(...replacedWarnings(f, scanTextFile(f).replaced));
    return { kind: "corpus", name: dir, train: fileChunks(files, dir), test: null, warnings };
  }
  const texts: string[] = [];
  const labels: number[] = [];
  const classNames: string[] = [];
  for (const folder of folders) {
    const members = readdirSync(join(dir, folder))
      .filter(isText)
      .sort()
      .map((f) => join(dir, folder, f))
      .filter((f) => statSync(f).isFile());
    if (members.length === 0) continue;
    const label = classNames.length;
    classNames.push(folder);
    for (const f of members) {
      const { text, replaced } = readTextFile(f);
      warnings.push(...replacedWarnings(f, replaced));
      texts.push(text);
      labels.push(label);
    }
  }
  if (texts.length === 0) throw new Error(`${dir}: no .txt files, directly or in class subfolders`);
  return { kind: "documents", name: dir, train: { texts, labels: Int32Array.from(labels), classNames }, test: null, warnings };
}

/**
 * JSON Lines of `{"text": "...", "label": ...}` (label optional, a string or number; all lines
 * labeled or none): documents. Errors name `file:line`: a line that is not JSON, without a
 * string `text`, or labeled unlike the others.
 */
export function jsonlDocuments(path: string, options: { textKey?: string; labelKey?: string } = {}): TextSource {
  const { textKey = "text", labelKey = "label" } = options;
  const { text, replaced } = readTextFile(path);
  const texts: string[] = [];
  const rawLabels: (string | number)[] = [];
  let labeled: boolean | null = null;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${path}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${where}: not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where}: expected an object like {"${textKey}": "...", "${labelKey}": ...}`);
    const record = value as Record<string, unknown>;
    const t = record[textKey];
    if (typeof t !== "string") throw new Error(`${where}: no string "${textKey}"${Object.keys(record).length > 0 ? ` (keys: ${Object.keys(record).join(", ")})` : ""}`);
    const label = record[labelKey];
    const has = label !== undefined && label !== null;
    if (labeled === null) labeled = has;
    else if (labeled !== has) throw new Error(`${where}: ${has ? "labeled" : "unlabeled"}, unlike the lines before it`);
    if (has) {
      if (typeof label !== "string" && typeof label !== "number") throw new Error(`${where}: "${labelKey}" must be a string or a number, got ${JSON.stringify(label)}`);
      rawLabels.push(label);
    }
    texts.push(t);
  });
  if (texts.length === 0) throw new Error(`${path}: no JSON lines`);
  return { kind: "documents", name: path, train: withLabels(texts, labeled === true ? rawLabels : null), test: null, warnings: replacedWarnings(path, replaced) };
}

/** A CSV with a header row whose `textColumn` holds the documents and (optionally) `labelColumn` their classes. */
export function csvDocuments(path: string, textColumn: string, labelColumn?: string, delimiter = ","): TextSource {
  const { text, replaced } = readTextFile(path);
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, relax_column_count: false, skip_empty_lines: true, bom: true }) as string[][];
  } catch (error) {
    // NOTE: csv-parse quotes the offending character as it is, a raw line break included: escaped, the message stays one line.
    if (error instanceof CsvError) throw new Error(`${path}:${String(error.lines ?? "?")}: ${error.message.replaceAll("\r", "\\r").replaceAll("\n", "\\n")}`);
    throw error;
  }
  const header = rows[0];
  if (header === undefined || rows.length < 2) throw new Error(`${path}: expected a header row and at least one row`);
  const col = header.indexOf(textColumn);
  if (col < 0) throw new Error(`${path}: no column "${textColumn}" for --text-column; columns are: ${columnList(header)}`);
  const labelCol = labelColumn === undefined ? -1 : header.indexOf(labelColumn);
  if (labelColumn !== undefined && labelCol < 0) throw new Error(`${path}: no label column "${labelColumn}"; columns are: ${columnList(header)}`);
  const body = rows.slice(1);
  const texts = body.map((r) => r[col] as string);
  return {
    kind: "documents",
    name: path,
    train: withLabels(texts, labelCol < 0 ? null : body.map((r) => r[labelCol] as string)),
    test: null,
    warnings: replacedWarnings(path, replaced),
  };
}

/** Column names for a message: as they are, or quoted as JSON when they hold a line break or another control character. */
function columnList(header: readonly string[]): string {
  return header.map((h) => (/[\u0000-\u001f\u007f]/.test(h) ? JSON.stringify(h) : h)).join(", ");
}

/** Documents with label values made into class ids (distinct values sorted: numbers numerically, strings by code unit). */
function withLabels(texts: string[], values: (string | number)[] | null): LabeledTexts {
  if (values === null) return { texts };
  const distinct = [...new Set(values.map(String))];
  const numeric = distinct.every((v) => v.trim() !== "" && Number.isFinite(Number(v)));
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ids = new Map(distinct.map((v, i) => [v, i]));
  return { texts, labels: Int32Array.from(values, (v) => ids.get(String(v)) as number), classNames: distinct };
}

function replacedWarnings(path: string, replaced: number): string[] {
  return replaced === 0 ? [] : [`${path}: ${replaced} invalid UTF-8 sequence${replaced === 1 ? "" : "s"} replaced by U+FFFD`];
}

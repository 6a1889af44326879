import { byCodeUnit, classFolderFiles, listFolder, walkFolder } from "../folder-listing.js";
import { readdirSync, statSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, isAbsolute, join, resolve } from "node:path";
import { CsvError, parse } from "csv-parse/sync";

/** File extensions read as audio clips (case-insensitive); other files are ignored. */
export const AUDIO_EXTENSIONS: readonly string[] = [".wav"];
/** Manifest files: `path,label` rows (CSV or TSV with a header or without), or JSONL `{"path", "label"}` lines. */
export const MANIFEST_EXTENSIONS: readonly string[] = [".csv", ".tsv", ".jsonl"];

/** The clips a folder or manifest names, with their labels when it has them. */
export interface AudioIndex {
  readonly files: readonly string[];
  /** Class ids in `files` order, or null when unlabeled. */
  readonly labels: Int32Array | null;
  readonly classNames: readonly string[] | null;
}

const isAudio = (name: string) => AUDIO_EXTENSIONS.includes(extname(name).toLowerCase());

/**
 * Whether `dir` holds audio clips directly or in its subfolders (searched a few levels deep and
 * a few thousand entries at most, so that asking about a large tree stays quick).
 */
export function isAudioFolder(dir: string): boolean {
  let budget = 5000;
  const search = (folder: string, depth: number): boolean => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return false;
    }
    budget -= entries.length;
    if (entries.some((e) => !e.name.startsWith(".") && (e.isFile() || e.isSymbolicLink()) && isAudio(e.name))) return true;
    if (depth === 0 || budget <= 0) return false;
    return entries.some((e) => !e.name.startsWith(".") && isDirectory(join(folder, e.name)) && search(join(folder, e.name), depth - 1));
  };
  return search(dir, 3);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The clips of `path`: a folder with `.wav` files in it (unlabeled: every clip below it,
 * recursively), a folder of class subfolders only (labels from the sorted folder names, each
 * searched recursively), or a manifest (`MANIFEST_EXTENSIONS`, paths relative to it). Names sort
 * by code unit, so the order does not depend on the locale. Layout errors are one line.
 */
export async function indexAudio(path: string): Promise<AudioIndex> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new Error(`no such file or directory: ${path}`);
  }
  if (!info.isDirectory()) {
    const ext = extname(path).toLowerCase();
    if (MANIFEST_EXTENSIONS.includes(ext)) return readManifest(path, ext);
    if (isAudio(path)) throw new Error(`${path} is a single clip; pass the folder that holds it, or a manifest (.csv, .jsonl) of clips`);
    throw new Error(`${path}: not a folder of ${AUDIO_EXTENSIONS.join(", ")} clips nor a manifest (${MANIFEST_EXTENSIONS.join(", ")})`);
  }
  const { files: clips, folders } = await listFolder(path, AUDIO_EXTENSIONS);
  if (clips.length > 0) return { files: await walkFolder(path, AUDIO_EXTENSIONS), labels: null, classNames: null };
  if (folders.length === 0) throw new Error(`${path}: empty folder: no ${AUDIO_EXTENSIONS.join(", ")} files and no class folders`);
  return classFolderFiles(path, folders, AUDIO_EXTENSIONS, `${AUDIO_EXTENSIONS.join(", ")} files`);
}

/** The rows of a manifest as (path, label or null, line). */
async function readManifest(manifest: string, ext: string): Promise<AudioIndex> {
  const text = await readFile(manifest, "utf8");
  const rows = ext === ".jsonl" ? jsonlRows(manifest, text) : csvRows(manifest, text, ext === ".tsv" ? "\t" : ",");
  if (rows.length === 0) throw new Error(`${manifest}: no clips listed`);
  const labeled = rows.filter((r) => r.label !== null);
  if (labeled.length > 0 && labeled.length < rows.length) {
    const missing = rows.find((r) => r.label === null) as ManifestRow;
    throw new Error(`${manifest}:${missing.line}: no label, while line ${(labeled[0] as ManifestRow).line} has one; label every clip or none`);
  }
  const base = dirname(manifest);
  const files = rows.map((r) => (isAbsolute(r.path) ? r.path : resolve(base, r.path)));
  if (labeled.length === 0) return { files, labels: null, classNames: null };
  const names = [...new Set(rows.map((r) => r.label as string))];
  // numeric labels in numeric order (2 before 10), any others by code unit
  const numeric = names.every((n) => /^-?\d+$/.test(n));
  names.sort(numeric ? (a, b) => Number(a) - Number(b) : byCodeUnit);
  const id = new Map(names.map((n, i) => [n, i]));
  return { files, labels: Int32Array.from(rows, (r) => id.get(r.label as string) as number), classNames: names };
}

interface ManifestRow {
  readonly path: string;
  readonly label: string | null;
  readonly line: number;
}

function jsonlRows(manifest: string, text: string): ManifestRow[] {
  const rows: ManifestRow[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error(`${manifest}:${line}: not JSON`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${manifest}:${line}: not a JSON object {"path": ..., "label": ...}`);
    const path: unknown = Reflect.get(value, "path");
    const label: unknown = Reflect.get(value, "label");
    if (typeof path !== "string" || path === "") throw new Error(`${manifest}:${line}: no "path" string`);
    if (label !== undefined && label !== null && typeof label !== "string" && typeof label !== "number") throw new Error(`${manifest}:${line}: "label" must be a string or a number`);
    rows.push({ path, label: label === undefined || label === null || label === "" ? null : String(label), line });
  });
  return rows;
}

function csvRows(manifest: string, text: string, delimiter: string): ManifestRow[] {
  let records: { record: string[]; line: number }[];
  try {
    // with `info`, csv-parse gives { record, info: { lines } } per row (its types do not say so)
    const parsed: readonly unknown[] = parse(text, { delimiter, skip_empty_lines: true, trim: true, relax_column_count: true, bom: true, info: true });
    records = parsed.map((row, i) => {
      const record: unknown = typeof row === "object" && row !== null ? Reflect.get(row, "record") : undefined;
      const info: unknown = typeof row === "object" && row !== null ? Reflect.get(row, "info") : undefined;
      const lines: unknown = typeof info === "object" && info !== null ? Reflect.get(info, "lines") : undefined;
      return { record: Array.isArray(record) ? record.map(String) : [], line: typeof lines === "number" ? lines : i + 1 };
    });
  } catch (error) {
    if (error instanceof CsvError) throw new Error(`${manifest}:${String(error.lines ?? "?")}: ${error.message.split("\n")[0]}`);
    throw error;
  }
  const first = records[0]?.record.map((cell) => cell.toLowerCase());
  const hasHeader = first?.includes("path") ?? false;
  const pathColumn = hasHeader ? (first as string[]).indexOf("path") : 0;
  const labelColumn = hasHeader ? (first as string[]).indexOf("label") : 1;
  const rows: ManifestRow[] = [];
  records.forEach(({ record, line }, i) => {
    if (hasHeader && i === 0) return;
    const path = record[pathColumn] ?? "";
    if (path === "") throw new Error(`${manifest}:${line}: no path`);
    const label = labelColumn < 0 ? "" : (record[labelColumn] ?? "");
    rows.push({ path, label: label === "" ? null : label, line });
  });
  return rows;
}


import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { stratifiedSplitIndices } from "../split.js";
import { readArffTable } from "./arff.js";
import { readCsvTable } from "./csv.js";
import type { RawTable } from "./raw-table.js";
import { type TableDataset, type TableOptions, tableDataset } from "./table-encoding.js";

/** Where `.ci/run` (and the user, by the commands in `TABLE_BENCHMARKS`) puts the benchmark tables that ship in Debian packages. */
export const TABLE_CACHE_DIR = join(homedir(), ".cache", "pretext", "tables");

/** The held-out share of every class and the split's seed: fixed, so figures compare across runs. */
export const BENCHMARK_TEST_FRACTION = 0.2;
export const BENCHMARK_SPLIT_SEED = 0;

export interface TableBenchmark {
  /** The file's name in the cache folder. */
  readonly file: string;
  readonly labelColumn: string;
  readonly read: (path: string) => RawTable;
  /** How to get the file, for the message when it is missing. */
  readonly install: string;
}

/** UCI's letter-recognition attribute names (letter-recognition.names); the file has no header. */
const LETTER_COLUMNS = ["lettr", "x-box", "y-box", "width", "high", "onpix", "x-bar", "y-bar", "x2bar", "y2bar", "xybar", "x2ybr", "xy2br", "x-ege", "xegvy", "y-ege", "yegvx"];

/** The tables `--data` takes by name. */
export const TABLE_BENCHMARKS: Readonly<Record<string, TableBenchmark>> = {
  // 20,000 rows, 16 integer features, 26 classes (Frey and Slate 1991), in Debian's opencv-doc.
  letter: {
    file: "letter-recognition.data",
    labelColumn: "lettr",
    read: (path) => readCsvTable(path, { columns: LETTER_COLUMNS }),
    install:
      "cd /tmp && apt-get download opencv-doc && dpkg-deb --fsys-tarfile opencv-doc_*.deb | tar -xO ./usr/share/doc/opencv-doc/examples/data/letter-recognition.data > ~/.cache/pretext/tables/letter-recognition.data",
  },
  // 1,000 rows, 7 numeric and 13 categorical features, good/bad credit (Hofmann 1994), in Debian's weka.
  "credit-g": {
    file: "credit-g.arff",
    labelColumn: "class",
    read: readArffTable,
    install: "cd /tmp && apt-get download weka && dpkg-deb --fsys-tarfile weka_*.deb | tar -xO ./usr/share/doc/weka/examples/credit-g.arff > ~/.cache/pretext/tables/credit-g.arff",
  },
};

/** The path of a benchmark's file, or a one-line error saying how to get it. */
export function benchmarkPath(name: string, dir = TABLE_CACHE_DIR): string {
  const b = TABLE_BENCHMARKS[name];
  if (b === undefined) throw new Error(`no table benchmark "${name}"; known: ${Object.keys(TABLE_BENCHMARKS).join(", ")}`);
  const path = join(dir, b.file);
  if (!existsSync(path)) throw new Error(`${path}: not found; fetch it with: mkdir -p ~/.cache/pretext/tables && ${b.install}`);
  return path;
}

/** Whether a benchmark's file is in the cache (tests skip without it). */
export function hasBenchmark(name: string, dir = TABLE_CACHE_DIR): boolean {
  const b = TABLE_BENCHMARKS[name];
  return b !== undefined && existsSync(join(dir, b.file));
}

/**
 * A benchmark with its fixed stratified split (20% of every class held out, seed 0). The encoding
 * (means, deviations, levels) is fitted on the training rows only, and the test rows are encoded
 * with it, as they would be at deployment.
 */
export function benchmarkSplit(name: string, options: Omit<TableOptions, "labelColumn" | "encoding"> = {}, dir = TABLE_CACHE_DIR): { train: TableDataset; test: TableDataset } {
  const b = TABLE_BENCHMARKS[name] as TableBenchmark;
  const table = b.read(benchmarkPath(name, dir));
  return splitTable(table, b.labelColumn, options);
}

/** A raw table split stratified by its label column, encoded with the training part's statistics. */
export function splitTable(table: RawTable, labelColumn: string, options: Omit<TableOptions, "labelColumn" | "encoding"> = {}): { train: TableDataset; test: TableDataset } {
  const all = tableDataset(table, { ...options, labelColumn });
  const labels = all.labels as Int32Array;
  const { train, test } = stratifiedSplitIndices(labels, { testSize: Math.round(BENCHMARK_TEST_FRACTION * labels.length), seed: BENCHMARK_SPLIT_SEED });
  const part = (indices: Int32Array): RawTable => ({ ...table, rows: Array.from(indices, (i) => table.rows[i] as RawTable["rows"][number]) });
  const trainSet = tableDataset(part(train), { ...options, labelColumn });
  return { train: trainSet, test: tableDataset(part(test), { labelColumn, encoding: trainSet.encoding }) };
}

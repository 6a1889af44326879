import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Modality } from "../data/sample.js";
import { writeFileAtomic } from "../io/write-atomic.js";

/** What a store folder is: the manifest names it, and the table holds the items. */
export const STORE_FORMAT = "pretext-index";
export const STORE_MANIFEST = "pretext-index.json";
export const STORE_VERSION = 1;

/** The encoder whose vectors a store holds. Vectors of two encoders are never mixed in one table. */
export interface StoreEncoder {
  /** The run folder it came from, as given. */
  readonly run: string;
  readonly method: string;
  /** The encoder's registry name (small-cnn, text-transformer, audio-cnn, ...). */
  readonly name: string;
  /** SHA-256 of the run's `encoder.safetensors`: the same architecture retrained is another encoder. */
  readonly weightsSha256: string;
  readonly dim: number;
  readonly modality: Modality;
}

/** One split of the data, in id order: ids `firstId .. firstId + length - 1`. */
export interface StoreSplit {
  readonly name: string;
  readonly firstId: number;
  readonly length: number;
}

export interface AnnIndexInfo {
  readonly kind: "ivf_pq";
  /** Rows in the table when it was built (rows added later are searched exactly beside it). */
  readonly rows: number;
  readonly partitions: number;
  readonly subVectors: number;
}

export interface StoreManifest {
  readonly format: typeof STORE_FORMAT;
  readonly version: number;
  readonly encoder: StoreEncoder;
  /** The data spec indexed (`--data`). */
  readonly data: string;
  readonly classNames: readonly string[] | null;
  readonly splits: readonly StoreSplit[];
  /** True once every planned row is in the table. */
  readonly complete: boolean;
  readonly annIndex: AnnIndexInfo | null;
}

export function manifestPath(dir: string): string {
  return join(dir, STORE_MANIFEST);
}

/** The rows a store will hold when complete. */
export function plannedRows(manifest: StoreManifest): number {
  return manifest.splits.reduce((n, s) => n + s.length, 0);
}

/** Reads and checks a store's manifest; an error names the file and what is wrong. */
export function readManifest(dir: string): StoreManifest {
  const path = manifestPath(dir);
  if (!existsSync(dir)) throw new Error(`${dir}: no such folder; make an index with \`pretext index <run> --db ${dir}\``);
  if (!existsSync(path)) throw new Error(`${dir}: not a pretext index (no ${STORE_MANIFEST}); make one with \`pretext index <run> --db <dir>\``);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const m = parsed as Partial<StoreManifest> | null;
  if (m === null || typeof m !== "object" || m.format !== STORE_FORMAT) throw new Error(`${path}: not a ${STORE_FORMAT} manifest (format is not "${STORE_FORMAT}")`);
  if (typeof m.version !== "number" || m.version > STORE_VERSION) {
    throw new Error(`${path}: version ${String(m.version)} is newer than this pretext reads (${STORE_VERSION}); upgrade pretext`);
  }
  const e = m.encoder;
  if (e === undefined || typeof e.weightsSha256 !== "string" || !Number.isInteger(e.dim) || e.dim < 1 || typeof e.modality !== "string") {
    throw new Error(`${path}: field "encoder" needs weightsSha256, dim and modality`);
  }
  if (!Array.isArray(m.splits) || m.splits.some((s) => typeof s?.name !== "string" || !Number.isSafeInteger(s.firstId) || !Number.isSafeInteger(s.length) || s.length < 0)) {
    throw new Error(`${path}: field "splits" must list {name, firstId, length}`);
  }
  if (typeof m.data !== "string" || typeof m.complete !== "boolean") throw new Error(`${path}: fields "data" and "complete" are required`);
  return { format: STORE_FORMAT, version: m.version, encoder: e, data: m.data, classNames: m.classNames ?? null, splits: m.splits, complete: m.complete, annIndex: m.annIndex ?? null };
}

export async function writeManifest(dir: string, manifest: StoreManifest): Promise<void> {
  await writeFileAtomic(manifestPath(dir), `${JSON.stringify(manifest, null, 2)}\n`);
}

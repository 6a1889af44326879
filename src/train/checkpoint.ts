import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { type NamedTensor, type StoredTensor, decodeSafetensors, encodeSafetensors } from "./safetensors.js";

/**
 * Checkpoints: `checkpoint-<step>.safetensors` holds the tensors (parameters, state buffers,
 * optimizer state) under their dotted paths; `checkpoint-<step>.json` holds everything else
 * (config, step, epoch, RNG state, loader position) and names the tensors file with its size and
 * SHA-256; `latest.json` points at the newest one. Every file is written to a temporary file in the
 * same directory, fsynced and renamed into place, and the JSON after the tensors, so a reader that
 * follows the JSON never sees half a checkpoint. One writer per directory is assumed.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface CheckpointData {
  /** Tensors by dotted path (`encoder.conv1.weight`, `optimizer.m.encoder.conv1.weight`, ...). */
  readonly tensors: ReadonlyMap<string, NamedTensor>;
  /** Anything else needed to resume, as JSON: config, epoch, RNG state, optimizer name, loader position. */
  readonly metadata: JsonValue;
}

export interface SaveCheckpointOptions {
  /** The training step, which names the files. */
  readonly step: number;
  /** How many checkpoints to keep: this one and the newest earlier ones; the rest are deleted after it is saved. */
  readonly keep?: number;
}

export interface LoadedCheckpoint {
  readonly step: number;
  readonly tensors: Map<string, StoredTensor>;
  readonly metadata: JsonValue;
  /** The checkpoint's JSON file. */
  readonly path: string;
  /** Problems met on the way, e.g. a corrupt latest checkpoint that was skipped for an older one. */
  readonly warnings: string[];
}

export interface LoadCheckpointOptions {
  /** Called with each warning as it happens (the result also lists them). */
  readonly onWarning?: (message: string) => void;
}

/** The JSON file of a checkpoint. */
interface CheckpointManifest {
  readonly format: typeof FORMAT;
  readonly step: number;
  readonly tensors: { readonly file: string; readonly bytes: number; readonly sha256: string };
  readonly metadata: JsonValue;
}

/** A checkpoint that cannot be loaded or does not fit the model resumed; the message names the file. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

const FORMAT = "pretext-checkpoint-1";
const LATEST = "latest.json";
const NAME = /^checkpoint-(\d+)\.(json|safetensors)$/;
const TEMP = /^\.checkpoint-.*\.tmp$|^\.latest\.json\..*\.tmp$/;

const baseName = (step: number) => `checkpoint-${step}`;

/** Writes a checkpoint atomically and returns the path of its JSON file. */
export async function saveCheckpoint(dir: string, data: CheckpointData, options: SaveCheckpointOptions): Promise<string> {
  const { step, keep = 2 } = options;
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`checkpoint step must be a non-negative integer, got ${step}`);
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`checkpoint keep must be a positive integer, got ${keep}`);
  let metadataJson: string;
  try {
    metadataJson = JSON.stringify(data.metadata);
  } catch (e) {
    throw new Error(`checkpoint metadata is not JSON-serializable: ${(e as Error).message}`);
  }
  await mkdir(dir, { recursive: true });
  await removeTempFiles(dir);

  const base = baseName(step);
  const tensorBytes = encodeSafetensors(data.tensors, { format: FORMAT, step: String(step) });
  await writeAtomic(dir, `${base}.safetensors`, tensorBytes);

  const manifest: CheckpointManifest = {
    format: FORMAT,
    step,
    tensors: { file: `${base}.safetensors`, bytes: tensorBytes.byteLength, sha256: sha256(tensorBytes) },
    metadata: JSON.parse(metadataJson) as JsonValue,
  };
  await writeAtomic(dir, `${base}.json`, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  await writeAtomic(dir, LATEST, new TextEncoder().encode(`${JSON.stringify({ checkpoint: `${base}.json`, step }, null, 2)}\n`));
  await pruneCheckpoints(dir, step, keep);
  return join(dir, `${base}.json`);
}

/**
 * Loads the checkpoint `latest.json` points at, checking the tensors file's size and hash. When it
 * is missing or corrupt, falls back to the newest other checkpoint that loads, and says so in
 * `warnings`. Returns null when the directory holds no checkpoint; throws, naming each file and
 * its problem, when checkpoints exist but none loads.
 */
export async function loadLatestCheckpoint(dir: string, options: LoadCheckpointOptions = {}): Promise<LoadedCheckpoint | null> {
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const steps = names
    .map((n) => NAME.exec(n))
    .flatMap((m) => (m?.[2] === "json" ? [Number(m[1])] : []))
    .sort((a, b) => b - a);

  let pointed: string | null = null;
  if (names.includes(LATEST)) {
    const latestPath = join(dir, LATEST);
    try {
      const latest = JSON.parse(await readFile(latestPath, "utf8")) as { checkpoint?: unknown };
      if (typeof latest.checkpoint !== "string" || !NAME.test(latest.checkpoint)) throw new Error(`"checkpoint" is not a checkpoint file name`);
      pointed = latest.checkpoint;
    } catch (e) {
      warn(`${latestPath} is unreadable (${(e as Error).message}); looking for the newest checkpoint instead`);
    }
  }
  const candidates = [...(pointed ? [pointed] : []), ...steps.map((s) => `${baseName(s)}.json`).filter((n) => n !== pointed)];
  if (candidates.length === 0) return null;

  const problems: string[] = [];
  for (const [i, name] of candidates.entries()) {
    const path = join(dir, name);
    try {
      const loaded = await readCheckpoint(path);
      if (i > 0) warn(`loaded the older checkpoint ${path} instead`);
      return { ...loaded, warnings };
    } catch (e) {
      const message = (e as Error).message;
      problems.push(message);
      warn(`skipping corrupt checkpoint: ${message}`);
    }
  }
  throw new CheckpointError(`no loadable checkpoint in ${dir}: ${problems.join("; ")}`);
}

/** Loads one checkpoint from its JSON file, verifying the tensors file; errors name the file at fault. */
export async function readCheckpoint(jsonPath: string): Promise<Omit<LoadedCheckpoint, "warnings">> {
  let text: string;
  try {
    text = await readFile(jsonPath, "utf8");
  } catch (e) {
    throw new CheckpointError(`${jsonPath}: cannot read checkpoint (${(e as Error).message})`);
  }
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(text) as CheckpointManifest;
  } catch (e) {
    throw new CheckpointError(`${jsonPath}: checkpoint JSON is corrupt (${(e as Error).message})`);
  }
  const t = manifest?.tensors;
  if (manifest?.format !== FORMAT || !Number.isSafeInteger(manifest.step) || typeof t?.file !== "string" || typeof t.sha256 !== "string" || !Number.isSafeInteger(t.bytes)) {
    throw new CheckpointError(`${jsonPath}: not a ${FORMAT} manifest (needs format, step and tensors {file, bytes, sha256})`);
  }
  if (t.file.includes("/") || t.file.includes("\\")) throw new CheckpointError(`${jsonPath}: tensors file "${t.file}" must be in the same directory`);
  const tensorsPath = join(jsonPath, "..", t.file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(tensorsPath);
  } catch (e) {
    throw new CheckpointError(`${tensorsPath}: tensors file of ${jsonPath} is missing or unreadable (${(e as Error).message})`);
  }
  if (bytes.byteLength !== t.bytes) throw new CheckpointError(`${tensorsPath}: has ${bytes.byteLength} bytes, ${jsonPath} says ${t.bytes} (truncated or overwritten?)`);
  const hash = sha256(bytes);
  if (hash !== t.sha256) throw new CheckpointError(`${tensorsPath}: SHA-256 ${hash} does not match ${t.sha256} recorded in ${jsonPath} (corrupt?)`);
  const { tensors } = decodeSafetensors(bytes, tensorsPath);
  return { step: manifest.step, tensors, metadata: manifest.metadata, path: jsonPath };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Write to a temp file in `dir`, fsync it, rename it over `name`, fsync the directory. */
async function writeAtomic(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dir, `.${name}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  const file = await open(temp, "w");
  try {
    await file.writeFile(bytes);
    await file.sync();
  } catch (e) {
    // A full disk fails here: the partial temp file goes, so it holds no space the user must find.
    await file.close();
    await rm(temp, { force: true });
    throw e;
  }
  await file.close();
  try {
    await rename(temp, join(dir, name));
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  await syncDirectory(dir);
}

/** Makes a rename durable. NOTE: directories cannot be opened for fsync on Windows; the rename is still atomic there. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // best effort, see above
  } finally {
    await handle?.close();
  }
}

/** Temp files left by a writer that crashed mid-save. */
async function removeTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (TEMP.test(name)) await rm(join(dir, name), { force: true });
}

/**
 * Keeps the checkpoint just written and the `keep - 1` newest complete ones before it. Everything
 * else goes, including checkpoints of later steps: they belong to a run that was abandoned when
 * training resumed from an earlier one (or fell back past a corrupt one), and would otherwise be
 * mistaken for the newest.
 */
async function pruneCheckpoints(dir: string, current: number, keep: number): Promise<void> {
  const files = new Map<number, Set<string>>();
  for (const name of await readdir(dir)) {
    const m = NAME.exec(name);
    if (!m) continue;
    const step = Number(m[1]);
    files.set(step, (files.get(step) ?? new Set()).add(m[2] as string));
  }
  const earlier = [...files].filter(([s, kinds]) => s < current && kinds.has("json")).map(([s]) => s).sort((a, b) => b - a);
  const kept = new Set([current, ...earlier.slice(0, keep - 1)]);
  for (const [step, kinds] of files) {
    if (kept.has(step)) continue;
    // JSON first: a reader never finds a manifest whose tensors were already removed.
    if (kinds.has("json")) await rm(join(dir, `${baseName(step)}.json`), { force: true });
    if (kinds.has("safetensors")) await rm(join(dir, `${baseName(step)}.safetensors`), { force: true });
  }
}

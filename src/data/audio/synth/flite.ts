import { readFile } from "node:fs/promises";
import { ENGINE_ENTRIES, type FliteParams, type PackageLoader, type Synthesized, type Synthesizer, resolveEngineFile } from "./engine.js";
import { readPcm16 } from "./pcm16.js";
import { runWasiInMemory } from "./wasi-memory.js";

/** The folder flite sees as its output folder (in memory). */
const OUT_DIR = "/out";

/**
 * flite, compiled to WASI, run as its command line once per utterance:
 * `flite -voice slt --setf duration_stretch=1.1 --setf f0_shift=0.95 -t seven /out/u.wav`.
 * A fresh instance per utterance (9 ms of the 11–18 an utterance takes) keeps every utterance
 * independent of the ones before it. `duration_stretch` acts on all five voices; `f0_shift` on all
 * but `rms` (so does `int_f0_target_mean`, which needs each voice's own mean).
 */
export class FliteSynthesizer implements Synthesizer<FliteParams> {
  readonly #module: WebAssembly.Module;

  private constructor(module: WebAssembly.Module) {
    this.#module = module;
  }

  static async load(loader: PackageLoader): Promise<FliteSynthesizer> {
    const path = resolveEngineFile(loader, "flite", ENGINE_ENTRIES.flite.specifier);
    return new FliteSynthesizer(await WebAssembly.compile(await readFile(path)));
  }

  synthesize(word: string, params: FliteParams): Synthesized {
    const output = `${OUT_DIR}/u.wav`;
    const args = ["flite", "-voice", params.voice, "--setf", `duration_stretch=${params.durationStretch}`, "--setf", `f0_shift=${params.f0Shift}`, "-t", word, output];
    const run = runWasiInMemory(this.#module, args, OUT_DIR);
    const what = `flite "${word}" (voice ${params.voice})`;
    if (run.exitCode !== 0) throw new Error(`${what} exited with code ${run.exitCode}: ${run.stderr.trim().split("\n")[0] ?? ""}`);
    const wav = run.files.get("u.wav");
    if (wav === undefined) throw new Error(`${what} wrote no WAV file`);
    return readPcm16(wav, what);
  }
}

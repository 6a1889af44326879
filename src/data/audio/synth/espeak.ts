import { ENGINE_ENTRIES, type EspeakParams, type PackageLoader, type Synthesized, type Synthesizer, concatSamples, importEngineModule, member } from "./engine.js";

/** The parts of the Emscripten module and of its `eSpeakNGWorker` that pretext calls. */
interface EspeakModule {
  readonly eSpeakNGWorker: new () => unknown;
  readonly HEAPU8: Uint8Array;
  readonly FS: { readdir(path: string): string[] };
}

interface EspeakWorker {
  set_voice(name: string): number;
  set_rate(wordsPerMinute: number): void;
  set_pitch(pitch: number): void;
  set_range(range: number): void;
  get_samplerate(): number;
  synthesize(text: string, callback: (samples: Int16Array | null) => boolean): void;
}

const VARIANTS_DIR = "/usr/share/espeak-ng-data/voices/!v";

function isEspeakModule(m: unknown): m is EspeakModule {
  return typeof m === "object" && m !== null && "eSpeakNGWorker" in m && typeof m.eSpeakNGWorker === "function" && "HEAPU8" in m && m.HEAPU8 instanceof Uint8Array && "FS" in m;
}

function isEspeakWorker(w: unknown): w is EspeakWorker {
  if (typeof w !== "object" || w === null) return false;
  return ["set_voice", "set_rate", "set_pitch", "set_range", "get_samplerate", "synthesize"].every((k) => k in w && typeof member(w, k, "eSpeakNGWorker") === "function");
}

/**
 * espeak-ng keeps state from one utterance to the next in its C statics (the pitch flutter's
 * phase, the echo buffer, the gain control, its random generator for breath noise): the same
 * word with the same settings comes out a few samples longer or shorter depending on what was
 * said before. An utterance is made a pure function of its parameters by restoring the module's
 * whole linear memory (17 MB, ~0.7 ms) to a snapshot taken right after its voice was loaded;
 * loading a voice costs more (~1.5 ms), so one snapshot per voice is kept while that voice repeats.
 * NOTE: every synthesis starts from a restored snapshot taken before any synthesis: after such a
 * restore one synthesis is fine, but a second one without a restore crashed inside espeak-ng (a
 * part of its state lives outside the linear memory). Its random seed is fixed too (`withFrozenClock`).
 */
export class EspeakSynthesizer implements Synthesizer<EspeakParams> {
  readonly #module: EspeakModule;
  readonly #worker: EspeakWorker;
  readonly #initial: Uint8Array;
  readonly #variants: ReadonlySet<string>;
  readonly #sampleRate: number;
  #voice: string | null = null;
  #voiceSnapshot: Uint8Array | null = null;

  private constructor(module: EspeakModule, worker: EspeakWorker) {
    this.#module = module;
    this.#worker = worker;
    this.#initial = module.HEAPU8.slice();
    this.#variants = new Set(module.FS.readdir(VARIANTS_DIR));
    this.#sampleRate = worker.get_samplerate();
  }

  static async load(loader: PackageLoader): Promise<EspeakSynthesizer> {
    const pkg = ENGINE_ENTRIES["espeak-ng"].specifier;
    const factory = member(await importEngineModule(loader, "espeak-ng", pkg), "default", pkg);
    if (typeof factory !== "function") throw new Error(`${pkg}: its default export is not the module factory`);
    const module: unknown = await factory();
    if (!isEspeakModule(module)) throw new Error(`${pkg}: the module lacks eSpeakNGWorker, HEAPU8 or FS`);
    const worker = withFrozenClock(() => new module.eSpeakNGWorker());
    if (!isEspeakWorker(worker)) throw new Error(`${pkg}: eSpeakNGWorker lacks set_voice, set_rate, set_pitch, set_range or synthesize`);
    return new EspeakSynthesizer(module, worker);
  }

  synthesize(word: string, params: EspeakParams): Synthesized {
    if (params.voice !== this.#voice || this.#voiceSnapshot === null) {
      this.#restore(this.#initial);
      this.#setVoice(params.voice);
      this.#voice = params.voice;
      // Copied into the last snapshot's buffer when the sizes match: a fresh 17 MB array took 6–15 ms.
      const heap = this.#module.HEAPU8;
      if (this.#voiceSnapshot?.length === heap.length) this.#voiceSnapshot.set(heap);
      else this.#voiceSnapshot = heap.slice();
    } else {
      this.#restore(this.#voiceSnapshot);
    }
    this.#worker.set_rate(params.rate);
    this.#worker.set_pitch(params.pitch);
    this.#worker.set_range(params.range);
    const chunks: Int16Array[] = [];
    this.#worker.synthesize(word, (samples) => {
      if (samples !== null && samples.length > 0) chunks.push(samples);
      return false; // true would stop the synthesis
    });
    return { samples: concatSamples(chunks), sampleRate: this.#sampleRate };
  }

  #setVoice(voice: string): void {
    // NOTE: espeak-ng ignores an unknown variant silently, so variants are checked against its data.
    const variant = voice.includes("+") ? voice.slice(voice.indexOf("+") + 1) : null;
    if (variant !== null && !this.#variants.has(variant)) throw new Error(`espeak-ng has no voice variant "${variant}" (voice ${voice})`);
    if (this.#worker.set_voice(voice) !== 0) throw new Error(`espeak-ng has no voice "${voice}"`);
  }

  #restore(snapshot: Uint8Array): void {
    // The heap view is re-read: it is replaced whenever the memory grows.
    const heap = this.#module.HEAPU8;
    heap.set(snapshot);
    if (heap.length > snapshot.length) heap.fill(0, snapshot.length);
  }
}

/**
 * Runs `f` with `Date.now()` fixed at 0. NOTE: espeak-ng seeds the generator of its breath noise
 * (voices such as f2, f3, whisperf) from `time(NULL)` when the worker is constructed, so the same
 * utterance came out differently from one process or thread to the next; the constructor is
 * synchronous, so no other code sees the frozen clock.
 */
function withFrozenClock<T>(f: () => T): T {
  const now = Date.now;
  Date.now = () => 0;
  try {
    return f();
  } finally {
    Date.now = now;
  }
}

import { ENGINE_ENTRIES, type GnuspeechParams, type PackageLoader, type Synthesized, type Synthesizer, importEngineModule, member } from "./engine.js";
import { readPcm16 } from "./pcm16.js";

import { POOL_WORDS } from "./words.js";

/** The parts of the Emscripten module pretext calls (the package's `synthesize` hides the settings it needs). */
interface GnuspeechModule {
  readonly HEAPU8: Uint8Array;
  readonly FS: { readFile(path: string): Uint8Array; writeFile(path: string, data: string | Uint8Array): void };
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _GnuSpeech_synthesizeToFile(text: number, wavPath: number, configDir: number, paramsPath: number, debug: number): void;
}

function isGnuspeechModule(m: unknown): m is GnuspeechModule {
  return (
    typeof m === "object" &&
    m !== null &&
    "HEAPU8" in m &&
    m.HEAPU8 instanceof Uint8Array &&
    "FS" in m &&
    ["_malloc", "_free", "_GnuSpeech_synthesizeToFile"].every((k) => typeof member(m, k, "gnuspeech module") === "function")
  );
}

const CONFIG_DIR = "/data/en";
const CONTROL_FILE = `${CONFIG_DIR}/trm_control_model.txt`;
const FULL_DICTIONARY = "MainDictionary.txt";
const WORDS_DICTIONARY = "pretext-words.txt";
const WAV_PATH = "/pretext-out.wav";
const PARAMS_PATH = "/pretext-out-params.txt";

/**
 * gnuspeech (articulatory synthesis, a tube model of the vocal tract), called through its
 * Emscripten module directly so that the control model's settings can be written:
 * - `random_intonation = 0`. NOTE: its random intonation draws from `std::random_device`
 *   (WASI `random_get`), so the same word came out differently on every call; with it off an
 *   utterance is a pure function of its settings (checked: same bytes whatever was said before).
 * - `pitch_offset`, a pitch shift in semitones the package's `synthesize` does not expose.
 * - a dictionary of the words in use instead of the 74,000-entry one: gnuspeech parses its
 *   dictionary on every call, 35 of the 45 ms an utterance took. A word that is a headword comes
 *   out the same from either (checked on all 300 pool words); other words use the full one.
 */
export class GnuspeechSynthesizer implements Synthesizer<GnuspeechParams> {
  readonly #module: GnuspeechModule;
  readonly #control: string;
  /** Headword → its dictionary lines, for the words the small dictionary can take. */
  readonly #entries: Map<string, string[]>;
  readonly #header: string;
  readonly #inSmall = new Set<string>();

  private constructor(module: GnuspeechModule) {
    this.#module = module;
    const text = (path: string) => new TextDecoder().decode(module.FS.readFile(path));
    this.#control = text(CONTROL_FILE);
    const lines = text(`${CONFIG_DIR}/${FULL_DICTIONARY}`).split("\n");
    this.#header = lines[0] ?? "";
    this.#entries = new Map();
    for (const line of lines.slice(1)) {
      const head = line.split(/[ \t]/, 1)[0] ?? "";
      if (head === "") continue;
      const list = this.#entries.get(head);
      if (list === undefined) this.#entries.set(head, [line]);
      else list.push(line);
    }
    this.#addToSmallDictionary(POOL_WORDS);
  }

  static async load(loader: PackageLoader): Promise<GnuspeechSynthesizer> {
    const specifier = ENGINE_ENTRIES.gnuspeech.specifier;
    const initializer = member(await importEngineModule(loader, "gnuspeech", specifier), "default", specifier);
    if (typeof initializer !== "function") throw new Error(`${specifier}: its default export is not the module factory`);
    const module: unknown = await initializer();
    if (!isGnuspeechModule(module)) throw new Error(`${specifier}: the module lacks FS, _malloc or _GnuSpeech_synthesizeToFile`);
    return new GnuspeechSynthesizer(module);
  }

  synthesize(word: string, params: GnuspeechParams): Synthesized {
    const key = word.toLowerCase();
    if (!this.#inSmall.has(key) && this.#entries.has(key)) this.#addToSmallDictionary([key]);
    const settings: Record<string, string> = {
      voice_name: params.voice,
      tempo: params.tempo.toFixed(4),
      pitch_offset: params.pitchOffset.toFixed(4),
      random_intonation: "0",
      dictionary_3_file: this.#inSmall.has(key) ? WORDS_DICTIONARY : FULL_DICTIONARY,
    };
    const m = this.#module;
    m.FS.writeFile(CONTROL_FILE, withSettings(this.#control, settings));
    const strings = [word, WAV_PATH, CONFIG_DIR, PARAMS_PATH].map((s) => this.#cString(s));
    try {
      m._GnuSpeech_synthesizeToFile(strings[0] as number, strings[1] as number, strings[2] as number, strings[3] as number, 0);
    } finally {
      for (const p of strings) m._free(p);
    }
    return readPcm16(m.FS.readFile(WAV_PATH), `gnuspeech "${word}"`);
  }

  #addToSmallDictionary(words: readonly string[]): void {
    for (const w of words) if (this.#entries.has(w)) this.#inSmall.add(w);
    const lines = [this.#header];
    for (const w of [...this.#inSmall].sort()) lines.push(...(this.#entries.get(w) ?? []));
    this.#module.FS.writeFile(`${CONFIG_DIR}/${WORDS_DICTIONARY}`, `${lines.join("\n")}\n`);
  }

  #cString(s: string): number {
    const bytes = new TextEncoder().encode(`${s}\0`);
    const pointer = this.#module._malloc(bytes.length);
    this.#module.HEAPU8.set(bytes, pointer);
    return pointer;
  }
}

/** The control model's text with `key = value` lines replaced (each key must be there once). */
function withSettings(config: string, settings: Readonly<Record<string, string>>): string {
  let out = config;
  for (const [key, value] of Object.entries(settings)) {
    const line = new RegExp(`^${key} = .*$`, "m");
    if (!line.test(out)) throw new Error(`gnuspeech's control model has no "${key}" setting`);
    out = out.replace(line, `${key} = ${value}`);
  }
  return out;
}

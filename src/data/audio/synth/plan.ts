import { Rng } from "../../../random/rng.js";
import type { EngineRequest, EspeakParams, FliteParams, GnuspeechParams } from "./engine.js";
import type { NoiseSpec } from "./finish.js";
import {
  ESPEAK_ACCENTS,
  ESPEAK_HELDOUT_VARIANTS,
  ESPEAK_POOL_VARIANTS,
  ESPEAK_TRAIN_VARIANTS,
  type EngineName,
  FLITE_VOICES,
  type FliteVoice,
  GNUSPEECH_VOICES,
  type GnuspeechVoice,
  VOICE_TASK_ESPEAK,
  espeakVoice,
} from "./voices.js";
import { KEYWORD_VOCABULARIES, type KeywordVocabulary, POOL_WORDS } from "./words.js";

/** One file to make: the engine call, what is done to its output, and where it goes. */
export type UtteranceSpec = EngineRequest & {
  /** Relative to the output folder, `/`-separated: `train/seven/seven-espeak-ng-en-us+f1-3.wav`. */
  readonly path: string;
  readonly split: string;
  /** The class folder's name (a word or a voice); null in the unlabeled pool. */
  readonly label: string | null;
  readonly word: string;
  /** The engine's voice as in the file name: `en-us+f1`, `slt`, `female`. */
  readonly voice: string;
  readonly peakDbfs: number;
  readonly noise: NoiseSpec | null;
};

export type SynthTask = "keywords" | "voices";

/** Everything a run makes, a pure function of its seed and options. */
export interface SynthPlan {
  readonly task: SynthTask;
  readonly seed: number;
  /** The options that decide the files (a folder made with other ones is refused). */
  readonly options: Readonly<Record<string, string | number>>;
  readonly utterances: readonly UtteranceSpec[];
}

type Range = readonly [number, number];

/** Parameter ranges of the random draws, around each engine's defaults. */
export interface DrawRanges {
  /** Words a minute (default 175), pitch and pitch range (0–99, default 50). */
  readonly espeak: { readonly rate: Range; readonly pitch: Range; readonly range: Range };
  /** Tempo (1 = default) and pitch offset (semitones, default −4). */
  readonly gnuspeech: { readonly tempo: Range; readonly pitchOffset: Range };
  /** Duration stretch and pitch factor (1 = default). */
  readonly flite: { readonly durationStretch: Range; readonly f0Shift: Range };
}

/**
 * The keyword task's draws: wide, for many speakers out of few engines; rates of ±25% around
 * espeak's default and ±4 semitones around gnuspeech's pitch stay intelligible.
 */
export const KEYWORD_DRAWS: DrawRanges = {
  espeak: { rate: [120, 220], pitch: [20, 80], range: [20, 80] },
  gnuspeech: { tempo: [0.8, 1.25], pitchOffset: [-8, 0] },
  flite: { durationStretch: [0.85, 1.25], f0Shift: [0.85, 1.2] },
};

/** The voice task's draws: small jitter around each voice's defaults, so that a voice stays itself. */
export const VOICE_DRAWS: DrawRanges = {
  espeak: { rate: [160, 190], pitch: [45, 55], range: [45, 55] },
  gnuspeech: { tempo: [0.9, 1.1], pitchOffset: [-5, -3] },
  flite: { durationStretch: [0.9, 1.1], f0Shift: [0.95, 1.05] },
};

/** Peak levels of the normalized utterances, dB below full scale. */
export const PEAK_DBFS: Range = [-12, -1];

/** The pool's mix: half gnuspeech, half espeak-ng; half with white noise at 10–40 dB SNR. */
export const POOL_MIX = { gnuspeechFraction: 0.5, noiseFraction: 0.5, snrDb: [10, 40] as Range } as const;

export interface KeywordsOptions {
  readonly seed: number;
  /** Unlabeled utterances in `pool/`. */
  readonly pool: number;
  /** Labeled espeak-ng utterances per word in `train/` (8 accents × 4 draws by default). */
  readonly perWord: number;
  /** Utterances per word in `test/` (flite) and in `test-espeak-heldout/`. */
  readonly testPerWord: number;
  readonly words: KeywordVocabulary;
}

export const KEYWORDS_DEFAULTS: KeywordsOptions = { seed: 0, pool: 4000, perWord: 32, testPerWord: 16, words: "digits" };

export interface VoicesOptions {
  readonly seed: number;
  /** Words each voice says in `train/`. */
  readonly trainWords: number;
  /** Other words each voice says in `test/`. */
  readonly testWords: number;
}

export const VOICES_DEFAULTS: VoicesOptions = { seed: 0, trainWords: 20, testWords: 10 };

/**
 * The keyword task: `pool/` (espeak-ng and gnuspeech, unlabeled, all 300 words), `train/<word>/`
 * (espeak-ng: the accents in turn, training variants), `test/<word>/` (flite, an engine no other
 * split uses: the holdout) and `test-espeak-heldout/<word>/` (espeak-ng variants kept out of
 * train and pool). Each part draws from its own generator, so `--pool` does not move the others.
 */
export function keywordsPlan(options: Partial<KeywordsOptions> = {}): SynthPlan {
  const o: KeywordsOptions = { ...KEYWORDS_DEFAULTS, ...options };
  checkCount(o.pool, "pool", 0);
  checkCount(o.perWord, "perWord", 1);
  checkCount(o.testPerWord, "testPerWord", 1);
  checkSeed(o.seed);
  const words = KEYWORD_VOCABULARIES[o.words];
  if (words === undefined) throw new Error(`keywordsPlan: words must be one of ${Object.keys(KEYWORD_VOCABULARIES).join(", ")}, got "${String(o.words)}"`);
  const root = new Rng(o.seed);
  const [poolRng, trainRng, testRng, heldoutRng] = [root.split(), root.split(), root.split(), root.split()];
  const d = KEYWORD_DRAWS;
  const utterances: UtteranceSpec[] = [];

  let order = poolRng.permutation(POOL_WORDS.length);
  for (let i = 0; i < o.pool; i++) {
    // Every word as often as the others: a new shuffle of the 300 for each round.
    if (i > 0 && i % POOL_WORDS.length === 0) order = poolRng.permutation(POOL_WORDS.length);
    const word = POOL_WORDS[order[i % POOL_WORDS.length] as number] as string;
    const request =
      poolRng.uniform() < POOL_MIX.gnuspeechFraction
        ? gnuspeechDraw(poolRng, pick(poolRng, GNUSPEECH_VOICES), d)
        : espeakDraw(poolRng, espeakVoice(pick(poolRng, ESPEAK_ACCENTS), pick(poolRng, ESPEAK_POOL_VARIANTS)), d);
    const noise = poolRng.uniform() < POOL_MIX.noiseFraction ? { snrDb: drawIn(poolRng, POOL_MIX.snrDb, 2), seed: poolRng.nextUint32() } : null;
    utterances.push(utterance(request, { split: "pool", label: null, word, k: i, peakDbfs: drawIn(poolRng, PEAK_DBFS, 2), noise }));
  }
  for (const word of words) {
    for (let k = 0; k < o.perWord; k++) {
      const voice = espeakVoice(ESPEAK_ACCENTS[k % ESPEAK_ACCENTS.length] as string, pick(trainRng, ESPEAK_TRAIN_VARIANTS));
      utterances.push(utterance(espeakDraw(trainRng, voice, d), { split: "train", label: word, word, k, peakDbfs: drawIn(trainRng, PEAK_DBFS, 2), noise: null }));
    }
  }
  for (const word of words) {
    for (let k = 0; k < o.testPerWord; k++) {
      const request = fliteDraw(testRng, FLITE_VOICES[k % FLITE_VOICES.length] as FliteVoice, d);
      utterances.push(utterance(request, { split: "test", label: word, word, k, peakDbfs: drawIn(testRng, PEAK_DBFS, 2), noise: null }));
    }
  }
  for (const word of words) {
    for (let k = 0; k < o.testPerWord; k++) {
      const voice = espeakVoice(ESPEAK_ACCENTS[k % ESPEAK_ACCENTS.length] as string, pick(heldoutRng, ESPEAK_HELDOUT_VARIANTS));
      utterances.push(utterance(espeakDraw(heldoutRng, voice, d), { split: "test-espeak-heldout", label: word, word, k, peakDbfs: drawIn(heldoutRng, PEAK_DBFS, 2), noise: null }));
    }
  }
  return { task: "keywords", seed: o.seed, options: { pool: o.pool, perWord: o.perWord, testPerWord: o.testPerWord, words: o.words }, utterances };
}

/**
 * The voice task: 30 voices (20 espeak-ng accent × variant pairs, gnuspeech's 5, flite's 5), each
 * saying `trainWords` words in `train/<voice>/` and `testWords` other words in `test/<voice>/`.
 * The two word sets are the same for every voice and disjoint, so a probe must recognise the
 * voice, not the word.
 */
export function voicesPlan(options: Partial<VoicesOptions> = {}): SynthPlan {
  const o: VoicesOptions = { ...VOICES_DEFAULTS, ...options };
  checkCount(o.trainWords, "trainWords", 1);
  checkCount(o.testWords, "testWords", 1);
  checkSeed(o.seed);
  if (o.trainWords + o.testWords > POOL_WORDS.length) throw new Error(`voicesPlan: trainWords + testWords must be at most ${POOL_WORDS.length}, got ${o.trainWords + o.testWords}`);
  const rng = new Rng(o.seed);
  const order = [...rng.permutation(POOL_WORDS.length)].map((i) => POOL_WORDS[i] as string);
  const splits = [
    { split: "train", words: order.slice(0, o.trainWords) },
    { split: "test", words: order.slice(o.trainWords, o.trainWords + o.testWords) },
  ];
  const voices: { engine: EngineName; voice: string }[] = [
    ...VOICE_TASK_ESPEAK.map((voice) => ({ engine: "espeak-ng" as const, voice })),
    ...GNUSPEECH_VOICES.map((voice) => ({ engine: "gnuspeech" as const, voice })),
    ...FLITE_VOICES.map((voice) => ({ engine: "flite" as const, voice })),
  ];
  const d = VOICE_DRAWS;
  const utterances: UtteranceSpec[] = [];
  for (const { split, words } of splits) {
    for (const v of voices) {
      for (const word of words) {
        const request =
          v.engine === "espeak-ng"
            ? espeakDraw(rng, v.voice, d)
            : v.engine === "gnuspeech"
              ? gnuspeechDraw(rng, v.voice as GnuspeechVoice, d)
              : fliteDraw(rng, v.voice as FliteVoice, d);
        utterances.push(utterance(request, { split, label: `${v.engine}-${v.voice}`, word, k: 0, peakDbfs: drawIn(rng, PEAK_DBFS, 2), noise: null }));
      }
    }
  }
  return { task: "voices", seed: o.seed, options: { trainWords: o.trainWords, testWords: o.testWords }, utterances };
}

/** The file name every split uses: `<word>-<engine>-<voice>-<k>.wav`. */
export function utteranceFileName(word: string, engine: EngineName, voice: string, k: number): string {
  return `${word}-${engine}-${voice}-${k}.wav`;
}

interface Placement {
  readonly split: string;
  readonly label: string | null;
  readonly word: string;
  readonly k: number;
  readonly peakDbfs: number;
  readonly noise: NoiseSpec | null;
}

function utterance(request: EngineRequest, p: Placement): UtteranceSpec {
  const voice = request.params.voice;
  const name = utteranceFileName(p.word, request.engine, voice, p.k);
  const path = p.label === null ? `${p.split}/${name}` : `${p.split}/${p.label}/${name}`;
  return { ...request, path, split: p.split, label: p.label, word: p.word, voice, peakDbfs: p.peakDbfs, noise: p.noise };
}

function espeakDraw(rng: Rng, voice: string, d: DrawRanges): EngineRequest {
  const params: EspeakParams = { voice, rate: drawInt(rng, d.espeak.rate), pitch: drawInt(rng, d.espeak.pitch), range: drawInt(rng, d.espeak.range) };
  return { engine: "espeak-ng", params };
}

function gnuspeechDraw(rng: Rng, voice: GnuspeechVoice, d: DrawRanges): EngineRequest {
  const params: GnuspeechParams = { voice, tempo: drawIn(rng, d.gnuspeech.tempo, 3), pitchOffset: drawIn(rng, d.gnuspeech.pitchOffset, 2) };
  return { engine: "gnuspeech", params };
}

function fliteDraw(rng: Rng, voice: FliteVoice, d: DrawRanges): EngineRequest {
  const params: FliteParams = { voice, durationStretch: drawIn(rng, d.flite.durationStretch, 3), f0Shift: drawIn(rng, d.flite.f0Shift, 3) };
  return { engine: "flite", params };
}

/** Uniform in the range, rounded to `digits` decimals: the manifest then says exactly what was used. */
function drawIn(rng: Rng, [low, high]: Range, digits: number): number {
  return Number(rng.uniformIn(low, high).toFixed(digits));
}

/** A uniform integer in [low, high]. */
function drawInt(rng: Rng, [low, high]: Range): number {
  return low + rng.int(high - low + 1);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)] as T;
}

function checkCount(n: number, name: string, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${n}`);
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be an integer ≥ 0, got ${seed}`);
}

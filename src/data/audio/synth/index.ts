/**
 * Speech made offline by three synthesizers (espeak-ng, flite, gnuspeech; devDependencies,
 * imported only when used): seeded plans of utterances, and a cached generator that writes them
 * as WAV files with a manifest. `pretext synth keywords|voices` is the command-line face.
 */
export { type EngineRequest, type EspeakParams, type FliteParams, type GnuspeechParams, type PackageLoader, SynthSetupError, defaultPackageLoader } from "./engine.js";
export { type NoiseSpec, TRIM, addNoise, finishUtterance, peakNormalize, trimSilence } from "./finish.js";
export { type EngineTiming, type GenerateOptions, type GenerateSummary, generateSynthData } from "./generate.js";
export { MANIFEST_FILE, MANIFEST_FORMAT, type ManifestEntry, type SynthManifest, readManifest, utteranceKey } from "./manifest.js";
export {
  KEYWORDS_DEFAULTS,
  KEYWORD_DRAWS,
  type KeywordsOptions,
  PEAK_DBFS,
  POOL_MIX,
  type SynthPlan,
  type SynthTask,
  type UtteranceSpec,
  VOICES_DEFAULTS,
  VOICE_DRAWS,
  type VoicesOptions,
  keywordsPlan,
  utteranceFileName,
  voicesPlan,
} from "./plan.js";
export { type RenderedUtterance, Synthesizers, renderUtterance } from "./render.js";
export { ENGINES, ENGINE_NAMES, type EngineInfo, type EngineName, LICENCE_NOTE } from "./voices.js";
export { COMMAND_WORDS, DIGIT_WORDS, KEYWORD_VOCABULARIES, type KeywordVocabulary, POOL_WORDS } from "./words.js";

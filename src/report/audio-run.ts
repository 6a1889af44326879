import { readFile } from "node:fs/promises";
import { basename, isAbsolute, join, resolve } from "node:path";
import { type AudioFeatures, checkFeatures } from "../data/audio/audio-features.js";
import { ENGINE_NAMES } from "../data/audio/synth/voices.js";
import { finite, isRecord, isStringArray } from "./json.js";

/**
 * What an audio run's folder adds for the report: `audio.json` (the features, written by
 * pretraining; its presence makes the run an audio run), and from `pretext eval`: `clips.json`
 * (the test clips' files, aligned with `embeddings.safetensors`), `audio-examples.json` (nearest
 * neighbours of a few test clips, and the clips of the per-class strip) and
 * `class-spectrograms.png`. The side files are read leniently: a damaged one is a warning.
 */

/** A test clip: its file and its class name (null without labels). */
export interface AudioClipRef {
  readonly path: string;
  readonly label: string | null;
}

/** A query clip and its closest test clips by cosine similarity, closest first. */
export interface AudioNeighbours {
  readonly query: AudioClipRef;
  readonly neighbours: readonly (AudioClipRef & { readonly similarity: number })[];
}

/** `audio-examples.json`; either list may be empty. */
export interface AudioExamples {
  readonly neighbours: readonly AudioNeighbours[];
  /** The clips of `class-spectrograms.png`, in its order (left to right, then down). */
  readonly classes: readonly AudioClipRef[];
}

/** The side files of an audio run, each null when absent or unusable (with a warning saying why). */
export interface AudioRunFiles {
  /** `audio.json`'s features; null when it is absent (not an audio run) or damaged. */
  readonly features: AudioFeatures | null;
  readonly hasAudioJson: boolean;
  /** `clips.json`, each path absolute (a relative one is taken from the run folder). */
  readonly clips: readonly string[] | null;
  readonly examples: AudioExamples | null;
  readonly classStripPng: Uint8Array | null;
  readonly warnings: string[];
}

/** Paths in the side files are written absolute; a relative one (a moved or hand-made folder) is taken from the run folder. */
const fromRun = (dir: string, path: string): string => (isAbsolute(path) ? path : resolve(dir, path));

function clipRef(v: unknown, dir: string): AudioClipRef | null {
  if (!isRecord(v) || typeof v.path !== "string") return null;
  const label = typeof v.label === "string" ? v.label : typeof v.label === "number" && Number.isFinite(v.label) ? String(v.label) : null;
  return { path: fromRun(dir, v.path), label };
}

function neighboursEntry(v: unknown, dir: string): AudioNeighbours | null {
  const query = isRecord(v) ? clipRef(v.query, dir) : null;
  if (!isRecord(v) || query === null) return null;
  const neighbours = (Array.isArray(v.neighbours) ? v.neighbours : []).flatMap((n: unknown) => {
    const clip = clipRef(n, dir);
    const similarity = isRecord(n) ? finite(n.similarity) : null;
    return clip === null || similarity === null ? [] : [{ ...clip, similarity }];
  });
  return { query, neighbours };
}

/** Parses `audio-examples.json`'s contents; entries of the wrong shape are dropped and counted in the warnings. */
export function parseAudioExamples(value: unknown, dir: string, source = "audio-examples.json"): { examples: AudioExamples; warnings: string[] } {
  if (!isRecord(value)) return { examples: { neighbours: [], classes: [] }, warnings: [`${source}: expected a JSON object with "neighbours" and "classes"; not shown`] };
  const warnings: string[] = [];
  const list = <T>(key: string, parse: (v: unknown, dir: string) => T | null): T[] => {
    const raw = value[key];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) {
      warnings.push(`${source}: "${key}" is not a list; not shown`);
      return [];
    }
    const parsed = raw.map((v) => parse(v, dir));
    const bad = parsed.filter((x) => x === null).length;
    if (bad > 0) warnings.push(`${source}: skipped ${bad} of ${raw.length} "${key}" entries of the wrong shape`);
    return parsed.filter((x): x is T => x !== null);
  };
  return { examples: { neighbours: list("neighbours", neighboursEntry), classes: list("classes", clipRef) }, warnings };
}

async function readOptional(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function parseJson(bytes: Buffer | null, name: string, warnings: string[]): unknown {
  if (bytes === null) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    warnings.push(`${name}: not valid JSON (${(e as Error).message}); not shown`);
    return undefined;
  }
}

/** `audio.json`'s `features`, checked field by field. */
function featuresOf(v: unknown): AudioFeatures {
  if (!isRecord(v)) throw new Error("no features object");
  const number = (key: string): number => {
    const x = finite(v[key]);
    if (x === null) throw new Error(`features.${key} is not a number`);
    return x;
  };
  const melScale = v.melScale;
  if (melScale !== "htk" && melScale !== "slaney") throw new Error(`features.melScale is ${JSON.stringify(melScale)}, not "htk" or "slaney"`);
  return checkFeatures({
    sampleRate: number("sampleRate"),
    nFft: number("nFft"),
    winLength: number("winLength"),
    hopLength: number("hopLength"),
    mels: number("mels"),
    fMin: number("fMin"),
    fMax: number("fMax"),
    melScale,
    logEpsilon: number("logEpsilon"),
    clipSeconds: number("clipSeconds"),
  });
}

/** Reads an audio run's side files; `n` is the number of embeddings (null without them). */
export async function readAudioFiles(dir: string, n: number | null): Promise<AudioRunFiles> {
  const warnings: string[] = [];
  const audioBytes = await readOptional(join(dir, "audio.json"));
  let features: AudioFeatures | null = null;
  const audio = parseJson(audioBytes, "audio.json", warnings);
  if (audio !== undefined) {
    try {
      features = featuresOf(isRecord(audio) ? audio.features : undefined);
    } catch (e) {
      warnings.push(`audio.json: ${(e as Error).message}; clips are embedded at 16 kHz, 1 s`);
    }
  }
  const rawClips = parseJson(await readOptional(join(dir, "clips.json")), "clips.json", warnings);
  let clips: string[] | null = null;
  if (rawClips !== undefined) {
    if (!isStringArray(rawClips)) warnings.push("clips.json: expected a JSON array of file paths; not used");
    else if (n !== null && rawClips.length !== n) warnings.push(`clips.json: ${rawClips.length} clips for ${n} embeddings; not used`);
    else clips = rawClips.map((p) => fromRun(dir, p));
  }
  const rawExamples = parseJson(await readOptional(join(dir, "audio-examples.json")), "audio-examples.json", warnings);
  let examples: AudioExamples | null = null;
  if (rawExamples !== undefined) {
    const parsed = parseAudioExamples(rawExamples, dir);
    examples = parsed.examples;
    warnings.push(...parsed.warnings);
  }
  const strip = await readOptional(join(dir, "class-spectrograms.png"));
  return { features, hasAudioJson: audioBytes !== null, clips, examples, classStripPng: strip === null ? null : new Uint8Array(strip), warnings };
}

// NOTE: the engine is what separates word from voice, since a voice may itself hold hyphens
// (espeak-ng's `en-gb-scotland+Andy`); the word is the shortest prefix before one.
const SYNTH_NAME = new RegExp(`^(.+?)-(${ENGINE_NAMES.map((e) => e.replace(/-/g, "\\-")).join("|")})-(.+)-(\\d+)\\.wav$`, "i");

/** What a synthesized clip's file name says, or null for a file named otherwise. */
export interface SynthClipName {
  readonly word: string;
  readonly engine: string;
  readonly voice: string;
}

/** Parses `<word>-<engine>-<voice>-<k>.wav`, the name `pretext synth` gives every clip (`utteranceFileName`). */
export function synthClipName(path: string): SynthClipName | null {
  const m = SYNTH_NAME.exec(basename(path));
  if (m === null) return null;
  return { word: m[1] as string, engine: (m[2] as string).toLowerCase(), voice: m[3] as string };
}

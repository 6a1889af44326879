import { basename } from "node:path";
import type { AudioFeatures } from "../data/audio/audio-features.js";
import { AudioFileError } from "../data/audio/wav.js";
import { clipDataUrl } from "./audio-clips.js";
import { type AudioNeighbours, type SynthClipName, synthClipName } from "./audio-run.js";
import { type CardSpec, chartBox, escapeHtml, note, renderCard } from "./html-util.js";
import type { ChartData } from "./model.js";
import type { EmbeddingMap } from "./projection.js";
import { nearestNeighbours, pickQueries } from "./retrieval.js";
import type { RunData } from "./run.js";

/** A clip as the page shows it: a player when its audio is embedded, else a note saying why not. */
export interface AudioClipView {
  readonly path: string;
  readonly label: string | null;
  /** A `data:audio/wav` URL, or null (then `note` says why). */
  readonly src: string | null;
  readonly note: string | null;
}

/** What an audio run's report shows besides the charts, already computed. */
export interface AudioView {
  readonly neighbours: readonly { readonly query: AudioClipView; readonly neighbours: readonly (AudioClipView & { readonly similarity: number })[] }[];
  /** Where the neighbours come from, or null when there are none. */
  readonly neighboursSource: string | null;
  /** Lines about clips that are not in the page (unreadable files, the cap), shown above the neighbours. */
  readonly notes: readonly string[];
  /** The clips put in the page, their WAV bytes (before base64), and the most allowed. */
  readonly embedded: { readonly clips: number; readonly bytes: number; readonly cap: number };
  /** `class-spectrograms.png` as a data URL with the class of each tile, or null. */
  readonly classStrip: { readonly src: string; readonly labels: readonly string[] } | null;
  readonly features: AudioFeatures | null;
  readonly hasEmbeddings: boolean;
}

export interface AudioViewOptions {
  readonly seed: number;
  /** Query clips and neighbours per query when the report finds them itself (no `audio-examples.json`). */
  readonly queries: number;
  readonly neighbours: number;
  /** At most this many clips are embedded as audio (a clip shown twice counts twice). */
  readonly maxClips: number;
}

/** The nearest neighbours to show: `audio-examples.json`'s, else found here from the embeddings and `clips.json`. */
function neighbourRefs(run: RunData, options: AudioViewOptions): { list: readonly AudioNeighbours[]; source: string | null } {
  const given = run.audio?.examples?.neighbours ?? [];
  if (given.length > 0) return { list: given, source: "audio-examples.json" };
  const set = run.embeddings;
  const clips = run.audio?.clips ?? null;
  if (set === null || clips === null || set.n < 2) return { list: [], source: null };
  const ref = (i: number) => ({ path: clips[i] as string, label: set.classNames?.[set.labels[i] ?? 0] ?? String(set.labels[i] ?? 0) });
  const found = nearestNeighbours(set, pickQueries(set.labels, options.queries, options.seed), options.neighbours);
  const list = found.map((r) => ({ query: ref(r.query), neighbours: r.neighbours.map((n) => ({ ...ref(n.index), similarity: n.similarity })) }));
  return { list, source: "embeddings.safetensors and clips.json" };
}

/** What an audio run's report shows besides the charts: neighbours with their clips embedded (up to the cap), the per-class strip. */
export async function buildAudioView(run: RunData, options: AudioViewOptions): Promise<AudioView> {
  const features = run.audio?.features ?? null;
  const { list, source } = neighbourRefs(run, options);
  // A clip shown twice (a query that is another query's neighbour) is read once.
  const read = new Map<string, Awaited<ReturnType<typeof clipDataUrl>> | { readonly reason: string }>();
  const failed: string[] = [];
  let clips = 0;
  let bytes = 0;
  let capped = 0;
  const clip = async (ref: { path: string; label: string | null }): Promise<AudioClipView> => {
    if (clips >= options.maxClips) {
      capped++;
      return { ...ref, src: null, note: `not embedded: the report holds at most ${options.maxClips} clips` };
    }
    let c = read.get(ref.path);
    if (c === undefined) {
      try {
        c = await clipDataUrl(ref.path, features?.clipSeconds ?? 1);
      } catch (e) {
        c = { reason: e instanceof AudioFileError ? e.reason : e instanceof Error ? e.message : String(e) };
        failed.push(`${basename(ref.path)} (${c.reason})`);
      }
      read.set(ref.path, c);
    }
    if ("reason" in c) return { ...ref, src: null, note: c.reason };
    clips++;
    bytes += c.bytes;
    return { ...ref, src: c.src, note: null };
  };
  const neighbours = [];
  for (const r of list) {
    const query = await clip(r.query);
    const near = [];
    for (const n of r.neighbours) near.push({ ...(await clip(n)), similarity: n.similarity });
    neighbours.push({ query, neighbours: near });
  }
  const notes: string[] = [];
  if (failed.length > 0) notes.push(`${failed.length} clip${failed.length === 1 ? "" : "s"} could not be read, so ${failed.length === 1 ? "it is" : "they are"} not playable: ${failed.slice(0, 3).join("; ")}${failed.length > 3 ? `; and ${failed.length - 3} more` : ""}.`);
  if (capped > 0) notes.push(`${capped} more clips are listed without audio: the report embeds at most ${options.maxClips}, to stay small.`);
  const strip = run.audio?.classStripPng ?? null;
  const stripLabels = (run.audio?.examples?.classes ?? []).map((c) => c.label ?? basename(c.path));
  return {
    neighbours,
    neighboursSource: source,
    notes,
    embedded: { clips, bytes, cap: options.maxClips },
    classStrip: strip === null ? null : { src: `data:image/png;base64,${Buffer.from(strip).toString("base64")}`, labels: stripLabels },
    features,
    hasEmbeddings: run.embeddings !== null,
  };
}

/** Above this many voices the second map is coloured by engine or accent, so its legend stays readable. */
const MAX_VOICE_GROUPS = 24;

/** What the second map's colours are. */
export type SecondaryColouring = "word" | "voice" | "accent" | "engine";

/**
 * The embedding map coloured by what the clips' file names say besides their label
 * (`<word>-<engine>-<voice>-<k>.wav`): by voice for a keyword task, by word when the labels are
 * the voices (each label one voice). Beyond `MAX_VOICE_GROUPS` voices: by engine when there are
 * several, else by accent (espeak-ng's voices are `accent+variant`, `en-gb-scotland+Andy`) when
 * that gives fewer groups. Null when some mapped clip is not named so, or there would be one colour.
 */
export function secondaryMap(map: EmbeddingMap, labels: Int32Array, clips: readonly string[]): ChartData["voiceMap"] {
  const parsed = Array.from(map.indices, (i) => synthClipName(clips[i] ?? ""));
  if (parsed.length === 0) return null;
  const names: SynthClipName[] = [];
  for (const n of parsed) {
    if (n === null) return null;
    names.push(n);
  }
  // The engine names a voice only when there are several engines: legends truncate long names.
  const engine = new Set(names.map((n) => n.engine)).size > 1 ? (n: SynthClipName) => `${n.engine} ` : () => "";
  const keys: Record<SecondaryColouring, (n: SynthClipName) => string> = {
    word: (n) => n.word,
    voice: (n) => `${engine(n)}${n.voice}`,
    accent: (n) => `${engine(n)}${n.voice.split("+")[0] ?? n.voice}`,
    engine: (n) => n.engine,
  };
  const count = (by: SecondaryColouring) => new Set(names.map(keys[by])).size;
  const voicesOfLabel = new Map<number, Set<string>>();
  names.forEach((n, k) => {
    const y = labels[map.indices[k] ?? 0] ?? 0;
    voicesOfLabel.set(y, (voicesOfLabel.get(y) ?? new Set()).add(keys.voice(n)));
  });
  const labelsAreVoices = [...voicesOfLabel.values()].every((s) => s.size === 1);
  let by: SecondaryColouring = labelsAreVoices ? "word" : "voice";
  if (by === "voice" && count("voice") > MAX_VOICE_GROUPS) by = count("engine") > 1 ? "engine" : count("accent") < count("voice") ? "accent" : "voice";
  const groups = new Map<string, { xy: number[]; texts: string[] }>();
  names.forEach((n, k) => {
    const key = keys[by](n);
    const group = groups.get(key) ?? { xy: [], texts: [] };
    // Four significant digits, as the first map's.
    group.xy.push(+(map.xy[k * 2] ?? 0).toPrecision(4), +(map.xy[k * 2 + 1] ?? 0).toPrecision(4));
    group.texts.push(basename(clips[map.indices[k] ?? 0] ?? ""));
    groups.set(key, group);
  });
  if (groups.size < 2) return null;
  const classes = [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, g], label) => ({ label, name, ...g }));
  return { method: map.method, by, classes };
}

export const AUDIO_CSS = `
.clip-notes { margin: 0 0 10px; padding: 0; list-style: none; color: var(--muted); font-size: 12.5px; }
.clip-list { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 18px 28px; }
.clip-q, .clips li { display: grid; grid-template-columns: 40px 70px minmax(170px, 240px) minmax(0, 1fr); gap: 8px; align-items: center; }
.clip-q { border-left: 3px solid var(--accent); padding: 2px 0 2px 8px; margin-bottom: 6px; }
.clip-q .sim { visibility: hidden; }
.clips { list-style: none; margin: 0; padding: 0 0 0 13px; display: grid; gap: 4px; }
.clips li { border-left: 3px solid var(--line); padding-left: 8px; }
.clips li.same { border-left-color: var(--good); }
.clips li.other { border-left-color: var(--bad); }
.clip-label { font-size: 11px; font-weight: 600; border-radius: 10px; padding: 0 8px; background: #e8ebf0; color: #3d4452; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; justify-self: start; max-width: 100%; }
.clips li.same .clip-label { background: #e1f0dc; color: #2f6b27; }
.clips li.other .clip-label { background: #fbe3e3; color: #9b2c2e; }
.sim { color: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; text-align: right; }
audio { width: 100%; height: 30px; display: block; }
.clip-missing { color: var(--muted); font-size: 11.5px; font-style: italic; }
.clip-file { color: var(--muted); font-size: 11.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.strip img { width: 100%; image-rendering: pixelated; border-radius: 6px; display: block; }
.strip p { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
`;

function clipRow(c: AudioClipView, similarity: number | null, mark: string): string {
  const player = c.src !== null ? `<audio controls preload="metadata" src="${c.src}"></audio>` : `<span class="clip-missing">${escapeHtml(c.note ?? "no audio")}</span>`;
  const label = c.label === null ? "<span></span>" : `<span class="clip-label" title="${escapeHtml(c.label)}">${escapeHtml(c.label)}</span>`;
  // Three digits: a briefly trained encoder puts most clips above 0.99.
  const sim = `<span class="sim">${similarity === null ? "" : similarity.toFixed(3)}</span>`;
  const file = `<span class="clip-file" title="${escapeHtml(c.path)}">${escapeHtml(basename(c.path))}</span>`;
  return mark === "query" ? `<div class="clip-q">${sim}${label}${player}${file}</div>` : `<li class="${mark}">${sim}${label}${player}${file}</li>`;
}

function neighboursBlock(view: AudioView): string {
  const items = view.neighbours.map((r) => {
    const rows = r.neighbours.map((n) => clipRow(n, n.similarity, r.query.label === null || n.label === null ? "" : n.label === r.query.label ? "same" : "other"));
    return `<div class="clip-nn">${clipRow(r.query, null, "query")}<ol class="clips">${rows.join("")}</ol></div>`;
  });
  const notes = view.notes.length === 0 ? "" : `<ul class="clip-notes">${view.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`;
  return `${notes}<div class="clip-list">${items.join("")}</div>`;
}

const kilobytes = (bytes: number): string => `${Math.round(bytes / 1024).toLocaleString("en-US")} kB`;

/** An audio run's cards, in rows of one or two (a row left with one card spans the page). */
export function audioCards(view: AudioView, charts: ChartData, common: Readonly<Record<"training" | "collapse" | "accuracy" | "map" | "evals", CardSpec>>, viewsDataUrl: string | null): string[] {
  const f = view.features;
  const points = charts.map?.classes.reduce((s, k) => s + k.xy.length / 2, 0) ?? 0;
  const accuracy: CardSpec = {
    ...common.accuracy,
    what: "Test accuracy of probes trained on few labels, for this method and the baselines: the random encoder, MFCC statistics (mean and std of 13 MFCCs, Δ, ΔΔ) and MFCC + DTW 1-nearest neighbour (solid: linear probe, dashed: k-NN and 1-NN; bars: ± sd over label draws).",
  };
  const map: CardSpec = charts.map === null ? common.map : { ...common.map, title: common.map.title.replace("Test embeddings", "Test clips by label"), what: `${points} test clips' embeddings, L2-normalized and mapped to 2-D (seeded), coloured by label (the class folder). Hover a point for its file.` };
  const second = charts.voiceMap ?? null;
  const voiceMap: CardSpec | null =
    second === null
      ? null
      : {
          title: `${map.title.replace("by label", `by ${second.by}`)}`,
          what: `The same map, coloured by the ${second.by} in each clip's file name (<code>&lt;word&gt;-&lt;engine&gt;-&lt;voice&gt;-&lt;k&gt;.wav</code>): ${second.by === "word" ? "clusters by word would mean the embedding hears what is said more than who says it" : `clusters by ${second.by} rather than by label mean the embedding hears who speaks more than what is said`}.`,
          body: chartBox("chart-map-voice", true),
        };
  const shape = f === null ? "" : ` ${f.mels}-band log-mel spectrograms of ${f.clipSeconds} s at ${f.sampleRate / 1000} kHz (time →, frequency ↑).`;
  const views: CardSpec = {
    title: "Spectrogram views",
    what: `Each row: a training clip, then the views the method made of it, as it saw them.${shape}`,
    body: viewsDataUrl === null ? note("No views.png in this run (write one with `pretext views`).") : `<div class="views"><img src="${viewsDataUrl}" alt="spectrogram views"></div>`,
  };
  const e = view.embedded;
  const neighbours: CardSpec = {
    title: "Nearest neighbours, to listen to",
    what: `Query test clips (blue) and their closest test clips by cosine similarity of embeddings, closest first; green: same label, red: different.${view.neighboursSource === null ? "" : ` From ${escapeHtml(view.neighboursSource)}.`}${e.clips > 0 ? ` The clips are in the page as 16 kHz 16-bit WAV (${e.clips} clips, ${kilobytes(e.bytes)}; at most ${e.cap}).` : ""}`,
    body:
      view.neighbours.length > 0
        ? neighboursBlock(view)
        : note(view.hasEmbeddings ? "No neighbours: no audio-examples.json, and no clips.json beside embeddings.safetensors (run `pretext eval` with --test-data)." : "No neighbours: no embeddings.safetensors (run `pretext eval`)."),
  };
  const strip = view.classStrip;
  const classes: CardSpec | null =
    strip === null
      ? null
      : {
          title: "One test clip per class",
          what: "The log-mel spectrogram of the first test clip of each class, each drawn with its own range.",
          body: `<div class="strip"><img src="${strip.src}" alt="one spectrogram per class">${strip.labels.length > 0 ? `<p>Left to right, then down: ${strip.labels.map(escapeHtml).join(" · ")}</p>` : ""}</div>`,
        };
  const rows: (CardSpec | null)[][] = [[common.training, common.collapse], [accuracy, views], [map, voiceMap], [neighbours], [classes], [common.evals]];
  return rows.flatMap((row) => {
    const present = row.filter((c): c is CardSpec => c !== null);
    return present.map((c) => renderCard(c, present.length === 1));
  });
}

import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeWav } from "../../src/data/audio/wav.js";
import { buildReportPage, renderReport, synthClipName, writeReport } from "../../src/report/index.js";
import { secondaryMap } from "../../src/report/audio-view.js";
import { CLIP_COUNT, LONG_CLIP, VOICES, WORDS, testClip, writeAudioRun } from "./audio-run-fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`audio report test: ${CHROMIUM} is missing, so the browser check is skipped; install it with \`apt-get install -y chromium\``);

const AUDIO_SRC = /<audio controls preload="metadata" src="data:audio\/wav;base64,([A-Za-z0-9+/=]+)"><\/audio>/g;
const audioSources = (html: string): string[] => [...html.matchAll(AUDIO_SRC)].map((m) => m[1] as string);

let root = "";
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pretext-audio-report-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("synthesized clips' file names", () => {
  it("split into word, engine and voice, hyphens in the voice included; other names are not synth names", () => {
    expect(synthClipName("/x/test/zero/zero-espeak-ng-en-gb-scotland+Andy-3.wav")).toEqual({ word: "zero", engine: "espeak-ng", voice: "en-gb-scotland+Andy" });
    expect(synthClipName("seven-flite-kal16-11.wav")).toEqual({ word: "seven", engine: "flite", voice: "kal16" });
    expect(synthClipName("star-gnuspeech-large_child-0.wav")).toEqual({ word: "star", engine: "gnuspeech", voice: "large_child" });
    expect(synthClipName("recording-001.wav")).toBeNull();
    expect(synthClipName("zero-flite-awb.wav")).toBeNull();
  });

  it("colour the second map by voice, by word when the labels are the voices, by accent past 24 voices of one engine", () => {
    const n = 60;
    const map = { method: "pca" as const, indices: Int32Array.from({ length: n }, (_, i) => i), xy: Float32Array.from({ length: 2 * n }, (_, i) => i) };
    const words = Int32Array.from({ length: n }, (_, i) => i % 3);
    const twoVoices = Array.from({ length: n }, (_, i) => `w${i % 3}-flite-${i % 2 === 0 ? "awb" : "slt"}-${i}.wav`);
    expect(secondaryMap(map, words, twoVoices)).toMatchObject({ by: "voice", classes: [{ name: "awb" }, { name: "slt" }] });
    // Each label one voice (the voice identification task): coloured by word instead.
    expect(secondaryMap(map, Int32Array.from({ length: n }, (_, i) => i % 2), twoVoices)?.by).toBe("word");
    const manyVoices = Array.from({ length: n }, (_, i) => `w${i % 3}-espeak-ng-en-${i % 2 === 0 ? "us" : "gb"}+v${i % 30}-${i}.wav`);
    const accents = secondaryMap(map, words, manyVoices);
    expect(accents?.by).toBe("accent");
    expect(accents?.classes.map((c) => c.name)).toEqual(["en-gb", "en-us"]);
    expect(accents?.classes.reduce((s, c) => s + c.xy.length / 2, 0)).toBe(n);
    expect(secondaryMap(map, words, [...twoVoices.slice(1), "not-a-synth-name.wav"])).toBeNull();
  });
});

describe("an audio run's report", () => {
  it("embeds the neighbours as playable 16 kHz WAVs, shows the mfcc and dtw baselines and colours a second map by voice", async () => {
    const dir = join(root, "full");
    const paths = await writeAudioRun(dir);
    const page = await buildReportPage(dir);
    expect(page.audio).not.toBeNull();
    expect(page.retrieval).toEqual([]);
    expect(page.summary).toEqual(expect.arrayContaining([{ label: "clips / s", value: "122" }, { label: "features", value: "64-band log-mel · 1 s at 16 kHz" }]));
    const audio = page.audio;
    expect(audio?.neighbours).toHaveLength(5);
    expect(audio?.embedded).toMatchObject({ clips: 30, cap: 30 });
    expect(audio?.notes).toEqual([]);
    expect(page.charts.voiceMap?.by).toBe("voice");
    expect(page.charts.voiceMap?.classes.map((c) => c.name)).toEqual(VOICES.map(([e, v]) => `${e} ${v}`).sort());
    expect(page.charts.map?.classes.map((c) => c.name)).toEqual([...WORDS]);
    // Tooltips name the files.
    expect(page.charts.map?.classes[0]?.texts?.[0]).toBe(testClip(0).name);

    const html = renderReport(page);
    const sources = audioSources(html);
    expect(sources).toHaveLength(30);
    const queryPath = audio?.neighbours[0]?.query.path ?? "";
    const query = decodeWav(Buffer.from(sources[0] ?? "", "base64"), "query");
    expect(query).toMatchObject({ sampleRate: 16_000, channels: 1, bitDepth: 16, format: "pcm" });
    expect(query.samples[0]?.length).toBe(basename(queryPath) === testClip(LONG_CLIP).name ? 16_000 : 4000);
    // Every clip of the page is a 0.25 s clip at 16 kHz, except the long one, cut to its loudest second.
    const lengths = new Set(sources.map((s) => decodeWav(Buffer.from(s, "base64"), "clip").samples[0]?.length));
    for (const l of lengths) expect([4000, 16_000]).toContain(l);
    expect(html).toContain('alt="one spectrogram per class"');
    expect(html).toContain(`Left to right, then down: ${WORDS.join(" · ")}`);
    expect(html).toContain('<canvas id="chart-map-voice"');
    // The baselines' rows, marked as baselines (not bold like the method's).
    expect(html).toMatch(/<tr class="baseline"><td>linear<\/td><td>MFCC statistics<\/td><td class="num">1<\/td><td class="num">25\.0%<\/td>/);
    expect(html).toMatch(/<tr class="baseline"><td>1nn<\/td><td>MFCC \+ DTW<\/td><td class="num">5<\/td><td class="num">57\.0%<\/td>/);
    expect(html).toMatch(/<tr class="method"><td>linear<\/td><td>byol-a<\/td><td class="num">5<\/td><td class="num">81\.0%<\/td>/);
    expect(paths).toHaveLength(CLIP_COUNT);
  });

  it("embeds at most the cap and lists the rest without audio", async () => {
    const dir = join(root, "capped");
    await writeAudioRun(dir);
    const page = await buildReportPage(dir, { audioClips: 7 });
    expect(audioSources(renderReport(page))).toHaveLength(7);
    expect(page.audio?.embedded.clips).toBe(7);
    expect(page.audio?.notes).toEqual(["23 more clips are listed without audio: the report embeds at most 7, to stay small."]);
  });

  it("degrades with a note when clips are missing or damaged, or when there are no side files", async () => {
    const dir = join(root, "missing");
    await writeAudioRun(dir);
    const page = await buildReportPage(dir);
    const wanted = [page.audio?.neighbours[0]?.query.path, page.audio?.neighbours[0]?.neighbours[0]?.path].filter((p): p is string => p !== undefined);
    await rm(wanted[0] as string);
    await writeFile(wanted[1] as string, "not audio at all");
    const again = await buildReportPage(dir);
    const html = renderReport(again);
    // A broken clip may be shown more than once (as a query and as another query's neighbour).
    const shown = (again.audio?.neighbours ?? []).flatMap((r) => [r.query, ...r.neighbours]);
    const broken = shown.filter((c) => wanted.includes(c.path)).length;
    expect(broken).toBeGreaterThanOrEqual(2);
    expect(audioSources(html)).toHaveLength(30 - broken);
    expect(again.audio?.neighbours[0]?.query).toMatchObject({ src: null, note: "no such file" });
    expect(again.audio?.neighbours[0]?.neighbours[0]?.note).toMatch(/^not a WAV file/);
    expect(again.audio?.notes[0]).toMatch(/^2 clips could not be read, so they are not playable: .+ \(no such file\); .+ \(not a WAV file/);
    expect(html).toContain('<span class="clip-missing">no such file</span>');

    // No audio-examples.json: the report finds neighbours from clips.json itself, one query per class first.
    await rm(join(dir, "audio-examples.json"));
    const found = await buildReportPage(dir);
    expect(found.audio?.neighboursSource).toBe("embeddings.safetensors and clips.json");
    expect(found.audio?.neighbours.map((r) => r.query.label).slice(0, 4)).toEqual([...WORDS]);

    // Neither: a note, and no second map (nothing names the files).
    await rm(join(dir, "clips.json"));
    const bare = await buildReportPage(dir);
    expect(bare.audio?.neighbours).toEqual([]);
    expect(bare.charts.voiceMap).toBeUndefined();
    expect(renderReport(bare)).toContain("No neighbours: no audio-examples.json, and no clips.json beside embeddings.safetensors");

    // A clips.json of the wrong length is a warning, not a failure.
    await writeFile(join(dir, "clips.json"), JSON.stringify(["a.wav"]));
    expect((await buildReportPage(dir)).warnings).toEqual([`clips.json: 1 clips for ${CLIP_COUNT} embeddings; not used`]);
  });

  it.skipIf(!hasChromium)("plays in headless Chromium: every clip decodes, both maps are drawn, no console errors", async () => {
    const dir = join(root, "browser");
    await writeAudioRun(dir);
    const path = await writeReport(dir);
    const html = await readFile(path, "utf8");
    expect(html).not.toMatch(/<(script|link|img|audio)[^>]+(src|href)="(https?:|\/\/|file:)/);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("request", (r) => {
        if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push(`network request: ${r.url()}`);
      });
      await page.goto(pathToFileURL(path).href);
      await page.waitForFunction(() => document.documentElement.dataset.ready === "true", undefined, { timeout: 10_000 });
      const durations = await page.evaluate(async () => {
        const players = Array.from(document.querySelectorAll("audio"));
        await Promise.all(
          players.map((a) => (a.readyState >= 1 ? null : new Promise((done) => {
            a.addEventListener("loadedmetadata", done);
            a.addEventListener("error", done);
          }))),
        );
        return players.map((a) => a.duration);
      });
      expect(durations).toHaveLength(30);
      for (const d of durations) expect([0.25, 1]).toContain(Math.round(d * 100) / 100);
      const charts = await page.evaluate(() =>
        Array.from(document.querySelectorAll("canvas")).map((canvas) => {
          type Chart = { data: { datasets: { label: string }[] }; options: { plugins: { legend: { title: { text: string } } } } };
          const chart = (window as Window & { Chart?: { getChart(c: HTMLCanvasElement): Chart | undefined } }).Chart?.getChart(canvas);
          return { id: canvas.id, labels: chart?.data.datasets.map((d) => d.label) ?? [], legend: chart?.options.plugins.legend.title.text };
        }),
      );
      const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
      expect(byId["chart-map"]?.labels).toEqual([...WORDS]);
      expect(byId["chart-map-voice"]).toMatchObject({ legend: "voice", labels: VOICES.map(([e, v]) => `${e} ${v}`).sort() });
      expect(byId["chart-accuracy"]?.labels).toEqual(expect.arrayContaining(["MFCC statistics · linear", "MFCC + DTW · 1nn", "random encoder · linear"]));
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 30_000);
});

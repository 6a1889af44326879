import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import wavefile from "wavefile";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BYOL_A_FEATURES, fitClip, logMelStats, normalizeLogMel } from "../../../src/data/audio/audio-features.js";
import { audioFolderDataset, describeSkips, isAudioFolder } from "../../../src/data/audio/audio-folder.js";
import { featurizeWav } from "../../../src/data/audio/featurize-clip.js";
import { featurizeFiles } from "../../../src/data/audio/featurize-pool.js";
import { logMelSpectrogram } from "../../../src/data/audio/log-mel.js";
import { resample } from "../../../src/data/audio/resample.js";
import { type WavEncoding, encodeWav } from "../../../src/data/audio/wav.js";

const root = mkdtempSync(join(tmpdir(), "pretext-audio-folder-"));
const cacheDir = join(root, "cache");
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A 0.3 s "word": a tone of `hz` under a smooth envelope. */
function word(hz: number, rate: number, seconds = 0.3): Float32Array {
  const n = Math.round(seconds * rate);
  return Float32Array.from({ length: n }, (_, i) => 0.4 * Math.sin((Math.PI * i) / n) * Math.sin((2 * Math.PI * hz * i) / rate));
}

function write(path: string, bytes: Uint8Array | string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

function wav(path: string, hz: number, rate = 16000, encoding: WavEncoding = "16", channels = 1): string {
  const mono = word(hz, rate);
  return write(path, encodeWav(Array.from({ length: channels }, () => mono), rate, encoding));
}

/** What one clip should become, unnormalized: decoded (here: the float source), resampled, fitted, featurized. */
function expected(hz: number, rate: number): Float32Array {
  const wave = rate === 16000 ? word(hz, rate) : resample(word(hz, rate), rate, 16000);
  return logMelSpectrogram(fitClip(wave, BYOL_A_FEATURES), BYOL_A_FEATURES).values;
}

const aLaw = (() => {
  const w = new wavefile.WaveFile();
  w.fromScratch(1, 8000, "16", Int16Array.from({ length: 800 }, (_, i) => Math.round(5000 * Math.sin(i / 3))));
  w.toALaw();
  return w.toBuffer();
})();

beforeAll(() => {
  // (a) class folders, at several rates and encodings, one nested
  wav(join(root, "classes", "yes", "a.wav"), 500, 16000, "32f");
  wav(join(root, "classes", "yes", "deeper", "b.wav"), 600, 44100, "16", 2);
  wav(join(root, "classes", "no", "c.wav"), 2000, 8000, "8");
  write(join(root, "classes", "no", "notes.txt"), "ignored");
  // (b) a pool: clips at the top and below
  wav(join(root, "pool", "1.wav"), 300, 22050);
  wav(join(root, "pool", "sub", "2.wav"), 900, 16000);
  wav(join(root, "pool", ".hidden.wav"), 900, 16000);
  // (c) manifests
  wav(join(root, "clips", "x.wav"), 700, 16000);
  wav(join(root, "clips", "y.wav"), 1400, 16000);
  write(join(root, "clips", "labels.csv"), "path,label\nx.wav,high\ny.wav,low\n\n");
  write(join(root, "clips", "bare.csv"), "x.wav\ny.wav\n");
  write(join(root, "manifest.jsonl"), `${JSON.stringify({ path: "clips/y.wav", label: 10 })}\n\n${JSON.stringify({ path: join(root, "clips", "x.wav"), label: 2 })}\n`);
  write(join(root, "half.jsonl"), `{"path": "clips/x.wav", "label": "a"}\n{"path": "clips/y.wav"}\n`);
  // bad clips among good ones
  wav(join(root, "mixed", "good1.wav"), 400, 16000);
  wav(join(root, "mixed", "good2.wav"), 800, 16000);
  write(join(root, "mixed", "alaw.wav"), aLaw);
  write(join(root, "mixed", "cut.wav"), encodeWav(word(400, 16000), 16000).subarray(0, 500));
  write(join(root, "mixed", "mp3.wav"), "ID3\x04 not really");
  const empty = new wavefile.WaveFile();
  empty.fromScratch(1, 16000, "16", []);
  write(join(root, "mixed", "empty.wav"), empty.toBuffer());
  write(join(root, "broken", "only.wav"), "nothing here");
});

describe("audio folders", () => {
  it("(a) class folders: labels from sorted folder names, every clip resampled, fitted and featurized", async () => {
    const ds = await audioFolderDataset(join(root, "classes"), { cacheDir });
    expect(ds.classNames).toEqual(["no", "yes"]);
    expect(Array.from(ds.labels as Int32Array)).toEqual([0, 1, 1]);
    expect(ds.paths).toEqual([join(root, "classes", "no", "c.wav"), join(root, "classes", "yes", "a.wav"), join(root, "classes", "yes", "deeper", "b.wav")]);
    expect(ds.spec).toEqual({ modality: "audio", input: "logmel", fields: { logmel: { shape: [1, 64, 101], dtype: "float32" } } });
    expect(ds.length).toBe(3);
    // normalized by the set's own statistics, those of the unnormalized features of its files
    const stats = logMelStats(ds.paths.map((p) => featurizeWav(readFileSync(p), p, BYOL_A_FEATURES)));
    expect(ds.stats.mean).toBeCloseTo(stats.mean, 4);
    expect(ds.stats.std).toBeCloseTo(stats.std, 4);
    // the float32 clip equals the pipeline written out by hand from its float source
    const floatClip = ds.get(1).fields.logmel as Float32Array;
    const want = normalizeLogMel(expected(500, 16000), ds.stats);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((floatClip[i] as number) - (want[i] as number)));
    expect(worst).toBeLessThan(1e-5);
    const all = logMelStats(ds.toArray() as Float32Array);
    expect(all.mean).toBeCloseTo(0, 5);
    expect(all.std).toBeCloseTo(1, 5);
    expect(ds.summary).toMatchObject({ clips: 3, skipped: 0 });
    expect(ds.warnings).toEqual([]);
  });

  it("(b) a folder of clips is one unlabeled pool, searched recursively (hidden files ignored)", async () => {
    const ds = await audioFolderDataset(join(root, "pool"), { cacheDir });
    expect(ds.labels).toBeUndefined();
    expect(ds.classNames).toBeUndefined();
    expect(ds.paths).toEqual([join(root, "pool", "1.wav"), join(root, "pool", "sub", "2.wav")]);
  });

  it("(c) CSV and JSONL manifests, paths relative to the manifest, labels optional", async () => {
    const csv = await audioFolderDataset(join(root, "clips", "labels.csv"), { cacheDir });
    expect(csv.classNames).toEqual(["high", "low"]);
    expect(Array.from(csv.labels as Int32Array)).toEqual([0, 1]);
    expect(csv.paths).toEqual([join(root, "clips", "x.wav"), join(root, "clips", "y.wav")]);
    const bare = await audioFolderDataset(join(root, "clips", "bare.csv"), { cacheDir });
    expect(bare.labels).toBeUndefined();
    expect(bare.length).toBe(2);
    const jsonl = await audioFolderDataset(join(root, "manifest.jsonl"), { cacheDir });
    expect(jsonl.classNames).toEqual(["2", "10"]); // numeric labels in numeric order
    expect(Array.from(jsonl.labels as Int32Array)).toEqual([1, 0]);
    expect(jsonl.paths).toEqual([join(root, "clips", "y.wav"), join(root, "clips", "x.wav")]);
    await expect(audioFolderDataset(join(root, "half.jsonl"), { cacheDir })).rejects.toThrow(`${join(root, "half.jsonl")}:2: no label, while line 1 has one; label every clip or none`);
  });

  it("skips unreadable clips with a summary naming the first few and their reasons", async () => {
    const ds = await audioFolderDataset(join(root, "mixed"), { cacheDir });
    expect(ds.paths).toEqual([join(root, "mixed", "good1.wav"), join(root, "mixed", "good2.wav")]);
    expect(ds.summary.skipped).toBe(4);
    expect(ds.summary.skippedFiles.map((s) => [s.file.slice(root.length + 7), s.reason.split(" (")[0]?.split(";")[0]])).toEqual([
      ["alaw.wav", "unsupported encoding: A-law"],
      ["cut.wav", "truncated: the data chunk declares 9600 bytes, the file holds 456"],
      ["empty.wav", "no samples"],
      ["mp3.wav", "not a WAV file: MP3"],
    ]);
    expect(ds.warnings).toHaveLength(1);
    const line = ds.warnings[0] as string;
    expect(line).toMatch(/^skipped 4 of 6 clips that cannot be read: .*alaw\.wav \(unsupported encoding: A-law .*; .*cut\.wav \(truncated: .*; .*empty\.wav \(no samples .*; and 1 more$/);
    expect(line).not.toContain("\n");
    expect(describeSkips(ds.summary, 10)).toContain("mp3.wav (not a WAV file: MP3 (ID3 tag) data)");

    await expect(audioFolderDataset(join(root, "mixed"), { cacheDir, skipUnreadable: false })).rejects.toThrow(
      `${join(root, "mixed", "alaw.wav")}: unreadable audio (unsupported encoding: A-law`,
    );
    await expect(audioFolderDataset(join(root, "broken"), { cacheDir })).rejects.toThrow(
      `${join(root, "broken")}: none of its 1 clips is readable (first: ${join(root, "broken", "only.wav")}: not a WAV file: no RIFF header (starts with "noth"))`,
    );
  });

  it("reads clips back from the cache on the next run, normalizes by given statistics, and works without a cache", async () => {
    const fresh = join(root, "cache-run");
    const first = await audioFolderDataset(join(root, "classes"), { cacheDir: fresh });
    expect([first.summary.cached, first.summary.computed]).toEqual([0, 3]);
    const progress: number[] = [];
    const stats = { mean: -3, std: 2 };
    const second = await audioFolderDataset(join(root, "classes"), { cacheDir: fresh, stats, onProgress: (p) => progress.push(p.done) });
    expect([second.summary.cached, second.summary.computed]).toEqual([3, 0]);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(3);
    expect(second.stats).toEqual(stats);
    const a = first.get(2).fields.logmel as Float32Array;
    const b = second.get(2).fields.logmel as Float32Array;
    for (let i = 0; i < a.length; i += 97) expect((b[i] as number) * 2 - 3).toBeCloseTo((a[i] as number) * first.stats.std + first.stats.mean, 4);
    const uncached = await audioFolderDataset(join(root, "classes"), { cacheDir: null });
    expect(uncached.toArray()).toEqual(first.toArray());
  });

  it("featurizes in worker threads with the same result as on the calling thread", async () => {
    const many = join(root, "many");
    const files = Array.from({ length: 40 }, (_, i) => write(join(many, `${String(i).padStart(3, "0")}.wav`), encodeWav(word(200 + 20 * i, 22050, 0.1), 22050)));
    files.push(join(many, "missing.wav"));
    const here = await featurizeFiles(files, { features: BYOL_A_FEATURES, cacheRoot: null, threads: 1 });
    const progress: number[] = [];
    const workers = await featurizeFiles(files, { features: BYOL_A_FEATURES, cacheRoot: join(root, "many-cache"), threads: 2, workOnCallingThread: false, onProgress: (d) => progress.push(d) });
    expect(workers).toHaveLength(41);
    expect(workers.map((r) => r.ok)).toEqual(here.map((r) => r.ok));
    expect(workers[40]).toEqual({ ok: false, reason: "no such file" });
    workers.forEach((r, i) => {
      const h = here[i];
      if (r.ok && h?.ok === true) expect(r.values).toEqual(h.values);
    });
    expect(progress.at(-1)).toBe(41);
    const cached = await featurizeFiles(files, { features: BYOL_A_FEATURES, cacheRoot: join(root, "many-cache"), threads: 1 });
    expect(cached.filter((r) => r.ok && r.cached)).toHaveLength(40);
  });

  it("layout errors are one line, and isAudioFolder finds clips directly or in subfolders", async () => {
    mkdirSync(join(root, "nothing"), { recursive: true });
    await expect(audioFolderDataset(join(root, "nothing"), { cacheDir })).rejects.toThrow("empty folder: no .wav files and no class folders");
    await expect(audioFolderDataset(join(root, "absent"), { cacheDir })).rejects.toThrow(`no such file or directory: ${join(root, "absent")}`);
    await expect(audioFolderDataset(join(root, "pool", "1.wav"), { cacheDir })).rejects.toThrow("is a single clip; pass the folder that holds it");
    write(join(root, "lonely", "empty-class", "readme.txt"), "no clips");
    write(join(root, "lonely", "full", "a.wav"), encodeWav(word(300, 16000), 16000));
    await expect(audioFolderDataset(join(root, "lonely"), { cacheDir })).rejects.toThrow(`${join(root, "lonely", "empty-class")}: class folder has no .wav files`);
    expect(isAudioFolder(join(root, "classes"))).toBe(true);
    expect(isAudioFolder(join(root, "pool"))).toBe(true);
    expect(isAudioFolder(join(root, "nothing"))).toBe(false);
  });
});

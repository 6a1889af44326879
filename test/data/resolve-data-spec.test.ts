import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { encodeWav } from "../../src/data/audio/wav.js";
import { resolveDataSpec, specModality } from "../../src/data/resolve-data-spec.js";

const dir = mkdtempSync(join(tmpdir(), "pretext-spec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

function idx(dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

const images = idx([2, 3, 3], Uint8Array.from({ length: 18 }, (_, i) => i * 10));
const labels = idx([2], Uint8Array.from([1, 0]));
const usage = "--data takes mnist, fashion-mnist, moby-dick, fortunes, sotu, an IDX file, a folder of images, of .txt files or of .wav files, a .txt, .jsonl, .csv or .arff file (or a manifest of audio paths), or a table benchmark (letter, credit-g)";

describe("resolveDataSpec", () => {
  it("mnist is the bundled split", async () => {
    const data = await resolveDataSpec("mnist");
    if (data.kind !== "mnist") throw new Error(`resolved to ${data.kind}`);
    expect(data.train.length + data.test.length).toBe(10_000);
    expect(data.test.length).toBe(1000);
  });

  it("an IDX file, found by its magic bytes whatever its name, with sibling or given labels", async () => {
    const file = write("train-images-idx3-ubyte.gz", gzipSync(images));
    write("train-labels-idx1-ubyte.gz", gzipSync(labels));
    const data = await resolveDataSpec(file);
    if (data.kind !== "idx") throw new Error(`resolved to ${data.kind}`);
    expect(data.labelsFile).toBe(join(dir, "train-labels-idx1-ubyte.gz"));
    expect(data.dataset.spec.fields.image?.shape).toEqual([1, 3, 3]);
    expect(Array.from(data.dataset.labels as Int32Array)).toEqual([1, 0]);

    const renamed = write("digits.bin", images);
    const given = write("my-labels.bin", labels);
    const explicit = await resolveDataSpec(renamed, { labels: given });
    expect(explicit.kind === "idx" && explicit.labelsFile).toBe(given);
    const unlabeled = await resolveDataSpec(renamed);
    expect(unlabeled.kind === "idx" && unlabeled.dataset.labels).toBeUndefined();
    await expect(resolveDataSpec(renamed, { labels: join(dir, "missing") })).rejects.toThrow(`no such file or directory: ${join(dir, "missing")} (the labels for ${renamed})`);
    await expect(resolveDataSpec(given)).rejects.toThrow(`${given} is an IDX labels file (1 dimension); pass the images file (*-idx3-ubyte) to --data and this one to --labels`);
  });

  it("a directory is an image folder; a .csv a table with --labels as its label column", async () => {
    const png = await sharp({ create: { width: 5, height: 5, channels: 3, background: "#808080" } }).png().toBuffer();
    write("folder/a/1.png", png);
    write("folder/b/2.png", png);
    const folder = await resolveDataSpec(join(dir, "folder"), { image: { size: [8, 8] } });
    if (folder.kind !== "folder") throw new Error(`resolved to ${folder.kind}`);
    expect(folder.dataset.spec.fields.image?.shape).toEqual([1, 8, 8]);
    expect(folder.dataset.classNames).toEqual(["a", "b"]);
    await expect(resolveDataSpec(join(dir, "folder"), { labels: "x" })).rejects.toThrow("--labels does not apply to a folder");

    const csv = write("t.csv", "x,y,label\n1,2,a\n3,4,b\n");
    const table = await resolveDataSpec(csv, { labels: "label" });
    if (table.kind !== "csv") throw new Error(`resolved to ${table.kind}`);
    expect(table.dataset.spec.fields.row?.shape).toEqual([2]);
    expect(table.dataset.encoding.classNames).toEqual(["a", "b"]);
    const tsv = await resolveDataSpec(write("t.tsv", "x\ty\n1\t2\n"));
    expect(tsv.kind === "csv" && tsv.dataset.spec.fields.row?.shape).toEqual([2]);
  });

  it("a folder of .wav files (class subfolders or flat) and a manifest of .wav paths are audio", async () => {
    const tone = (f: number) => encodeWav([Float32Array.from({ length: 8000 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * f * i) / 8000))], 8000);
    for (const word of ["no", "yes"]) for (const k of [0, 1]) write(`speech/${word}/${word}-${k}.wav`, tone(300 + 200 * k));
    const folder = join(dir, "speech");
    expect(specModality(folder)).toBe("audio");
    const labeled = await resolveDataSpec(folder, { audio: { cacheDir: null } });
    if (labeled.kind !== "audio") throw new Error(`resolved to ${labeled.kind}`);
    expect(labeled.dataset.spec.fields.logmel?.shape).toEqual([1, 64, 101]);
    expect(labeled.dataset.classNames).toEqual(["no", "yes"]);
    const manifest = write("speech.csv", "path,label\nspeech/no/no-0.wav,no\nspeech/yes/yes-1.wav,yes\n");
    expect(specModality(manifest)).toBe("audio");
    const listed = await resolveDataSpec(manifest, { audio: { cacheDir: null } });
    expect(listed.kind === "audio" && listed.dataset.length).toBe(2);
    await expect(resolveDataSpec(manifest, { labels: "label" })).rejects.toThrow(/--labels does not apply to an audio manifest/);
  });

  it("anything else is a one-line error that says what --data takes", async () => {
    const missing = join(dir, "nope");
    await expect(resolveDataSpec(missing)).rejects.toThrow(`no such file or directory: ${missing}; ${usage}`);
    const other = write("notes.bin", "hello");
    await expect(resolveDataSpec(other)).rejects.toThrow(`${other}: not an IDX file (no IDX magic number) nor a .txt, .jsonl or .csv; ${usage}`);
    const gz = write("notes.bin.gz", gzipSync(new TextEncoder().encode("hello")));
    await expect(resolveDataSpec(gz)).rejects.toThrow(`${gz}: not an IDX file (no IDX magic number inside the gzip) nor a .txt, .jsonl or .csv`);
    const gzText = write("notes.txt.gz", gzipSync(new TextEncoder().encode("hello")));
    await expect(resolveDataSpec(gzText)).rejects.toThrow(`${gzText}: gzipped text is not supported; gunzip it first`);
    const broken = write("broken.gz", Uint8Array.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    await expect(resolveDataSpec(broken)).rejects.toThrow(`${broken}: corrupt gzip data`);
    const image = write("one.png", Uint8Array.from([0x89, 0x50, 0x4e, 0x47]));
    await expect(resolveDataSpec(image)).rejects.toThrow(`${image} is a single image; ${usage}: pass the folder that holds it`);
    await expect(resolveDataSpec("mnist", { labels: "x" })).rejects.toThrow("--labels does not apply to mnist");
  });
});

describe("text specs", () => {
  it("name the packaged corpora, and tell text files and folders by their names alone", async () => {
    const moby = await resolveDataSpec("moby-dick");
    expect(moby.kind === "text" && moby.source.kind).toBe("corpus");
    const sotuSpec = await resolveDataSpec("sotu");
    expect(sotuSpec.kind === "text" && sotuSpec.source.kind === "documents" && sotuSpec.source.train.classNames).toEqual(["Democratic", "Republican"]);
    expect(specModality("moby-dick")).toBe("text");
    expect(specModality("mnist")).toBe("image");
    expect(specModality("notes.jsonl")).toBe("text");
    expect(specModality("table.csv")).toBe("table");
    expect(specModality("table.csv", { textColumn: "body" })).toBe("text");
    await expect(resolveDataSpec("sotu", { labels: "x" })).rejects.toThrow("--labels does not apply to sotu");
  });
});

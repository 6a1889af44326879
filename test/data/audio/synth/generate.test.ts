import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type PackageLoader, SynthSetupError, defaultPackageLoader } from "../../../../src/data/audio/synth/engine.js";
import { generateSynthData } from "../../../../src/data/audio/synth/generate.js";
import { MANIFEST_FILE, type SynthManifest, readManifest, utteranceKey } from "../../../../src/data/audio/synth/manifest.js";
import { keywordsPlan, voicesPlan } from "../../../../src/data/audio/synth/plan.js";

const root = mkdtempSync(join(tmpdir(), "pretext-synth-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `run-${n++}`);

const SMALL = { pool: 12, perWord: 2, testPerWord: 2 } as const;

/** Every file under `dir` (but the manifest) with its bytes, by relative path. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (r !== MANIFEST_FILE) out.set(r, readFileSync(join(d, e.name)));
    }
  };
  walk(dir, "");
  return out;
}

const manifest = (dir: string): SynthManifest => JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8")) as SynthManifest;

describe("generateSynthData", () => {
  const dir = freshDir();
  const plan = keywordsPlan(SMALL);
  let first: Map<string, Buffer>;

  it("writes the planned layout and a manifest of every file with its engine, voice, word, parameters and seed", async () => {
    const summary = await generateSynthData(dir, plan, { threads: 0 });
    expect(summary).toMatchObject({ total: 72, made: 72, cached: 0, bySplit: { pool: 12, train: 20, test: 20, "test-espeak-heldout": 20 } });
    first = filesOf(dir);
    expect([...first.keys()].sort()).toEqual(plan.utterances.map((u) => u.path).sort());
    expect(readdirSync(join(dir, "train")).sort()).toEqual(["eight", "five", "four", "nine", "one", "seven", "six", "three", "two", "zero"]);
    expect(readdirSync(join(dir, "test", "three")).every((f) => /^three-flite-(kal|kal16|awb|rms|slt)-\d+\.wav$/.test(f))).toBe(true);
    const m = manifest(dir);
    expect(m).toMatchObject({ format: 1, task: "keywords", seed: 0, options: { pool: 12, perWord: 2, testPerWord: 2, words: "digits" }, complete: true });
    expect(m.licence).toMatch(/espeak-ng GPL-3.0, flite BSD-4-Clause, gnuspeech GPL-3.0/);
    expect(m.engines.flite.licence).toBe("BSD-4-Clause");
    expect(m.files).toHaveLength(72);
    const entry = m.files.find((f) => f.split === "train");
    expect(entry).toMatchObject({ engine: "espeak-ng", label: entry?.word, sampleRate: 22050, params: { voice: entry?.voice } });
    expect(entry?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("holds the engine out: nothing in test/ comes from espeak-ng or gnuspeech", () => {
    const tests = manifest(dir).files.filter((f) => f.split === "test");
    expect(tests.every((f) => f.engine === "flite" && f.path.includes("-flite-"))).toBe(true);
    expect([...first.keys()].filter((p) => p.startsWith("test/") && /-(espeak-ng|gnuspeech)-/.test(p))).toEqual([]);
    expect(manifest(dir).files.filter((f) => f.split !== "test" && f.engine === "flite")).toEqual([]);
  });

  it("is deterministic: the same seed gives the same bytes, on worker threads as on this one", async () => {
    // a plan sharing the pool and test/ (each split draws from its own generator), made on 2 threads
    const other = freshDir();
    const sharing = keywordsPlan({ ...SMALL, perWord: 1 });
    await generateSynthData(other, sharing, { threads: 2 });
    const keys = new Map(plan.utterances.map((u) => [u.path, utteranceKey(u)]));
    const common = sharing.utterances.filter((u) => keys.get(u.path) === utteranceKey(u));
    expect(common.length).toBeGreaterThanOrEqual(32);
    const second = filesOf(other);
    for (const u of common) expect(second.get(u.path)?.equals(first.get(u.path) ?? Buffer.alloc(0)), u.path).toBe(true);
    // another seed, other sounds
    const seeded = freshDir();
    await generateSynthData(seeded, keywordsPlan({ pool: 0, perWord: 2, testPerWord: 1, seed: 5 }), { threads: 0 });
    const train = [...filesOf(seeded).keys()].filter((p) => p.startsWith("train/"));
    expect(train.some((p) => first.has(p) && first.get(p)?.equals(filesOf(seeded).get(p) ?? Buffer.alloc(0)))).toBe(false);
  });

  it("caches: a second run makes nothing; a deleted, a damaged and an unlisted file are made again", async () => {
    const again = await generateSynthData(dir, plan, { threads: 0 });
    expect(again).toMatchObject({ made: 0, cached: 72 });
    const [deleted, damaged, unlisted] = plan.utterances.map((u) => u.path).filter((p) => p.startsWith("train/"));
    rmSync(join(dir, deleted as string));
    writeFileSync(join(dir, damaged as string), "not the same bytes");
    // a file written after the last manifest checkpoint of a stopped run is not listed
    const m = manifest(dir);
    writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ ...m, complete: false, files: m.files.filter((f) => f.path !== unlisted) }));
    const resumed = await generateSynthData(dir, plan, { threads: 0 });
    expect(resumed).toMatchObject({ made: 3, cached: 69 });
    const now = filesOf(dir);
    for (const [path, bytes] of first) expect(now.get(path)?.equals(bytes), path).toBe(true);
    expect(manifest(dir).complete).toBe(true);
  });

  it("refuses other options or another seed in the same folder, in one line, unless forced", async () => {
    const grown = keywordsPlan({ ...SMALL, pool: 20 });
    const error = await generateSynthData(dir, grown, { threads: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SynthSetupError);
    expect((error as Error).message).toBe(
      `${dir} was made by \`pretext synth keywords --seed 0 --pool 12 --per-word 2 --test-per-word 2 --words digits\`, not \`pretext synth keywords --seed 0 --pool 20 --per-word 2 --test-per-word 2 --words digits\`; choose another --out, or --force to replace its files`,
    );
    await expect(generateSynthData(dir, keywordsPlan({ ...SMALL, seed: 1 }), { threads: 0 })).rejects.toThrow(/--seed 0 .* not `pretext synth keywords --seed 1/);
    await expect(generateSynthData(dir, voicesPlan({ trainWords: 1, testWords: 1 }), { threads: 0 })).rejects.toThrow(/not `pretext synth voices/);
    expect(filesOf(dir).size).toBe(72); // nothing was touched
  });

  it("--force replaces the folder's files: those of the new plan made, the others removed", async () => {
    const smaller = keywordsPlan({ pool: 12, perWord: 1, testPerWord: 2 });
    const before = new Set(plan.utterances.map((u) => `${u.path} ${utteranceKey(u)}`));
    const kept = smaller.utterances.filter((u) => before.has(`${u.path} ${utteranceKey(u)}`)).length;
    const summary = await generateSynthData(dir, smaller, { threads: 0, force: true });
    // the pool and the test splits are drawn as before (each split has its own generator): only train/ changes
    expect(kept).toBeGreaterThanOrEqual(52);
    const newPaths = new Set(smaller.utterances.map((u) => u.path));
    const stale = plan.utterances.filter((u) => !newPaths.has(u.path)).length;
    expect(summary).toMatchObject({ total: 62, made: 62 - kept, cached: kept, removed: stale });
    expect([...filesOf(dir).keys()].sort()).toEqual(smaller.utterances.map((u) => u.path).sort());
    expect(manifest(dir).options).toMatchObject({ perWord: 1 });
  });

  it("refuses a non-empty folder that it did not make, and a damaged manifest", async () => {
    const foreign = freshDir();
    mkdirSync(foreign);
    writeFileSync(join(foreign, "notes.txt"), "mine");
    await expect(generateSynthData(foreign, keywordsPlan({ pool: 0, perWord: 1, testPerWord: 1 }), { threads: 0 })).rejects.toThrow(`${foreign} is not empty and has no manifest.json`);
    writeFileSync(join(foreign, MANIFEST_FILE), "{ truncated");
    await expect(readManifest(foreign)).rejects.toThrow(/manifest.json: not valid JSON/);
    expect(existsSync(join(foreign, "notes.txt"))).toBe(true);
  });

  it("checks the engines it needs before making anything: a missing package is one line", async () => {
    const noGnuspeech: PackageLoader = {
      importModule: (s) => (s.startsWith("@echogarden/gnuspeech-wasm") ? Promise.reject(new Error("Cannot find package")) : defaultPackageLoader.importModule(s)),
      resolveFile: (s) => defaultPackageLoader.resolveFile(s),
    };
    const target = freshDir();
    const error = await generateSynthData(target, keywordsPlan({ pool: 30, perWord: 1, testPerWord: 1 }), { threads: 0, loader: noGnuspeech }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SynthSetupError);
    expect((error as Error).message).toBe("pretext synth needs the devDependency @echogarden/gnuspeech-wasm; install it with npm install -D @echogarden/gnuspeech-wasm@0.3.0");
    expect(existsSync(join(target, "train"))).toBe(false);
    // a plan without gnuspeech does not need it
    await expect(generateSynthData(target, keywordsPlan({ pool: 0, perWord: 1, testPerWord: 1 }), { threads: 0, loader: noGnuspeech })).resolves.toMatchObject({ made: 30 });
  });
});

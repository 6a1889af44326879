import { describe, expect, it } from "vitest";
import { minePositives, withPositives } from "../../../src/data/audio/mined-positives.js";
import { ArrayDataset } from "../../../src/data/dataset.js";
import { audioSpec } from "../../../src/data/sample.js";
import { Rng } from "../../../src/random/rng.js";

const [M, T] = [32, 40];

/** A log-mel "word": a ridge rising (word 0) or falling (word 1) over time, at a voice's own pitch offset and loudness, on noise. */
function clip(word: 0 | 1, voice: number, rng: Rng): Float32Array {
  const x = new Float32Array(M * T);
  for (let i = 0; i < x.length; i++) x[i] = -8 + 0.3 * rng.normal();
  for (let t = 5; t < 35; t++) {
    const rise = Math.round(((t - 5) / 30) * 14);
    const m = 4 + voice + (word === 0 ? rise : 14 - rise);
    for (const dm of [-1, 0, 1]) x[(m + dm) * T + t] = -1 + 0.5 * voice;
  }
  return x;
}

describe("minePositives", () => {
  const rng = new Rng(3);
  // two words, each said by six voices (pitch offsets 0..10, louder with the offset)
  const words: (0 | 1)[] = [];
  const values = new Float32Array(24 * M * T);
  for (let i = 0; i < 24; i++) {
    const word = (i % 2) as 0 | 1;
    words.push(word);
    values.set(clip(word, 2 * Math.floor(i / 4), rng), i * M * T);
  }
  const dataset = new ArrayDataset({ spec: audioSpec(M, T), fields: { logmel: values } });

  it("pairs each clip with another clip of the same word, whatever the voice", () => {
    const partners = minePositives(dataset, { candidates: 8 });
    expect(partners).toHaveLength(24);
    partners.forEach((j, i) => {
      expect(words[j], `clip ${i} paired with ${j}`).toBe(words[i]);
      // partners are mutual: a clip and its partner pair with each other (or a clip with itself)
      expect(partners[j]).toBe(i);
    });
    expect(Array.from(partners).filter((j, i) => j !== i).length).toBeGreaterThanOrEqual(12);
  });

  it("is deterministic and reports progress", () => {
    const seen: number[] = [];
    const a = minePositives(dataset, { candidates: 8, onProgress: (done) => seen.push(done) });
    expect(Array.from(a)).toEqual(Array.from(minePositives(dataset, { candidates: 8 })));
    expect(seen.at(-1)).toBe(24);
  });

  it("adds the partners as a positive field beside the clips", () => {
    const partners = minePositives(dataset, { candidates: 8 });
    const paired = withPositives(dataset, partners);
    expect(Object.keys(paired.spec.fields)).toEqual(["logmel", "positive"]);
    expect(paired.spec.input).toBe("logmel");
    const sample = paired.get(5);
    expect(Array.from(sample.fields.positive as Float32Array)).toEqual(Array.from(dataset.get(partners[5] as number).fields.logmel as Float32Array));
    expect(() => withPositives(dataset, new Int32Array(3))).toThrow(/3 partners for 24 clips/);
    expect(() => minePositives(new ArrayDataset({ spec: audioSpec(M, T), fields: { logmel: values.subarray(0, M * T) } }))).toThrow(/at least 2 clips/);
  });
});

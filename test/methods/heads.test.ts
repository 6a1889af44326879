import { describe, expect, it } from "vitest";
import { EncoderWithHead, cloneModule, head } from "../../src/methods/heads.js";
import { SmallCnn, namedParameters, namedState } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";

describe("cloneModule", () => {
  it("copies a module tree with fresh parameters and state of equal values, same class and order", () => {
    const online = new EncoderWithHead(new SmallCnn(new Rng(0)), head(128, [{ out: 64, norm: "batch", act: "relu" }, { out: 32 }], new Rng(1)));
    const copy = cloneModule(online);
    expect(copy).toBeInstanceOf(EncoderWithHead);
    expect(copy.encoder).toBeInstanceOf(SmallCnn);
    const a = namedParameters(online);
    const b = namedParameters(copy);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, p] of a) {
      const q = b.get(k);
      expect(q).not.toBe(p);
      expect(q?.value).toEqual(p.value);
      expect(q?.decay).toBe(p.decay);
    }
    expect([...namedState(copy).keys()]).toEqual([...namedState(online).keys()]);
    // Independent storage: training the online network leaves the copy alone.
    const first = [...a.values()][0]?.value as Float32Array;
    first[0] = 123;
    expect([...b.values()][0]?.value[0]).not.toBe(123);
  });
});

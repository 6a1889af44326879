import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scarfLoss } from "../../../src/methods/table/scarf.js";
import { vimeLoss } from "../../../src/methods/table/vime.js";
import { float64 } from "../../../src/runtime/index.js";
import { evaluate } from "../../helpers/evaluate.js";

interface Case {
  readonly kind: "scarf" | "vime";
  readonly shape: [number, number];
  readonly [key: string]: unknown;
}
const { cases } = JSON.parse(readFileSync(new URL("./fixtures/table-losses.json", import.meta.url), "utf8")) as { cases: Case[] };
const tensor = (c: Case, key: string) => float64(c.shape, c[key] as number[]);

describe("table losses against PyTorch (fixtures/make-table-losses.py)", () => {
  it("scarfLoss is the cross-entropy of cosine similarities over τ with the diagonal as targets", async () => {
    for (const c of cases.filter((x) => x.kind === "scarf")) {
      const [loss] = await evaluate((a, b) => scarfLoss(a!, b!, c.temperature as number), [tensor(c, "anchor"), tensor(c, "positive")]);
      expect(loss?.values[0]).toBeCloseTo(c.loss as number, 10);
    }
  });

  it("vimeLoss is the mask's binary cross-entropy plus α times the reconstruction's MSE", async () => {
    for (const c of cases.filter((x) => x.kind === "vime")) {
      const outs = await evaluate((l, m, r, x) => {
        const v = vimeLoss(l!, m!, r!, x!, c.alpha as number);
        return [v.loss, v.mask, v.reconstruction];
      }, [tensor(c, "logits"), tensor(c, "changed"), tensor(c, "reconstruction"), tensor(c, "rows")]);
      expect(outs.map((o) => o.values[0])).toEqual([expect.closeTo(c.loss as number, 10), expect.closeTo(c.mask as number, 10), expect.closeTo(c.mse as number, 10)]);
    }
  });
});

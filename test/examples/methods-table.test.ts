import { describe, expect, it } from "vitest";
import { markdownTable, methodsTable } from "../../examples/methods-table.js";
import { mnistSplit } from "../../src/data/image/mnist.js";

describe("examples/methods-table.ts", () => {
  // Plumbing only: two methods for 3 steps of batch 64 on 640 digits, probed on 200, no
  // supervised baseline. Every figure in the table must come out of the run (no blanks, no NaN).
  it("pretrains, evaluates and tabulates methods beside the baselines", async () => {
    const { train, test } = mnistSplit();
    const data = { train: train.subset(Array.from({ length: 640 }, (_, i) => i * 14)), test: test.subset(Array.from({ length: 200 }, (_, i) => i * 5)) };
    const rows = await methodsTable({ methodNames: ["simclr", "rotation"], budgetSeconds: 60, maxSteps: 3, batchSize: 64, encoder: "small-cnn", supervisedDraws: 0, data });
    expect(rows.map((r) => r.name)).toEqual(["raw pixels", "random small-cnn", "simclr", "rotation"]);
    for (const r of rows.filter((r) => r.kind === "method")) {
      expect(r.error).toBeUndefined();
      expect(r.steps).toBe(3);
      for (const x of [r.linear10?.mean, r.linearAll, r.knn, r.nmi, r.effectiveRank, r.loss?.first, r.loss?.last]) expect(Number.isFinite(x)).toBe(true);
    }
    const table = markdownTable(rows);
    expect(table.split("\n")).toHaveLength(2 + rows.length);
    expect(table).toContain("| **simclr** |");
  }, 120_000);
});

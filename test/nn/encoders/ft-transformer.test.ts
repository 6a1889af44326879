import { describe, expect, it } from "vitest";
import { ArrayDataset } from "../../../src/data/dataset.js";
import { tableSpec } from "../../../src/data/sample.js";
import { embedDataset, releaseEmbeddings } from "../../../src/eval/embed.js";
import { finetune } from "../../../src/eval/finetune.js";
import { FtTransformer, columnTokens } from "../../../src/nn/encoders/ft-transformer.js";
import { namedParameters } from "../../../src/nn/index.js";
import { Rng } from "../../../src/random/rng.js";

/** Rows of two numbers and a 3-level one-hot column whose class is the sign of a·b (XOR-like: no linear model separates it). */
function xorTable(n: number, seed: number): ArrayDataset {
  const rng = new Rng(seed);
  const rows = new Float32Array(n * 5);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = rng.normal();
    rows.set([a, b], i * 5);
    rows[i * 5 + 2 + rng.int(3)] = 1;
    labels[i] = a * b > 0 ? 1 : 0;
  }
  return new ArrayDataset({ spec: tableSpec(5), fields: { row: rows }, labels, numClasses: 2 });
}

describe("FtTransformer", () => {
  it("maps rows to the [CLS] embedding, one token per column", async () => {
    const tokenOf = columnTokens({ numeric: [{ missingIndicator: false }, { missingIndicator: true }], categorical: [{ categories: ["x", "y", "z"] }] });
    // two numbers, the second's missing indicator, then the three one-hot slots of the third column
    expect(tokenOf).toEqual([0, 1, 1, 2, 2, 2]);
    const encoder = new FtTransformer(new Rng(0), { features: 5, tokenOf: [0, 1, 2, 2, 2], dModel: 24, layers: 1, heads: 2 });
    expect(encoder.tokens).toBe(3);
    const names = [...namedParameters(encoder).keys()];
    for (const n of ["weight", "bias", "cls", "blocks.0.attn.qkv.weight", "ln.weight"]) expect(names).toContain(n);
    const data = xorTable(10, 1);
    const out = await embedDataset(encoder, data);
    expect(out.dim).toBe(24);
    expect(out.length).toBe(10);
    expect(out.data.every(Number.isFinite)).toBe(true);
    // rows that differ only in which level is on embed differently: the column's token is that level's
    const first = Array.from(out.data.subarray(0, 24));
    expect(new Set(Array.from({ length: 10 }, (_, i) => out.data[i * 24]?.toFixed(5))).size).toBeGreaterThan(1);
    expect(first.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    await releaseEmbeddings(encoder);
  });

  it("learns a product of two columns that no linear model can, when fine-tuned", async () => {
    const encoder = new FtTransformer(new Rng(0), { features: 5, tokenOf: [0, 1, 2, 2, 2], dModel: 48, layers: 2, heads: 4 });
    const { accuracy } = await finetune(encoder, xorTable(512, 2), xorTable(400, 3), { steps: 200, batchSize: 128, seed: 0 });
    expect(accuracy).toBeGreaterThan(0.85);
  }, 60_000);
});

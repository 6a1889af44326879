import { afterAll, expect, it } from "vitest";
import { ArrayDataset } from "../../../src/data/dataset.js";
import { tableSpec } from "../../../src/data/sample.js";
import { releaseLinearProbes } from "../../../src/eval/linear-probe.js";
import type { Method } from "../../../src/methods/method.js";
import { pretrain } from "../../../src/methods/pretrain.js";
import { methods } from "../../../src/methods/registry.js";
import { vimeReconstructionErrors } from "../../../src/methods/table/vime-reconstruction.js";
import { VimeHeads } from "../../../src/methods/table/vime.js";
import { MlpEncoder } from "../../../src/nn/index.js";
import { Rng } from "../../../src/random/rng.js";

const COPIES = ["a", "a copy 1", "a copy 2", "a copy 3", "a copy 4"];
const NAMES = [...COPIES, "noise 1", "noise 2"];

/**
 * Rows whose first five features are near-copies of one value and whose last two are independent
 * noise. Five, not two: with one of two replaced the model cannot tell which one it was, while of
 * five, at VIME's 30%, most of the others still agree on the truth.
 */
function rows(n: number, seed: number): ArrayDataset {
  const rng = new Rng(seed);
  const values = new Float32Array(n * NAMES.length);
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    values.set([a, ...COPIES.slice(1).map(() => a + 0.1 * rng.normal()), rng.normal(), rng.normal()], i * NAMES.length);
  }
  return new ArrayDataset({ spec: tableSpec(NAMES.length), fields: { row: values } });
}

afterAll(() => releaseLinearProbes());

it("vime's per-feature reconstruction error is far under mean imputation for a feature the rest of the row repeats, and not for noise", async () => {
  const encoder = new MlpEncoder(new Rng(0), { inputShape: [NAMES.length], hidden: [64], outputDim: 32, norm: "batch" });
  const r = await pretrain({ method: methods.vime as Method, encoder, dataset: rows(1024, 1), batchSize: 128, epochs: Number.POSITIVE_INFINITY, maxSteps: 300, seed: 0 });
  const heads = r.plan.modules.heads;
  await r.step.release();
  expect(heads).toBeInstanceOf(VimeHeads);
  const errors = await vimeReconstructionErrors(encoder, heads as VimeHeads, rows(512, 2), NAMES, { maskProbability: 0.3, seed: 0 });
  const ratio = (name: string) => {
    const f = errors.find((e) => e.feature === name);
    return (f?.mse ?? Number.NaN) / (f?.meanImputationMse ?? Number.NaN);
  };
  expect(errors.map((e) => e.feature)).toEqual(NAMES);
  // ~30% of 512 rows corrupt each feature (a donor with the same value does not count as changed).
  for (const e of errors) expect(e.corrupted).toBeGreaterThan(100);
  for (const name of COPIES) expect(ratio(name), name).toBeLessThan(0.5);
  for (const name of ["noise 1", "noise 2"]) expect(ratio(name), name).toBeGreaterThan(0.8);
}, 60_000);

it("vimeReconstructionErrors refuses feature names that do not match the rows", async () => {
  const encoder = new MlpEncoder(new Rng(0), { inputShape: [NAMES.length], hidden: [8], outputDim: 4, norm: "batch" });
  await expect(vimeReconstructionErrors(encoder, new VimeHeads(4, NAMES.length, new Rng(0)), rows(8, 0), ["a"], { maskProbability: 0.3, seed: 0 })).rejects.toThrow(/1 feature names for rows of 7 features/);
});

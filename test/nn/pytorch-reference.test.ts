import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type AbstractModule, SmallCnn, TinyGpt, namedParameters, namedState } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { float32, int64 } from "../../src/runtime/index.js";
import { allClose } from "../helpers/evaluate.js";
import { runModule } from "./run-module.js";

/** Outputs of the anchor's PyTorch models (float64), written by test/nn/pytorch_reference.py. */
const reference = JSON.parse(readFileSync(new URL("./pytorch-reference.json", import.meta.url), "utf8")) as Record<string, number[]>;
const ref = (key: string): number[] => reference[key] ?? [];

/** The same fill as pytorch_reference.py: scale·sin(0.7k + 0.3) over all parameters in order. */
function fill(module: AbstractModule, scale: number): void {
  let k = 0;
  for (const p of namedParameters(module).values()) {
    for (let i = 0; i < p.value.length; i++, k++) p.value[i] = scale * Math.sin(0.7 * k + 0.3);
  }
}

// NOTE: ORT computes in float32 against a float64 reference, through up to 7 normalizations.
const atol = 2e-4;
const rtol = 2e-4;

describe("pretext modules compute what the anchor's PyTorch models compute, given the same weights", () => {
  it("TinyGpt = anchor TinyGPT(vocab 7, d 8, 2 layers, 2 heads, context 6) on [2, 5] ids", async () => {
    const lm = new TinyGpt(new Rng(0), { vocabSize: 7, dModel: 8, layers: 2, heads: 2, context: 6 });
    fill(lm, 0.5);
    const { y } = await runModule(lm, int64([2, 5], [1, 2, 3, 4, 5, 6, 0, 6, 1, 2]));
    expect(y.shape).toEqual([2, 5, 7]);
    expect(allClose([...y.values], ref("tinygpt_logits"), atol, rtol)).toBe(true);
  });

  describe("SmallCnn = anchor Encoder on [2, 1, 8, 8]", () => {
    const setup = () => {
      const cnn = new SmallCnn(new Rng(0));
      fill(cnn, 0.1);
      for (const [path, b] of namedState(cnn)) {
        for (let c = 0; c < b.value.length; c++) b.value[c] = path.endsWith("runningMean") ? 0.1 * Math.sin(c) : 1 + 0.5 * Math.sin(c) ** 2;
      }
      const x = float32([2, 1, 8, 8], Array.from({ length: 128 }, (_, i) => Math.sin(0.37 * i + 1)));
      return { cnn, x };
    };

    it("eval mode (running statistics)", async () => {
      const { cnn, x } = setup();
      const { y } = await runModule(cnn, x);
      expect(allClose([...y.values], ref("cnn_eval"), atol, rtol)).toBe(true);
    });

    it("training mode (batch statistics, running statistics updated)", async () => {
      const { cnn, x } = setup();
      const { y, state } = await runModule(cnn, x, { training: true });
      expect(allClose([...y.values], ref("cnn_train"), atol, rtol)).toBe(true);
      expect(allClose(state.get("block5.bn.runningMean") ?? [], ref("cnn_train_running_mean_block5"), atol, rtol)).toBe(true);
      expect(allClose(state.get("block5.bn.runningVar") ?? [], ref("cnn_train_running_var_block5"), atol, rtol)).toBe(true);
    });
  });
});

import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import type { Tensor } from "../../src/graph/index.js";
import { float64 } from "../../src/runtime/index.js";
import { allClose, evaluate } from "../helpers/evaluate.js";

/** One loss evaluated by PyTorch (test/fixtures/pytorch/ssl_losses.py, the papers' reference code). */
export interface PytorchCase {
  readonly name: string;
  readonly options: Readonly<Record<string, number | string>>;
  readonly inputs: readonly { readonly shape: number[]; readonly values: number[] }[];
  readonly loss: number;
  /** d loss / d input for the differentiated inputs, in input order. */
  readonly grads: readonly number[][];
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/pytorch/ssl-losses.json", import.meta.url), "utf8")) as { cases: PytorchCase[] };

export function pytorchCases(name: string): PytorchCase[] {
  const cases = fixture.cases.filter((c) => c.name === name);
  if (cases.length === 0) throw new Error(`no PyTorch case named ${name}`);
  return cases;
}

/**
 * Traces `loss` in float64 over the case's inputs and checks its value and its gradients with
 * respect to the first `grads.length` inputs against PyTorch's.
 */
export async function expectMatchesPytorch(c: PytorchCase, loss: (...xs: Tensor[]) => Tensor, tol = 1e-10): Promise<void> {
  const args = c.inputs.map((i) => float64(i.shape, i.values));
  const [value, ...grads] = await evaluate((...xs) => {
    const l = loss(...xs);
    return [l, ...grad(l, xs.slice(0, c.grads.length))];
  }, args);
  expect(allClose(value?.values ?? [], [c.loss], tol, tol)).toBe(true);
  c.grads.forEach((g, i) => expect(allClose(grads[i]?.values ?? [], g, tol, 1e-8), `gradient of input ${i}`).toBe(true));
}

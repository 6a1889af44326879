import { grad } from "../../src/autodiff/index.js";
import { Graph, type Shape, type Tensor } from "../../src/graph/index.js";
import { type HostTensor, Program, toNumbers } from "../../src/runtime/index.js";

/** A fetched value as plain numbers, for comparing against small hand-written references. */
export interface Values {
  readonly shape: Shape;
  readonly dtype: string;
  readonly values: number[];
}

/**
 * Traces `fn` over inputs shaped like `args`, runs it once on ONNX Runtime and returns every
 * output as numbers. The session is released before returning.
 */
export async function evaluate(
  fn: (...xs: Tensor[]) => Tensor | readonly Tensor[],
  args: readonly HostTensor[],
): Promise<Values[]> {
  const graph = new Graph();
  const inputs = args.map((a, i) => graph.input(`x${i}`, a.shape, a.dtype));
  const result = fn(...inputs);
  const outs: readonly Tensor[] = Array.isArray(result) ? result : [result as Tensor];
  const program = await Program.compile(graph, { inputs, outputs: Object.fromEntries(outs.map((t, i) => [`y${i}`, t])) }, { threads: 1 });
  try {
    const fetched = await program.run(Object.fromEntries(args.map((a, i) => [`x${i}`, a])));
    return outs.map((_, i) => {
      const t = fetched[`y${i}`] as HostTensor;
      return { shape: [...t.shape], dtype: t.dtype, values: toNumbers(t) };
    });
  } finally {
    await program.release();
  }
}

/** Runs `fn` once and returns its single output. */
export async function evaluate1(fn: (...xs: Tensor[]) => Tensor, args: readonly HostTensor[]): Promise<Values> {
  return (await evaluate(fn, args))[0] as Values;
}

/** The gradient of the scalar `loss(...xs)` with respect to the inputs listed in `wrt` (all by default). */
export async function gradient(
  loss: (...xs: Tensor[]) => Tensor,
  args: readonly HostTensor[],
  wrt: readonly number[] = args.map((_, i) => i),
): Promise<Values[]> {
  return evaluate((...xs) => grad(loss(...xs), wrt.map((i) => xs[i] as Tensor)), args);
}

/** `expect`-free closeness check that reports the first mismatch, for use inside `expect(...).toBe(true)`. */
export function allClose(actual: readonly number[], expected: readonly number[], atol = 1e-9, rtol = 1e-7): string | true {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return `at ${i}: ${a} != ${e} (actual [${actual.join(", ")}])`;
  }
  return true;
}

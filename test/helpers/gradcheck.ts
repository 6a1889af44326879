import { expect } from "vitest";
import { grad } from "../../src/autodiff/index.js";
import { type DType, Graph, type Shape, type Tensor, isFloat, sizeOf } from "../../src/graph/index.js";
import { mul, sum } from "../../src/ops/index.js";
import { Rng } from "../../src/random/rng.js";
import { type Backend, type HostTensor, Program, hostTensor, nodeBackend } from "../../src/runtime/index.js";

export interface InputSpec {
  readonly shape: Shape;
  readonly dtype?: DType;
  /** Values; random normal when omitted (float inputs). */
  readonly values?: ArrayLike<number>;
  /** False for inputs that are not differentiated (indices, masks, conditions). */
  readonly differentiable?: boolean;
}

export interface GradCheckOptions {
  /** Float dtype of the random inputs; float64 wherever ORT's CPU kernels support the op. */
  readonly dtype?: "float32" | "float64";
  /** Central-difference step. */
  readonly eps?: number;
  readonly rtol?: number;
  readonly atol?: number;
  readonly seed?: number;
  readonly backend?: Backend;
}

const defaults = {
  float64: { eps: 1e-6, rtol: 1e-6, atol: 1e-9 },
  // NOTE: float32 central differences carry ~eps² truncation and ~1e-7/eps rounding error;
  // eps 1e-2 on O(1) values balances them near 1e-3 relative.
  float32: { eps: 1e-2, rtol: 2e-2, atol: 1e-3 },
} as const;

/**
 * Checks the VJP of `fn` against central finite differences through ONNX Runtime. The scalar
 * checked is `sum(fn(x) * r)` with a fixed random `r`, so every output element is weighted.
 * Small inputs are checked coordinate by coordinate, large ones along random directions and a
 * sample of coordinates. Returns the worst relative error seen.
 */
export async function checkGradients(
  fn: (...xs: Tensor[]) => Tensor,
  specs: readonly InputSpec[],
  options: GradCheckOptions = {},
): Promise<number> {
  const dtype = options.dtype ?? "float64";
  const { eps, rtol, atol } = { ...defaults[dtype], ...stripUndefined(options) };
  const rng = new Rng(options.seed ?? 0);

  const graph = new Graph();
  const inputs = specs.map((s, i) => graph.input(`x${i}`, s.shape, s.dtype ?? dtype));
  const y = fn(...inputs);
  const weights = graph.constant(Array.from(rng.normalArray(y.size)), y.shape, y.dtype);
  const loss = sum(mul(y, weights));
  const wrt = inputs.filter((x, i) => (specs[i] as InputSpec).differentiable ?? isFloat(x.dtype));
  const grads = grad(loss, wrt);
  const backend = options.backend ?? nodeBackend;
  const lossProgram = await Program.compile(graph, { inputs, outputs: { loss } }, { backend, threads: 1 });
  const gradProgram = await Program.compile(
    graph,
    { inputs, outputs: Object.fromEntries(grads.map((g, i) => [`g${i}`, g])) },
    { backend, threads: 1 },
  );

  const feeds: Record<string, HostTensor> = {};
  specs.forEach((s, i) => {
    const dt = s.dtype ?? dtype;
    const values = s.values ?? rng.normalArray(sizeOf(s.shape));
    feeds[`x${i}`] = hostTensor(dt, s.shape, toArray(dt, values));
  });
  const analytic = await gradProgram.run(feeds);
  const lossAt = async (name: string, direction: Float64Array, scale: number) => {
    const base = feeds[name] as HostTensor;
    const data = (base.data as Float64Array | Float32Array).slice();
    for (let k = 0; k < data.length; k++) data[k] = (data[k] as number) + scale * (direction[k] as number);
    const out = await lossProgram.run({ ...feeds, [name]: { ...base, data } });
    return Number((out.loss as HostTensor).data[0]);
  };

  let worst = 0;
  for (const [gi, x] of wrt.entries()) {
    const g = (analytic[`g${gi}`] as HostTensor).data as Float64Array | Float32Array;
    const n = x.size;
    const directions: Float64Array[] = [];
    const coordinates = n <= 48 ? [...Array(n).keys()] : [...rng.permutation(n).slice(0, 12)];
    for (const c of coordinates) {
      const d = new Float64Array(n);
      d[c] = 1;
      directions.push(d);
    }
    if (n > 48) {
      for (let r = 0; r < 4; r++) {
        const d = Float64Array.from(rng.normalArray(n));
        const norm = Math.hypot(...d);
        directions.push(d.map((v) => v / norm));
      }
    }
    for (const d of directions) {
      const numeric = ((await lossAt(x.name, d, eps)) - (await lossAt(x.name, d, -eps))) / (2 * eps);
      let exact = 0;
      for (let k = 0; k < n; k++) exact += (g[k] as number) * (d[k] as number);
      const err = Math.abs(numeric - exact);
      const scale = Math.max(Math.abs(numeric), Math.abs(exact));
      worst = Math.max(worst, scale > 0 ? err / scale : 0);
      expect(
        err,
        `d/d${x.name} along ${describe(d)}: finite difference ${numeric}, VJP ${exact}`,
      ).toBeLessThanOrEqual(atol + rtol * scale);
    }
  }
  await lossProgram.release();
  await gradProgram.release();
  return worst;
}

function describe(d: Float64Array): string {
  const nonzero = [...d.keys()].filter((k) => d[k] !== 0);
  return nonzero.length === 1 ? `coordinate ${nonzero[0]}` : "a random direction";
}

function toArray(dtype: DType, values: ArrayLike<number>) {
  switch (dtype) {
    case "float64":
      return Float64Array.from(values);
    case "float32":
      return Float32Array.from(values);
    case "int32":
      return Int32Array.from(values);
    case "uint8":
    case "bool":
      return Uint8Array.from(values);
    case "int64":
      return BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

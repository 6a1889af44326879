import { type DType, type HostArray, type HostArrayFor, type Shape, ShapeError, formatShape, sizeOf } from "../graph/index.js";

/** A tensor's values on the host: what is fed to and fetched from a session. */
export interface HostTensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: Shape;
  readonly data: HostArrayFor[D];
}

const arrayTypes = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

/**
 * Why `data` cannot hold a tensor of this dtype and shape, or null when it can. Checked for
 * every feed, since a HostTensor may be written as a plain object without `hostTensor`.
 */
export function hostDataProblem(dtype: DType, shape: Shape, data: HostArray): string | null {
  const expected = arrayTypes[dtype];
  if (expected === undefined) return `unknown dtype ${String(dtype)}`;
  if (!(data instanceof expected)) return `${dtype} data must be a ${expected.name}, got a ${data.constructor.name}`;
  if (data.length !== sizeOf(shape)) return `${data.length} values do not fill shape ${formatShape(shape)}`;
  return null;
}

/** Wraps host data as a tensor after checking that its length and array type fit the shape and dtype. */
export function hostTensor<D extends DType>(dtype: D, shape: Shape, data: HostArrayFor[D]): HostTensor<D> {
  const problem = hostDataProblem(dtype, shape, data);
  if (problem !== null) throw new ShapeError("hostTensor", problem);
  return { dtype, shape: [...shape], data };
}

export function float32(shape: Shape, data?: ArrayLike<number>): HostTensor<"float32"> {
  return hostTensor("float32", shape, data ? Float32Array.from(data) : new Float32Array(sizeOf(shape)));
}

export function float64(shape: Shape, data?: ArrayLike<number>): HostTensor<"float64"> {
  return hostTensor("float64", shape, data ? Float64Array.from(data) : new Float64Array(sizeOf(shape)));
}

export function int64(shape: Shape, data: ArrayLike<number>): HostTensor<"int64"> {
  const out = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i] as number);
  return hostTensor("int64", shape, out);
}

/** Reads a host tensor's values as plain numbers (int64 converted, bool as 0/1). */
export function toNumbers(t: HostTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

export type { HostArray };

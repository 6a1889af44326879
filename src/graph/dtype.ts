/** Element types a traced tensor can carry. */
export type DType = "float32" | "float64" | "int64" | "int32" | "uint8" | "bool";

/** ONNX `TensorProto.DataType` codes. */
export const onnxDataType: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

export const byteSize: Readonly<Record<DType, number>> = {
  float32: 4,
  int32: 4,
  int64: 8,
  uint8: 1,
  bool: 1,
  float64: 8,
};

export function isFloat(dtype: DType): dtype is "float32" | "float64" {
  return dtype === "float32" || dtype === "float64";
}

/** The host array type that holds elements of a dtype (bool as one byte per element, as ORT does). */
export interface HostArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}
export type HostArray = HostArrayFor[DType];

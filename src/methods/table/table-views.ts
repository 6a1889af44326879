import { type Batch, batchField } from "../../data/loader.js";
import { type SampleSpec, describeSpec } from "../../data/sample.js";

/** F, the features of a table spec's rows, or a one-line error naming `who`. */
export function rowWidth(spec: SampleSpec, who: string): number {
  const field = spec.modality === "table" ? spec.fields[spec.input] : undefined;
  if (field === undefined || field.shape.length !== 1 || field.dtype !== "float32") throw new Error(`${who} needs table rows; the data is ${describeSpec(spec)}`);
  return field.shape[0] as number;
}

/** A batch's rows, `[N, F]` row-major. */
export function batchRows(batch: Batch, who: string): { rows: Float32Array; n: number; d: number } {
  const field = batchField(batch, "row", "float32", who);
  const [n, d] = field.shape as [number, number];
  return { rows: field.data, n, d };
}

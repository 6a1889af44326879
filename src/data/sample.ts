/**
 * The one data contract of every modality: a dataset declares what one sample is, as named tensors
 * with static shapes and dtypes, and everything downstream (loaders, methods, `pretrain`,
 * evaluation, the CLI and the report) reads that declaration instead of assuming images.
 *
 * | modality | fields of one sample |
 * | --- | --- |
 * | image | `image: float32[C, H, W]` |
 * | text | `tokens: int64[T]` (padding is the tokenizer's pad id 0, so no mask field is needed) |
 * | audio | `logmel: float32[1, M, T]` (M mel bands × T frames of a fixed-length clip; the in-graph featurizer maps `wave: float32[1, S]` to it) |
 * | table | `row: float32[F]` |
 */

/** What kind of data a sample is: it decides the methods, encoders, baselines and report views that apply. */
export type Modality = "image" | "text" | "audio" | "table";

export const MODALITIES: readonly Modality[] = ["image", "text", "audio", "table"];

/** The element types a sample field can have (what ONNX steps take: float features, int64 ids). */
export type FieldDType = "float32" | "int64";

/** The host array holding a field's values. */
export interface FieldArrayFor {
  float32: Float32Array;
  int64: BigInt64Array;
}
export type FieldArray = FieldArrayFor[FieldDType];

/** The static shape (without the batch axis) and dtype of one named tensor of a sample. */
export interface FieldSpec {
  readonly shape: readonly number[];
  readonly dtype: FieldDType;
}

/** What one sample of a dataset is. */
export interface SampleSpec {
  readonly modality: Modality;
  /** The field an encoder reads: `image`, `tokens`, `wave`, `row`. */
  readonly input: string;
  /** Every field of a sample, the input among them. */
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

/** One example: its fields (views into the dataset's storage: read, do not write) and, when labeled, its class. */
export interface Sample {
  readonly fields: Readonly<Record<string, FieldArray>>;
  readonly label?: number;
}

/** `[channels, height, width]` of an image sample. */
export type ImageShape = readonly [number, number, number];

/** The spec of `[C, H, W]` float images. */
export function imageSpec(shape: ImageShape): SampleSpec {
  return { modality: "image", input: "image", fields: { image: { shape: checkedShape(shape, 3, "an image"), dtype: "float32" } } };
}

/** The spec of token-id sequences of length `length`. */
export function textSpec(length: number): SampleSpec {
  return { modality: "text", input: "tokens", fields: { tokens: { shape: checkedShape([length], 1, "a token sequence"), dtype: "int64" } } };
}

/** `[mel bands, frames]` of an audio clip's log-mel spectrogram. */
export type SpectrogramShape = readonly [number, number];

/** The spec of fixed-length audio clips as log-mel spectrograms, `logmel: float32[1, mels, frames]`. */
export function audioSpec(mels: number, frames: number): SampleSpec {
  return { modality: "audio", input: "logmel", fields: { logmel: { shape: checkedShape([1, mels, frames], 3, "a log-mel spectrogram"), dtype: "float32" } } };
}

/** The spec of table rows of `features` numbers. */
export function tableSpec(features: number): SampleSpec {
  return { modality: "table", input: "row", fields: { row: { shape: checkedShape([features], 1, "a table row"), dtype: "float32" } } };
}

/** The input field's spec. */
export function inputField(spec: SampleSpec): FieldSpec {
  const field = spec.fields[spec.input];
  if (field === undefined) throw new Error(`sample spec: the input field "${spec.input}" is not among its fields (${Object.keys(spec.fields).join(", ")})`);
  return field;
}

/** Values in one sample's input field. */
export function inputSize(spec: SampleSpec): number {
  return inputField(spec).shape.reduce((a, b) => a * b, 1);
}

/**
 * `[C, H, W]` of an image spec; for any other modality a one-line error saying who needs images,
 * e.g. `imageShape(spec, "method simclr")` → "method simclr needs images; the data is text".
 */
export function imageShape(spec: SampleSpec, who: string): ImageShape {
  const field = spec.modality === "image" ? spec.fields[spec.input] : undefined;
  if (field === undefined || field.shape.length !== 3) throw new Error(`${who} needs images; the data is ${describeSpec(spec)}`);
  return [field.shape[0] as number, field.shape[1] as number, field.shape[2] as number];
}

/** `[mels, frames]` of an audio spec, or a one-line error naming `who`. */
export function spectrogramShape(spec: SampleSpec, who: string): SpectrogramShape {
  const field = spec.modality === "audio" ? spec.fields[spec.input] : undefined;
  if (field === undefined || field.shape.length !== 3 || field.shape[0] !== 1) throw new Error(`${who} needs audio (log-mel spectrograms); the data is ${describeSpec(spec)}`);
  return [field.shape[1] as number, field.shape[2] as number];
}

/** The length T of a text spec's token sequences, or a one-line error naming `who`. */
export function sequenceLength(spec: SampleSpec, who: string): number {
  const field = spec.modality === "text" ? spec.fields[spec.input] : undefined;
  if (field === undefined || field.shape.length !== 1 || field.dtype !== "int64") throw new Error(`${who} needs token sequences; the data is ${describeSpec(spec)}`);
  return field.shape[0] as number;
}

/** "text (tokens int64[128])", "image (image float32[1, 28, 28])": for messages. */
export function describeSpec(spec: SampleSpec): string {
  const fields = Object.entries(spec.fields).map(([name, f]) => `${name} ${f.dtype}[${f.shape.join(", ")}]`);
  return `${spec.modality} (${fields.join(", ")})`;
}

/** Whether two specs describe the same samples (same modality, fields, shapes and dtypes). */
export function sameSpec(a: SampleSpec, b: SampleSpec): boolean {
  return describeSpec(a) === describeSpec(b) && a.input === b.input;
}

/** The empty array of a field's dtype. */
export function fieldArray(dtype: FieldDType, length: number): FieldArray {
  return dtype === "int64" ? new BigInt64Array(length) : new Float32Array(length);
}

/** A spec saved as JSON (`JSON.stringify(spec)`), checked field by field; null when it is not one. */
export function parseSampleSpec(json: string): SampleSpec | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { modality, input, fields } = value as Record<string, unknown>;
  if (typeof modality !== "string" || !(MODALITIES as readonly string[]).includes(modality) || typeof input !== "string") return null;
  if (typeof fields !== "object" || fields === null) return null;
  const out: Record<string, FieldSpec> = {};
  for (const [name, f] of Object.entries(fields)) {
    if (typeof f !== "object" || f === null) return null;
    const { shape, dtype } = f as Record<string, unknown>;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0) || (dtype !== "float32" && dtype !== "int64")) return null;
    out[name] = { shape: shape as number[], dtype };
  }
  if (!(input in out)) return null;
  return { modality: modality as Modality, input, fields: out };
}

function checkedShape(shape: readonly number[], rank: number, what: string): number[] {
  if (shape.length !== rank || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${what} must have a shape of ${rank} positive integer${rank === 1 ? "" : "s"}, got [${shape.join(", ")}]`);
  }
  return [...shape];
}

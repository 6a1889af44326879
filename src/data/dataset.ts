import { type FieldArray, type FieldSpec, type Sample, type SampleSpec, fieldArray } from "./sample.js";

/**
 * A fixed-size, indexable collection of samples of one spec (images, token sequences, table rows).
 * SSL methods ignore the labels; probes and evaluation use them.
 */
export interface Dataset {
  readonly length: number;
  /** What every sample is: its modality and named fields (see `SampleSpec`). */
  readonly spec: SampleSpec;
  /** Number of classes when the data is labeled (labels are 0..numClasses-1). */
  readonly numClasses?: number;
  /** All labels, in index order, when the data is labeled. */
  readonly labels?: Int32Array;
  /** The name of each class id, when known (folder names, label values, fortune categories). */
  readonly classNames?: readonly string[];
  /** The sample at `index` (0 ≤ index < length). */
  get(index: number): Sample;
  /**
   * The samples at `indices`, in order, for datasets that load asynchronously (images decoded
   * from disk on demand) and whose `get` serves only what is already loaded. The DataLoader's
   * async iterator and `batchAsync` use it when present.
   */
  loadBatch?(indices: ArrayLike<number>): Promise<Sample[]>;
}

export interface ArrayDatasetOptions {
  readonly spec: SampleSpec;
  /** Each field's values for all N samples, `[N, ...field shape]` row-major, of the field's dtype. */
  readonly fields: Readonly<Record<string, FieldArray>>;
  /** `[N]` class labels. */
  readonly labels?: Int32Array;
  /** Defaults to max(label) + 1 when labels are given. */
  readonly numClasses?: number;
  readonly classNames?: readonly string[];
}

/**
 * A dataset held in one typed array per field. `subset(indices)` shares those arrays: a subset
 * stores only its indices (and its own labels), so splits and label subsets of a large dataset
 * cost no copies.
 */
export class ArrayDataset implements Dataset {
  readonly spec: SampleSpec;
  readonly numClasses?: number;
  readonly classNames?: readonly string[];
  readonly #fields: ReadonlyMap<string, { readonly values: FieldArray; readonly size: number }>;
  /** Row of the field arrays for each index, or null for the identity (set only by `subset`). */
  #rows: Int32Array | null = null;
  #labels: Int32Array | undefined;
  #length: number;

  constructor(options: ArrayDatasetOptions) {
    const { spec, labels } = options;
    const fields = new Map<string, { values: FieldArray; size: number }>();
    let length: number | null = null;
    for (const [name, field] of Object.entries(spec.fields)) {
      const values = options.fields[name];
      if (values === undefined) throw new Error(`ArrayDataset: no values for field "${name}"`);
      checkDType(name, field, values);
      const size = field.shape.reduce((a, b) => a * b, 1);
      if (values.length % size !== 0) {
        throw new Error(`ArrayDataset: ${values.length} values of "${name}" are not a whole number of [${field.shape.join(", ")}] samples`);
      }
      const n = values.length / size;
      if (length !== null && n !== length) throw new Error(`ArrayDataset: field "${name}" has ${n} samples, the others ${length}`);
      length = n;
      fields.set(name, { values, size });
    }
    for (const name of Object.keys(options.fields)) if (!(name in spec.fields)) throw new Error(`ArrayDataset: field "${name}" is not in the spec`);
    if (length === null) throw new Error("ArrayDataset: the spec has no fields");
    if (labels !== undefined && labels.length !== length) throw new Error(`ArrayDataset: ${labels.length} labels for ${length} samples`);
    let numClasses = options.numClasses;
    if (labels !== undefined) {
      let max = -1;
      for (const y of labels) {
        if (y < 0) throw new Error(`ArrayDataset: negative label ${y}`);
        if (y > max) max = y;
      }
      if (numClasses === undefined) numClasses = max + 1;
      else if (max >= numClasses) throw new Error(`ArrayDataset: label ${max} out of range for ${numClasses} classes`);
    }
    this.spec = spec;
    this.#fields = fields;
    this.#length = length;
    this.#labels = labels;
    if (numClasses !== undefined) this.numClasses = numClasses;
    if (options.classNames !== undefined) this.classNames = options.classNames;
  }

  get length(): number {
    return this.#length;
  }

  get labels(): Int32Array | undefined {
    return this.#labels;
  }

  get(index: number): Sample {
    const row = this.#row(index);
    const fields: Record<string, FieldArray> = {};
    for (const [name, { values, size }] of this.#fields) fields[name] = values.subarray(row * size, (row + 1) * size);
    const label = this.#labels?.[index];
    return label === undefined ? { fields } : { fields, label };
  }

  /**
   * The samples at `indices`, in that order (repeats allowed), sharing this dataset's arrays.
   * Labels, `numClasses` and `classNames` carry over, so a class missing from the subset keeps its id.
   */
  subset(indices: ArrayLike<number>): ArrayDataset {
    const rows = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) rows[i] = this.#row(indices[i] as number);
    const fields = Object.fromEntries([...this.#fields].map(([name, f]) => [name, f.values]));
    const view = new ArrayDataset({
      spec: this.spec,
      fields,
      ...(this.numClasses === undefined ? {} : { numClasses: this.numClasses }),
      ...(this.classNames === undefined ? {} : { classNames: this.classNames }),
    });
    view.#rows = rows;
    view.#length = rows.length;
    if (this.#labels !== undefined) {
      const labels = new Int32Array(indices.length);
      for (let i = 0; i < indices.length; i++) labels[i] = this.#labels[indices[i] as number] as number;
      view.#labels = labels;
    }
    return view;
  }

  /** Copies one field of every sample, in index order, into one new `[N, ...shape]` array (the input field by default). */
  toArray(field: string = this.spec.input): FieldArray {
    const f = this.#fields.get(field);
    if (f === undefined) throw new Error(`ArrayDataset: no field "${field}"`);
    if (this.#rows === null) return f.values.slice();
    const out = fieldArray((this.spec.fields[field] as FieldSpec).dtype, this.#length * f.size);
    for (let i = 0; i < this.#length; i++) copyRow(out, i * f.size, f.values, (this.#rows[i] as number) * f.size, f.size);
    return out;
  }

  #row(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) {
      throw new RangeError(`ArrayDataset: index ${index} out of range [0, ${this.#length})`);
    }
    return this.#rows === null ? index : (this.#rows[index] as number);
  }
}

function checkDType(name: string, field: FieldSpec, values: FieldArray): void {
  const ok = field.dtype === "int64" ? values instanceof BigInt64Array : values instanceof Float32Array;
  if (!ok) throw new Error(`ArrayDataset: field "${name}" is ${field.dtype}, its values are a ${values.constructor.name}`);
}

function copyRow(out: FieldArray, at: number, from: FieldArray, start: number, size: number): void {
  if (out instanceof BigInt64Array && from instanceof BigInt64Array) out.set(from.subarray(start, start + size), at);
  else if (out instanceof Float32Array && from instanceof Float32Array) out.set(from.subarray(start, start + size), at);
  else throw new Error("ArrayDataset: a field's arrays changed type");
}

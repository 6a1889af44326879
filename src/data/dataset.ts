/** One example: an image in CHW layout and, for labeled data, its class. */
export interface Sample {
  /** `[C, H, W]` values, row-major; may be a view into the dataset's storage: read, do not write. */
  readonly image: Float32Array;
  readonly label?: number;
}

/** `[channels, height, width]` of every sample in a dataset. */
export type SampleShape = readonly [number, number, number];

/**
 * A fixed-size, indexable collection of images of one shape. SSL methods ignore the labels;
 * probes and evaluation use them.
 */
export interface Dataset {
  readonly length: number;
  readonly sampleShape: SampleShape;
  /** Number of classes when the data is labeled (labels are 0..numClasses-1). */
  readonly numClasses?: number;
  /** All labels, in index order, when the data is labeled. */
  readonly labels?: Int32Array;
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
  /** `[N, C, H, W]` values, row-major. */
  images: Float32Array;
  sampleShape: SampleShape;
  /** `[N]` class labels. */
  labels?: Int32Array;
  /** Defaults to max(label) + 1 when labels are given. */
  numClasses?: number;
}

/**
 * A dataset held in one Float32Array. `subset(indices)` shares that array: a subset stores only
 * its indices (and its own labels), so splits and label-subsets of a large dataset cost no pixel
 * copies.
 */
export class ArrayDataset implements Dataset {
  readonly sampleShape: SampleShape;
  readonly numClasses?: number;
  readonly #images: Float32Array;
  readonly #sampleSize: number;
  /** Row of `#images` for each index, or null for the identity (set only by `subset`). */
  #rows: Int32Array | null = null;
  #labels: Int32Array | undefined;
  #length: number;

  constructor(options: ArrayDatasetOptions) {
    const { images, sampleShape, labels } = options;
    if (sampleShape.length !== 3 || !sampleShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`ArrayDataset: sampleShape must be [C, H, W] of positive integers, got [${sampleShape.join(", ")}]`);
    }
    const sampleSize = sampleShape[0] * sampleShape[1] * sampleShape[2];
    if (images.length % sampleSize !== 0) {
      throw new Error(`ArrayDataset: ${images.length} values are not a whole number of [${sampleShape.join(", ")}] samples`);
    }
    const length = images.length / sampleSize;
    if (labels !== undefined && labels.length !== length) {
      throw new Error(`ArrayDataset: ${labels.length} labels for ${length} samples`);
    }
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
    this.#images = images;
    this.#sampleSize = sampleSize;
    this.#length = length;
    this.#labels = labels;
    this.sampleShape = [sampleShape[0], sampleShape[1], sampleShape[2]];
    if (numClasses !== undefined) this.numClasses = numClasses;
  }

  get length(): number {
    return this.#length;
  }

  get labels(): Int32Array | undefined {
    return this.#labels;
  }

  get(index: number): Sample {
    const row = this.#row(index);
    const image = this.#images.subarray(row * this.#sampleSize, (row + 1) * this.#sampleSize);
    const label = this.#labels?.[index];
    return label === undefined ? { image } : { image, label };
  }

  /**
   * The samples at `indices`, in that order (repeats allowed), sharing this dataset's pixels.
   * Labels and `numClasses` carry over, so a class missing from the subset keeps its id.
   */
  subset(indices: ArrayLike<number>): ArrayDataset {
    const rows = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) rows[i] = this.#row(indices[i] as number);
    const view = new ArrayDataset({ images: this.#images, sampleShape: this.sampleShape, ...this.#classes() });
    view.#rows = rows;
    view.#length = rows.length;
    if (this.#labels !== undefined) {
      const labels = new Int32Array(indices.length);
      for (let i = 0; i < indices.length; i++) labels[i] = this.#labels[indices[i] as number] as number;
      view.#labels = labels;
    }
    return view;
  }

  /** Copies the samples, in index order, into one new `[N, C, H, W]` array. */
  toArray(): Float32Array {
    if (this.#rows === null) return this.#images.slice();
    const out = new Float32Array(this.#length * this.#sampleSize);
    for (let i = 0; i < this.#length; i++) out.set(this.get(i).image, i * this.#sampleSize);
    return out;
  }

  #classes(): { numClasses?: number } {
    return this.numClasses === undefined ? {} : { numClasses: this.numClasses };
  }

  #row(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) {
      throw new RangeError(`ArrayDataset: index ${index} out of range [0, ${this.#length})`);
    }
    return this.#rows === null ? index : (this.#rows[index] as number);
  }
}

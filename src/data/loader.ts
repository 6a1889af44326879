import type { Rng } from "../random/rng.js";
import type { Dataset } from "./dataset.js";
import { type FieldArray, type FieldArrayFor, type FieldDType, type Sample, type SampleSpec, fieldArray } from "./sample.js";
import { deriveRng } from "./seeding.js";

/** One field of a batch: `[B, ...field shape]` values, row-major (what a step is fed as a tensor). */
export interface FieldBatch<D extends FieldDType = FieldDType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  /** A fresh array the consumer may keep or modify. */
  readonly data: FieldArrayFor[D];
}

/** A batch in the layout a compiled step is fed. */
export interface Batch {
  /** Rows in the batch. */
  readonly size: number;
  /** What its samples are. */
  readonly spec: SampleSpec;
  /** Every field of the spec, stacked on a new first axis. */
  readonly fields: Readonly<Record<string, FieldBatch>>;
  /** `[B]` class ids as int64 (what ONNX Gather/OneHot take), or null for unlabeled data. */
  readonly labels: BigInt64Array | null;
  /** `[B]` dataset indices of the rows, e.g. to look up samples or write embeddings back. */
  readonly indices: Int32Array;
  readonly epoch: number;
  readonly batchIndex: number;
}

/** Where a loader is: the next batch it yields is batch `batchIndex` of epoch `epoch`. */
export interface LoaderPosition {
  readonly epoch: number;
  readonly batchIndex: number;
}

export interface DataLoaderOptions<T = Batch> {
  batchSize: number;
  /** Reshuffle every epoch; false keeps dataset order (evaluation, embedding export). */
  shuffle?: boolean;
  seed?: number;
  /**
   * Skip the last, smaller batch of an epoch. Default true: a static-shape compiled step takes
   * one batch size, and batch-norm/contrastive losses are skewed by a tiny final batch.
   */
  dropLast?: boolean;
  /**
   * Applied to each assembled batch with a generator derived from (seed, epoch, batchIndex), so
   * augmentations replay exactly on resume and do not depend on prefetching.
   */
  transform?: (batch: Batch, rng: Rng) => T;
  /**
   * Batches the async iterator prepares ahead, while the consumer awaits its work. Default 8:
   * `fit` takes up to 8 batches into one call into the runtime, and all of the next call's should
   * be ready when it ends. Each costs its memory until it is handed out.
   */
  prefetch?: number;
}

// Stream ids keep the shuffle and transform generators of one (seed, epoch) unrelated.
const SHUFFLE_STREAM = 1;
const TRANSFORM_STREAM = 2;

/**
 * Seeded, resumable batching over a dataset. Every batch is a pure function of
 * (seed, epoch, batchIndex): epoch e's order is `deriveRng(seed, SHUFFLE, e).permutation(N)`,
 * so any batch can be rebuilt without replaying earlier ones. That makes `position` a complete
 * checkpoint and lets the async iterator prefetch without touching the state.
 *
 * `for (const batch of loader)` yields the rest of the current epoch and leaves the position at
 * the start of the next; `next()` steps through epochs without end.
 */
export class DataLoader<T = Batch> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly #transform: ((batch: Batch, rng: Rng) => T) | undefined;
  #position: LoaderPosition = { epoch: 0, batchIndex: 0 };
  /** The permutation of the most recently used epoch (building one is O(N)). */
  #order: { epoch: number; indices: Int32Array } | null = null;

  constructor(dataset: Dataset, options: DataLoaderOptions<T>) {
    const { batchSize, shuffle = true, seed = 0, dropLast = true, transform, prefetch = 8 } = options;
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new Error(`DataLoader: prefetch must be an integer >= 0, got ${prefetch}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isSafeInteger(seed)) throw new Error(`DataLoader: seed must be an integer, got ${seed}`);
    if (dataset.length === 0) throw new Error("DataLoader: the dataset is empty");
    if (dropLast && dataset.length < batchSize) {
      throw new Error(`DataLoader: dropLast with batchSize ${batchSize} leaves no batch of ${dataset.length} samples`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    this.prefetch = prefetch;
    this.#transform = transform;
  }

  /** Batches in one epoch. */
  get batchesPerEpoch(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The next batch's place; save it in a checkpoint and restore it with `seek`. */
  get position(): LoaderPosition {
    return { ...this.#position };
  }

  /** Moves so that the next batch is `position`'s; `batchIndex` equal to `batchesPerEpoch` means the next epoch's start. */
  seek(position: LoaderPosition): void {
    const { epoch, batchIndex } = position;
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new Error(`DataLoader.seek: bad epoch ${epoch}`);
    if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex > this.batchesPerEpoch) {
      throw new Error(`DataLoader.seek: batchIndex ${batchIndex} outside [0, ${this.batchesPerEpoch}]`);
    }
    this.#position = this.#normalize(epoch, batchIndex);
  }

  /** Dataset indices in epoch `epoch`'s order (identity without shuffling); a copy. */
  order(epoch: number): Int32Array {
    return this.#orderOf(epoch).slice();
  }

  #orderOf(epoch: number): Int32Array {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`DataLoader: bad epoch ${epoch}`);
    if (this.#order?.epoch !== epoch) {
      const n = this.dataset.length;
      let indices: Int32Array;
      if (this.shuffle) indices = deriveRng(this.seed, SHUFFLE_STREAM, epoch).permutation(n);
      else {
        indices = new Int32Array(n);
        for (let i = 0; i < n; i++) indices[i] = i;
      }
      this.#order = { epoch, indices };
    }
    return this.#order.indices;
  }

  /** Batch `batchIndex` of epoch `epoch`, built fresh; does not move the position. */
  batch(epoch: number, batchIndex: number): T {
    if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= this.batchesPerEpoch) {
      throw new RangeError(`DataLoader: batchIndex ${batchIndex} outside [0, ${this.batchesPerEpoch})`);
    }
    const order = this.#orderOf(epoch);
    const start = batchIndex * this.batchSize;
    const indices = order.slice(start, Math.min(start + this.batchSize, order.length));
    const batch = this.#assemble(indices, epoch, batchIndex);
    // Without a transform T is Batch (the default type argument), so the batch is the item.
    return this.#transform === undefined ? (batch as T) : this.#transform(batch, deriveRng(this.seed, TRANSFORM_STREAM, epoch, batchIndex));
  }

  /**
   * `batch`, with the samples loaded by the dataset's `loadBatch` when it has one (a streamed
   * image folder); the same batch as `batch` otherwise.
   */
  async batchAsync(epoch: number, batchIndex: number): Promise<T> {
    if (this.dataset.loadBatch === undefined) return this.batch(epoch, batchIndex);
    if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= this.batchesPerEpoch) {
      throw new RangeError(`DataLoader: batchIndex ${batchIndex} outside [0, ${this.batchesPerEpoch})`);
    }
    const order = this.#orderOf(epoch);
    const start = batchIndex * this.batchSize;
    const indices = order.slice(start, Math.min(start + this.batchSize, order.length));
    const samples = await this.dataset.loadBatch(indices);
    const batch = this.#assemble(indices, epoch, batchIndex, samples);
    return this.#transform === undefined ? (batch as T) : this.#transform(batch, deriveRng(this.seed, TRANSFORM_STREAM, epoch, batchIndex));
  }

  /** The batch at the position, then advances (into the next epoch after the last batch). */
  next(): T {
    const { epoch, batchIndex } = this.#position;
    const batch = this.batch(epoch, batchIndex);
    this.#position = this.#normalize(epoch, batchIndex + 1);
    return batch;
  }

  /** The rest of the current epoch. */
  *[Symbol.iterator](): Generator<T, void, undefined> {
    const { epoch } = this.#position;
    while (this.#position.epoch === epoch) yield this.next();
  }

  /**
   * The rest of the current epoch, with the next `prefetch` batches assembled while the consumer
   * awaits its work. NOTE: the position advances only when a batch is handed out, so breaking out
   * of the loop (or checkpointing inside it) discards the prefetched batches and loses nothing.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    const { epoch } = this.#position;
    const streamed = this.dataset.loadBatch !== undefined;
    // Batches batchIndex + 1, batchIndex + 2, … in preparation, in order.
    const ahead: Promise<T>[] = [];
    while (this.#position.epoch === epoch) {
      const { batchIndex } = this.#position;
      const prepared = ahead.shift();
      const batch: T = prepared !== undefined ? await prepared : streamed ? await this.batchAsync(epoch, batchIndex) : this.batch(epoch, batchIndex);
      for (let next = batchIndex + 1 + ahead.length; next < this.batchesPerEpoch && ahead.length < this.prefetch; next++) {
        const pending = streamed ? this.batchAsync(epoch, next) : prepareSoon(() => this.batch(epoch, next));
        // Marks a failure as handled until it is awaited, so an abandoned prefetch does not
        // raise an unhandled rejection; the error still surfaces on the next iteration.
        pending.catch(() => undefined);
        ahead.push(pending);
      }
      // A seek() by the consumer while holding this batch must win over the prefetch.
      const expected = this.#normalize(epoch, batchIndex + 1);
      this.#position = expected;
      yield batch;
      if (this.#position.epoch !== expected.epoch || this.#position.batchIndex !== expected.batchIndex) ahead.length = 0;
    }
  }

  #normalize(epoch: number, batchIndex: number): LoaderPosition {
    return batchIndex >= this.batchesPerEpoch ? { epoch: epoch + 1, batchIndex: 0 } : { epoch, batchIndex };
  }

  #assemble(indices: Int32Array, epoch: number, batchIndex: number, loaded?: readonly Sample[]): Batch {
    const { spec } = this.dataset;
    const b = indices.length;
    const fields = Object.entries(spec.fields).map(([name, f]) => {
      const size = f.shape.reduce((x, y) => x * y, 1);
      return { name, spec: f, size, data: fieldArray(f.dtype, b * size) };
    });
    let labels: BigInt64Array | null = null;
    for (let r = 0; r < b; r++) {
      const index = indices[r] as number;
      const sample = loaded === undefined ? this.dataset.get(index) : loaded[r];
      if (sample === undefined) throw new Error(`DataLoader: loadBatch returned ${loaded?.length} samples for ${b} indices`);
      for (const f of fields) {
        const values = sample.fields[f.name];
        if (values === undefined || values.length !== f.size) {
          throw new Error(`DataLoader: sample ${index} has ${values === undefined ? "no" : values.length} values of "${f.name}", expected ${f.spec.dtype}[${f.spec.shape.join(", ")}]`);
        }
        setRow(f.data, values, r * f.size, index, f.name);
      }
      const label = sample.label;
      if (r === 0 && label !== undefined) labels = new BigInt64Array(b);
      if (labels !== null && label !== undefined) labels[r] = BigInt(label);
      else if (labels !== null || label !== undefined) throw new Error(`DataLoader: sample ${index} is labeled unlike the rest of its batch`);
    }
    const stacked: Record<string, FieldBatch> = {};
    for (const f of fields) stacked[f.name] = { dtype: f.spec.dtype, shape: [b, ...f.spec.shape], data: f.data } as FieldBatch;
    return { size: b, spec, fields: stacked, labels, indices, epoch, batchIndex };
  }
}

function setRow(out: FieldArray, values: FieldArray, at: number, index: number, name: string): void {
  if (out instanceof Float32Array && values instanceof Float32Array) out.set(values, at);
  else if (out instanceof BigInt64Array && values instanceof BigInt64Array) out.set(values, at);
  else throw new Error(`DataLoader: sample ${index}'s "${name}" is a ${values.constructor.name}, unlike its spec`);
}

/**
 * A batch's field `name` as `[B, ...]` values of `dtype`, or a one-line error naming `who`
 * (`batchField(batch, "image", "float32", "simclr")`).
 */
export function batchField<D extends FieldDType>(batch: Batch, name: string, dtype: D, who: string): FieldBatch<D> {
  const field = batch.fields[name];
  if (field === undefined) throw new Error(`${who} needs the field "${name}"; the batch has ${Object.keys(batch.fields).join(", ") || "none"}`);
  if (field.dtype !== dtype) throw new Error(`${who} needs "${name}" as ${dtype}, the batch has ${field.dtype}`);
  return field as FieldBatch<D>;
}

/** Runs `make` on a later turn of the event loop, after the consumer's pending work has started. */
function prepareSoon<T>(make: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const run = (): void => {
      try {
        resolve(make());
      } catch (error) {
        reject(error);
      }
    };
    if (typeof setImmediate === "function") setImmediate(run);
    else setTimeout(run, 0);
  });
}

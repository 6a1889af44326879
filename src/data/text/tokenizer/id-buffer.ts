/** A growable Int32Array, for token ids and offsets whose count is known only at the end. */
export class IdBuffer {
  #data: Int32Array;
  #length = 0;

  constructor(capacity = 16) {
    this.#data = new Int32Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#data.length) this.#grow(this.#length + 1);
    this.#data[this.#length++] = value;
  }

  /** Appends `values[0 … n)`. */
  pushAll(values: Int32Array, n = values.length): void {
    if (this.#length + n > this.#data.length) this.#grow(this.#length + n);
    this.#data.set(n === values.length ? values : values.subarray(0, n), this.#length);
    this.#length += n;
  }

  /** A copy of the values, exactly as long as them. */
  toArray(): Int32Array {
    return this.#data.slice(0, this.#length);
  }

  #grow(needed: number): void {
    const data = new Int32Array(Math.max(needed, 2 * this.#data.length));
    data.set(this.#data.subarray(0, this.#length));
    this.#data = data;
  }
}

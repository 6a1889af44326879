/**
 * A sparse `[rows, cols]` matrix in compressed sparse row form, laid out as scipy's `csr_matrix`:
 * row r's nonzeros sit at positions `indptr[r] … indptr[r + 1]` of `indices` (their columns,
 * ascending within a row) and `values`. TF-IDF rows of ~30,000 documents over a 50,000-term
 * vocabulary hold a few million nonzeros where a dense matrix would hold 1.5 billion entries.
 */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** `[rows + 1]`, non-decreasing, from 0 to the number of nonzeros. */
  readonly indptr: Int32Array;
  /** `[nnz]` column of each nonzero. */
  readonly indices: Int32Array;
  /** `[nnz]` */
  readonly values: Float32Array | Float64Array;
}

/** Rows `rows` of `x`, in that order, as a new matrix with the same columns. */
export function csrTakeRows(x: CsrMatrix, rows: ArrayLike<number>): CsrMatrix {
  let nnz = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    if (!Number.isInteger(r) || r < 0 || r >= x.rows) throw new RangeError(`csrTakeRows: row ${r} is outside [0, ${x.rows})`);
    nnz += (x.indptr[r + 1] as number) - (x.indptr[r] as number);
  }
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = x.values instanceof Float32Array ? new Float32Array(nnz) : new Float64Array(nnz);
  let at = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    const begin = x.indptr[r] as number;
    const end = x.indptr[r + 1] as number;
    indices.set(x.indices.subarray(begin, end), at);
    values.set(x.values.subarray(begin, end), at);
    at += end - begin;
    indptr[i + 1] = at;
  }
  return { rows: rows.length, cols: x.cols, indptr, indices, values };
}

/** The dense `[rows, cols]` row-major copy of a small matrix (tests, debugging). */
export function csrToDense(x: CsrMatrix): Float64Array {
  const out = new Float64Array(x.rows * x.cols);
  for (let r = 0; r < x.rows; r++) {
    for (let p = x.indptr[r] as number; p < (x.indptr[r + 1] as number); p++) out[r * x.cols + (x.indices[p] as number)] = x.values[p] as number;
  }
  return out;
}

/**
 * Checks the invariants the sparse kernels rely on: `indptr` runs from 0 to nnz without going
 * down, every column lies in [0, cols) and columns ascend strictly within a row.
 *
 * @throws naming the first broken invariant
 */
export function checkCsr(x: CsrMatrix, name = "matrix"): void {
  const { rows, cols, indptr, indices, values } = x;
  if (indptr.length !== rows + 1) throw new Error(`${name}: indptr has ${indptr.length} entries for ${rows} rows`);
  const nnz = indptr[rows] as number;
  if (indptr[0] !== 0 || indices.length !== nnz || values.length !== nnz) {
    throw new Error(`${name}: indptr runs from ${indptr[0]} to ${nnz}, with ${indices.length} indices and ${values.length} values`);
  }
  for (let r = 0; r < rows; r++) {
    const begin = indptr[r] as number;
    const end = indptr[r + 1] as number;
    if (end < begin) throw new Error(`${name}: indptr decreases at row ${r}`);
    for (let p = begin; p < end; p++) {
      const c = indices[p] as number;
      if (c < 0 || c >= cols) throw new Error(`${name}: row ${r} has column ${c}, outside [0, ${cols})`);
      if (p > begin && c <= (indices[p - 1] as number)) throw new Error(`${name}: row ${r}'s columns do not ascend at ${c}`);
    }
  }
}

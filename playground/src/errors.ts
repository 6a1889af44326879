/** wasm32's ceiling: ORT's heap can grow to 4 GiB and no further. */
const WASM_MAX_MB = 4096;

/** What the failed run was: the settings the out-of-memory advice names. */
export interface FailedRun {
  readonly batchSize: number;
  readonly encoder: string;
  /** The heap's ceiling when the page lowered it (`?wasmMemoryMB=`), else null. */
  readonly memoryLimitMB: number | null;
}

/**
 * What the page says when a run fails: a wasm allocation failure names the batch size to lower
 * (with ORT's own words after it, cut to a line); anything else keeps its own message.
 */
export function describeError(e: unknown, run: FailedRun | null): string {
  const message = e instanceof Error ? e.message : String(e);
  // NOTE: V8 says "Array buffer allocation failed" or throws a RangeError, ORT's allocator "failed
  // to allocate" / "bad_alloc" (malloc returns null once the heap cannot grow), and a grown-out
  // heap traps with "memory access out of bounds".
  const outOfMemory = e instanceof RangeError || /out of memory|memory access out of bounds|Array buffer allocation failed|failed to allocate|bad_alloc|bad allocation/i.test(message);
  if (outOfMemory && run !== null) {
    const { batchSize, encoder, memoryLimitMB } = run;
    const ceiling = memoryLimitMB === null ? "4 GiB at most" : `${memoryLimitMB} MB here, set by ?wasmMemoryMB=; ${WASM_MAX_MB / 1024} GiB at most`;
    const said = message.split("\n")[0]?.slice(0, 200) ?? "";
    const smaller = encoder === "small-cnn" ? " or pick the mlp encoder" : "";
    return `onnxruntime-web ran out of wasm memory (${ceiling}) at batch size ${batchSize}: lower the batch size (try ${Math.max(4, Math.floor(batchSize / 2))})${smaller}. ORT said: ${said}`;
  }
  return message;
}

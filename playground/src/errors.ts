/** What the page says when a run fails: a wasm allocation failure names the setting to lower; anything else keeps its own message. */
export function describeError(e: unknown, batchSize: number | null): string {
  const message = e instanceof Error ? e.message : String(e);
  // NOTE: wasm32 caps ORT's heap at 4 GiB; V8 says "Array buffer allocation failed" or throws a
  // RangeError, ORT's allocator "failed to allocate" / "bad_alloc", and a grown-out heap traps
  // with "memory access out of bounds".
  const outOfMemory = e instanceof RangeError || /out of memory|memory access out of bounds|Array buffer allocation failed|failed to allocate|bad_alloc/i.test(message);
  if (outOfMemory && batchSize !== null) {
    return `onnxruntime-web ran out of wasm memory (4 GiB at most) at batch size ${batchSize}: lower the batch size (try ${Math.max(4, Math.floor(batchSize / 2))}) or pick the mlp encoder`;
  }
  return message;
}

/** WebAssembly pages are 64 KiB: 16 to a megabyte. */
const PAGES_PER_MB = 16;

/**
 * Lowers the ceiling of every `WebAssembly.Memory` made in this worker from now on to
 * `megabytes`, as a device with less memory would have. ORT's glue creates its heap with
 * `maximum: 65536` pages (4 GiB) and grows it on demand; a smaller maximum makes that growth fail
 * where it would on such a device, so ORT's own allocation error reaches the page. The
 * playground reads it from the page's `?wasmMemoryMB=` so the out-of-memory message can be
 * seen (and tested) on a machine with plenty of memory. The cap must be set before ORT's first
 * session (it creates the memory then), which is why each run gets a fresh worker anyway.
 */
export function capWasmMemory(megabytes: number): void {
  const pages = Math.max(1, Math.floor(megabytes * PAGES_PER_MB));
  const Original = WebAssembly.Memory;
  // NOTE: a shared memory must declare a maximum, and an imported one may have a smaller maximum
  // than the module declares (the limits are a subtype), so the module still links.
  class CappedMemory extends Original {
    constructor(descriptor: WebAssembly.MemoryDescriptor) {
      const maximum = Math.max(descriptor.initial, Math.min(descriptor.maximum ?? pages, pages));
      super({ ...descriptor, maximum });
    }
  }
  WebAssembly.Memory = CappedMemory;
}

/** The page's `?wasmMemoryMB=N` (a whole number ≥ 16), or null when absent; a bad value is an error naming it. */
export function memoryLimitFromQuery(search: string): { limitMB: number | null; error: string | null } {
  const raw = new URLSearchParams(search).get("wasmMemoryMB");
  if (raw === null) return { limitMB: null, error: null };
  const v = Number(raw);
  if (Number.isInteger(v) && v >= 16 && v <= 4096) return { limitMB: v, error: null };
  return { limitMB: null, error: `link: wasmMemoryMB "${raw}" is not a whole number of megabytes in 16..4096 (ignored)` };
}

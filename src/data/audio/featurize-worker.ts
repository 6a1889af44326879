// A worker thread of `featurizeFiles`: featurizes the files it is sent (through the cache) and
// sends the spectrograms back by transfer.
import { parentPort, workerData } from "node:worker_threads";
import type { AudioFeatures } from "./audio-features.js";
import { LogMelCache } from "./feature-cache.js";
import { type ClipResult, featurizeFile } from "./featurize-clip.js";

export interface FeaturizeWorkerInit {
  readonly features: AudioFeatures;
  /** The cache's root folder, or null for none. */
  readonly cacheRoot: string | null;
}

export interface FeaturizeRequest {
  readonly id: number;
  readonly files: readonly string[];
}

/** A batch's results, or (first, with no `id`) word that the worker is up. */
export type FeaturizeReply = { readonly kind: "ready" } | { readonly kind: "results"; readonly id: number; readonly results: readonly ClipResult[] };

const port = parentPort;
if (port !== null) {
  const { features, cacheRoot } = workerData as FeaturizeWorkerInit;
  const cache = cacheRoot === null ? null : new LogMelCache(cacheRoot, features);
  port.on("message", (request: FeaturizeRequest) => {
    const results: ClipResult[] = request.files.map((file) => featurizeFile(file, features, cache));
    const transfer = results.flatMap((r) => (r.ok ? [r.values.buffer as ArrayBuffer] : []));
    port.postMessage({ kind: "results", id: request.id, results } satisfies FeaturizeReply, transfer);
  });
  port.postMessage({ kind: "ready" } satisfies FeaturizeReply);
}

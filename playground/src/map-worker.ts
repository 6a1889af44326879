/// <reference lib="webworker" />
import { embeddingMap } from "../../src/browser.js";
import type { MapRequest, MapResult } from "./protocol.js";

/**
 * The embedding map's worker: UMAP (umap-js, the report's `embeddingMap`) of at most
 * `MAP_MAX_POINTS` embeddings, off both the page's thread and the training worker, so neither
 * drawing nor training waits for it. The page shows PCA (computed with the evaluation) until
 * the UMAP of that evaluation point arrives.
 */
declare const self: DedicatedWorkerGlobalScope;
const scope = self;

scope.onmessage = (event: MessageEvent<MapRequest>) => {
  const { step, embeddings, n, dim, seed, maxPoints } = event.data;
  const started = performance.now();
  try {
    const map = embeddingMap({ embeddings, n, d: dim, labels: new Int32Array(n), images: null }, { seed, maxPoints });
    const result: MapResult = { step, method: map.method, indices: map.indices, xy: map.xy, seconds: (performance.now() - started) / 1000, error: null };
    scope.postMessage(result, [map.indices.buffer, map.xy.buffer]);
  } catch (e) {
    const result: MapResult = { step, method: "pca", indices: new Int32Array(0), xy: new Float32Array(0), seconds: 0, error: `the UMAP map failed: ${e instanceof Error ? e.message : String(e)}` };
    scope.postMessage(result);
  }
};

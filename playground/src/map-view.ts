import type { Charts } from "./charts.js";
import type { PageState } from "./page-state.js";
import { MAP_MAX_POINTS, type MapRequest, type MapResult } from "./protocol.js";
import type { MapMethod } from "./settings.js";

/** What the map is of: its rows' labels and class names, and what a caption calls a point. */
export interface MapSubject {
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  /** "test images", "sentences". */
  readonly noun: string;
}

/**
 * The embedding map: each evaluation point's PCA (computed with the evaluation) is drawn at
 * once; with UMAP chosen, the point's embeddings go to the map worker and its UMAP replaces the
 * PCA when it arrives. Only the newest request waits while one runs, so a slow UMAP never queues
 * up behind training. `state.maps` records every map drawn (method, points, seconds).
 */
export class MapView {
  #worker: Worker | null = null;
  #busy = false;
  #pending: MapRequest | null = null;
  #newest = -1;
  #subject: MapSubject | null = null;

  constructor(
    private readonly charts: Charts,
    private readonly state: PageState,
    private readonly caption: HTMLElement,
    private readonly showError: (message: string) => void,
  ) {}

  /** A new run: results of the last one's requests are dropped with its worker. */
  reset(subject: MapSubject): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#busy = false;
    this.#pending = null;
    this.#newest = -1;
    this.#subject = subject;
    this.caption.textContent = `Embedding map of the ${subject.noun}: drawn at each evaluation point.`;
  }

  show(step: number, pca: Float32Array, embeddings: Float32Array, dim: number, method: MapMethod, seed: number): void {
    const subject = this.#subject;
    if (subject === null) return;
    const n = embeddings.length / dim;
    this.#newest = step;
    this.#draw({ step, method: "pca", indices: Int32Array.from({ length: n }, (_, i) => i), xy: pca, seconds: 0, error: null });
    if (method === "umap") this.#request({ step, embeddings, n, dim, seed, maxPoints: MAP_MAX_POINTS });
  }

  #request(request: MapRequest): void {
    if (this.#busy) {
      this.#pending = request;
      return;
    }
    this.#busy = true;
    this.#worker ??= this.#start();
    this.#worker.postMessage(request, [request.embeddings.buffer]);
  }

  #start(): Worker {
    const worker = new Worker(new URL("./map-worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (e: MessageEvent<MapResult>) => {
      this.#busy = false;
      if (e.data.error !== null) this.showError(e.data.error);
      // A UMAP older than the PCA shown is stale: the newer request replaces it.
      else if (e.data.step === this.#newest) this.#draw(e.data);
      const next = this.#pending;
      this.#pending = null;
      if (next !== null) this.#request(next);
    };
    worker.onerror = (e) => this.showError(`the map worker failed: ${e.message || "it could not start"}`);
    return worker;
  }

  #draw(map: MapResult): void {
    const subject = this.#subject;
    if (subject === null) return;
    this.charts.embeddingMap(map.xy, map.indices, subject.labels, subject.classNames);
    this.state.maps.push({ step: map.step, method: map.method, points: map.indices.length, seconds: map.seconds });
    this.state.mapXY = Array.from(map.xy);
    const how = map.method === "umap" ? `UMAP of ${map.indices.length} points, ${map.seconds.toFixed(1)} s in its own worker` : `PCA of ${map.indices.length} points`;
    const colour = subject.classNames.length > 1 ? ", coloured by label" : "";
    this.caption.textContent = `Embedding map of the ${subject.noun} at step ${map.step} (${how})${colour}.`;
  }
}

import type { EvaluationPoint, ProbeScores } from "./session.js";

/** What the page knows, also readable as `window.pretextPlayground` (the browser test reads it; so may the curious). */
export interface PageState {
  phase: "loading" | "ready" | "training" | "paused" | "done" | "error";
  isolated: boolean;
  threads: number | null;
  threadNote: string | null;
  losses: number[];
  /** Wall time of training at each step (seconds): the speed bench reads it. */
  elapsed: number[];
  untrained: ProbeScores | null;
  rawPixels: ProbeScores | null;
  evaluations: EvaluationPoint[];
  errors: string[];
  /** The data a run would use: where from, its classes, how many images of each class are pooled and held out, and how many images or documents in all. */
  data: { kind: "images" | "text"; source: string; classNames: string[]; poolPerClass: number[]; testPerClass: number[]; count: number } | null;
  /** A text run's search results: the documents most similar to the typed sentence, best first. */
  similar: { text: string; similarity: number }[];
  /** Every embedding map drawn, in order: PCA at each evaluation point, then its UMAP when that is chosen. */
  maps: { step: number; method: "umap" | "pca"; points: number; seconds: number }[];
  /** The map drawn last, `[points, 2]` flattened. */
  mapXY: number[] | null;
  /** The first test digits' embeddings from the trained encoder, `[n, dim]`, once a run is done. */
  sampleEmbeddings: Float32Array | null;
  dim: number;
  steps: number;
  seconds: number;
}

declare global {
  interface Window {
    pretextPlayground?: PageState;
  }
}

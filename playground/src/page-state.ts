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

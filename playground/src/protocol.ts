import type { DigitSet } from "./digits-format.js";
import type { EvaluationPoint, ProbeScores } from "./session.js";
import type { PlaygroundSettings } from "./settings.js";
import type { TextRunData } from "./text-session.js";

/** The images a run learns from: the bundled digits or a dropped folder, already split and sized. */
export interface RunData {
  readonly kind: "images";
  readonly pool: DigitSet;
  readonly test: DigitSet;
  /** `[C, H, W]` of every image. */
  readonly shape: readonly [number, number, number];
  readonly classNames: readonly string[];
  /** Where it came from, for the page ("bundled MNIST digits", "dropped folder photos/"). */
  readonly source: string;
}

/** What a run learns from: images (the digits, a dropped folder) or text (pasted, a file). */
export type AnyRunData = RunData | TextRunData;

export interface MethodInfo {
  readonly name: string;
  /** The kind of data it is offered for (the page lists the methods of the data in use). */
  readonly modality: "image" | "text";
  readonly family: string;
  readonly description: string;
  readonly paper: string;
  /** The method's numeric defaults: the options the page lets one change. */
  readonly options: Readonly<Record<string, number>>;
}

export type ToWorker =
  | {
      readonly type: "start";
      readonly settings: PlaygroundSettings;
      readonly data: AnyRunData;
      /** The page's `?wasmMemoryMB=`: a lower ceiling for ORT's wasm heap (see wasm-memory.ts), null for wasm's own 4 GiB. */
      readonly memoryLimitMB: number | null;
    }
  | { readonly type: "pause" }
  | { readonly type: "resume" }
  | { readonly type: "stop" }
  | { readonly type: "views"; readonly settings: PlaygroundSettings; readonly data: RunData; readonly count: number }
  | { readonly type: "neighbours"; readonly image: Float32Array; readonly k: number }
  | { readonly type: "similar"; readonly text: string; readonly k: number };

export interface ViewImages {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type FromWorker =
  | { readonly type: "ready"; readonly methods: readonly MethodInfo[] }
  | { readonly type: "started"; readonly threads: number; readonly threadNote: string | null }
  | { readonly type: "baselines"; readonly untrained: ProbeScores; readonly rawPixels: ProbeScores }
  | {
      readonly type: "step";
      readonly step: number;
      readonly plannedSteps: number;
      readonly loss: number;
      readonly learningRate: number | null;
      readonly metrics: Readonly<Record<string, number>>;
      readonly elapsedSeconds: number;
      readonly samplesPerSecond: number;
    }
  | { readonly type: "evaluation"; readonly point: EvaluationPoint; readonly embeddings: Float32Array; readonly dim: number }
  | {
      readonly type: "done";
      readonly steps: number;
      readonly seconds: number;
      readonly onnx: Uint8Array;
      readonly weights: Uint8Array;
      readonly config: string;
      /** A text run's `tokenizer.json`; null for images. */
      readonly tokenizer: string | null;
      /** The first test digits' (a text run: documents') embeddings from the trained encoder, `[n, dim]`. */
      readonly sampleEmbeddings: Float32Array;
      readonly dim: number;
    }
  | { readonly type: "views"; readonly views: readonly ViewImages[] }
  | { readonly type: "neighbours"; readonly indices: Int32Array; readonly similarities: Float32Array }
  /** The documents most similar to a typed sentence, as indices into the run's texts. */
  | { readonly type: "similar"; readonly indices: Int32Array; readonly similarities: Float32Array }
  | { readonly type: "error"; readonly message: string };

/** At most this many points go into a UMAP map (a seeded subsample beyond): umap-js takes ~1–3 s for 1,000 here. */
export const MAP_MAX_POINTS = 1000;

/** The page asks the map worker for the UMAP of one evaluation point's embeddings. */
export interface MapRequest {
  readonly step: number;
  /** `[n, dim]`, row-major. */
  readonly embeddings: Float32Array;
  readonly n: number;
  readonly dim: number;
  readonly seed: number;
  readonly maxPoints: number;
}

export interface MapResult {
  readonly step: number;
  /** "pca" when there were too few points for UMAP's neighbourhood graph. */
  readonly method: "umap" | "pca";
  /** Which of the n rows were mapped (ascending). */
  readonly indices: Int32Array;
  /** `[indices.length, 2]`. */
  readonly xy: Float32Array;
  readonly seconds: number;
  readonly error: string | null;
}

/// <reference lib="webworker" />
import * as ort from "onnxruntime-web";
import { type CharTokenizer, type Encoder, type StepEvent, type TextTransformer, recipeDefaults, webBackend } from "../../src/browser.js";
import { describeError } from "./errors.js";
import type { FromWorker, MethodInfo, RunData, ToWorker } from "./protocol.js";
import { type EvaluationPoint, digitDataset, embed, exportFiles, methodViewImages, playgroundMethods, runSession } from "./session.js";
import type { PlaygroundSettings } from "./settings.js";
import { type TextRunData, playgroundTextMethods, runTextSession, similarTexts, textExportFiles } from "./text-session.js";
import { capWasmMemory } from "./wasm-memory.js";

/**
 * The training worker: the page posts a run's settings and data (images or text), this trains
 * with pretext on onnxruntime-web's wasm build and posts every step and evaluation back. The UI
 * thread only draws. One worker per run: ORT reads its thread count (and creates its heap) when
 * its first session starts, never again.
 */
// NOTE: the project's DOM lib types `self` as a Window; in this module it is the worker's scope.
declare const self: DedicatedWorkerGlobalScope;
const scope = self;
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

// NOTE: ORT's wasm files are served by the app itself (copied to /ort/ at build time), never a CDN.
ort.env.wasm.wasmPaths = new URL("ort/", new URL(import.meta.env.BASE_URL, scope.location.origin)).href;

let stop: AbortController | null = null;
let resumeTraining: (() => void) | null = null;
let paused: Promise<void> | null = null;
let trained: { encoder: Encoder; test: Float32Array; dim: number; data: RunData } | null = null;
let trainedText: { encoder: TextTransformer; tokenizer: CharTokenizer; embeddings: Float32Array } | null = null;
/** The compile options of the run in this worker (its thread count). */
let compile = { backend: webBackend, threads: 1 };

function methodInfo(): MethodInfo[] {
  const info = (modality: "image" | "text") => (m: ReturnType<typeof playgroundMethods>[number]) => ({
    name: m.name,
    modality,
    family: m.family,
    description: m.description,
    paper: m.paper,
    options: Object.fromEntries(Object.entries(recipeDefaults(m, modality)).filter((e): e is [string, number] => typeof e[1] === "number")),
  });
  return [...playgroundMethods().map(info("image")), ...playgroundTextMethods().map(info("text"))];
}

const hooks = () => ({
  onStep: (e: StepEvent) => {
    post({
      type: "step",
      step: e.step + 1,
      plannedSteps: e.plannedSteps,
      loss: e.loss,
      learningRate: e.scalars.lr ?? null,
      metrics: e.metrics,
      elapsedSeconds: e.elapsedSeconds,
      samplesPerSecond: e.samplesPerSecond,
    });
  },
  onEvaluation: (point: EvaluationPoint, embeddings: Float32Array) => {
    const copy = embeddings.slice();
    post({ type: "evaluation", point, embeddings: copy, dim: copy.length / (point.map.length / 2) }, [copy.buffer]);
  },
  waitWhilePaused: () => paused ?? Promise.resolve(),
});

async function start(settings: PlaygroundSettings, data: RunData | TextRunData, memoryLimitMB: number | null): Promise<void> {
  if (memoryLimitMB !== null) capWasmMemory(memoryLimitMB);
  // NOTE: ORT picks one thread on a 2-core machine; say how many. Without cross-origin isolation
  // there is no SharedArrayBuffer, so one thread is all there can be, and the page says so.
  const isolated = scope.crossOriginIsolated && typeof SharedArrayBuffer !== "undefined";
  const threads = isolated ? settings.threads : 1;
  ort.env.wasm.numThreads = threads;
  const threadNote = isolated || settings.threads === 1 ? null : "this page is not cross-origin isolated (no SharedArrayBuffer), so training runs on one thread";
  post({ type: "started", threads, threadNote });
  compile = { backend: webBackend, threads };
  stop = new AbortController();
  if (data.kind === "text") return startText(settings, data, stop.signal);
  const pool = digitDataset(data.pool, data.classNames.length, data.shape);
  const test = digitDataset(data.test, data.classNames.length, data.shape);
  const result = await runSession(settings, pool, test, compile, { ...hooks(), onBaselines: (untrained, rawPixels) => post({ type: "baselines", untrained, rawPixels }) }, stop.signal);
  const dim = result.encoder.outputDim;
  trained = { encoder: result.encoder, test: result.testEmbeddings, dim, data };
  const files = exportFiles(result.encoder, settings, data.shape);
  const sample = result.testEmbeddings.slice(0, Math.min(16, data.test.labels.length) * dim);
  post({ type: "done", steps: result.steps, seconds: result.seconds, ...files, tokenizer: null, sampleEmbeddings: sample, dim }, [files.onnx.buffer, files.weights.buffer]);
}

async function startText(settings: PlaygroundSettings, data: TextRunData, signal: AbortSignal): Promise<void> {
  const result = await runTextSession(settings, data, compile, hooks(), signal);
  const dim = result.encoder.outputDim;
  trainedText = { encoder: result.encoder, tokenizer: result.tokenizer, embeddings: result.embeddings };
  const files = textExportFiles(result.encoder, result.tokenizer, settings);
  const sample = result.embeddings.slice(0, Math.min(16, data.texts.length) * dim);
  post({ type: "done", steps: result.steps, seconds: result.seconds, ...files, sampleEmbeddings: sample, dim }, [files.onnx.buffer, files.weights.buffer]);
}

/** The test digits most cosine-similar to one image, by the trained encoder. */
async function neighbours(image: Float32Array, k: number): Promise<void> {
  if (trained === null) throw new Error("train an encoder on images first: the neighbours are found with its embeddings");
  const { encoder, test, dim, data } = trained;
  const one = digitDataset({ images: image, labels: new Int32Array(1) }, data.classNames.length, data.shape);
  const q = await embed(encoder, one, { backend: webBackend });
  const norm = (x: Float32Array, at: number) => Math.hypot(...x.subarray(at, at + dim)) || 1;
  const qn = norm(q, 0);
  const scores = Array.from({ length: test.length / dim }, (_, i) => {
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += (q[j] ?? 0) * (test[i * dim + j] ?? 0);
    return { i, s: dot / (qn * norm(test, i * dim)) };
  }).sort((a, b) => b.s - a.s || a.i - b.i);
  const top = scores.slice(0, k);
  post({ type: "neighbours", indices: Int32Array.from(top.map((t) => t.i)), similarities: Float32Array.from(top.map((t) => t.s)) });
}

async function similar(text: string, k: number): Promise<void> {
  if (trainedText === null) throw new Error("train an encoder on text first: the similar sentences are found with its embeddings");
  const { encoder, tokenizer, embeddings } = trainedText;
  const found = await similarTexts(text, encoder, tokenizer, embeddings, k, compile);
  post({ type: "similar", ...found }, [found.indices.buffer, found.similarities.buffer]);
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  let settings: PlaygroundSettings | null = null;
  let memoryLimitMB: number | null = null;
  const fail = (e: unknown) => post({ type: "error", message: describeError(e, settings === null ? null : { batchSize: settings.batchSize, encoder: settings.encoder, memoryLimitMB }) });
  switch (message.type) {
    case "start":
      settings = message.settings;
      memoryLimitMB = message.memoryLimitMB;
      start(message.settings, message.data, message.memoryLimitMB).catch(fail);
      break;
    case "pause":
      paused ??= new Promise((resolve) => (resumeTraining = resolve));
      break;
    case "resume":
      resumeTraining?.();
      paused = null;
      resumeTraining = null;
      break;
    case "stop":
      stop?.abort();
      resumeTraining?.();
      paused = null;
      break;
    case "views":
      try {
        const pool = digitDataset(message.data.pool, message.data.classNames.length, message.data.shape);
        post({ type: "views", views: methodViewImages(message.settings.method, message.settings, pool, message.count) });
      } catch (e) {
        fail(e);
      }
      break;
    case "neighbours":
      neighbours(message.image, message.k).catch(fail);
      break;
    case "similar":
      similar(message.text, message.k).catch(fail);
      break;
  }
};

post({ type: "ready", methods: methodInfo() });

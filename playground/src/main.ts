import { Charts } from "./charts.js";
import { type Digits, decodeDigits } from "./digits-format.js";
import { byId, download } from "./dom.js";
import { setUpDrawing, setUpFolderInputs } from "./image-inputs.js";
import { type droppedFiles, drawGrid, folderToRunData } from "./images.js";
import { MapView } from "./map-view.js";
import type { PageState } from "./page-state.js";
import type { AnyRunData, FromWorker, MethodInfo, RunData, ToWorker } from "./protocol.js";
import { DEFAULT_SETTINGS, ENCODERS, MAP_METHODS, type PlaygroundSettings, settingsFromHash, settingsToHash } from "./settings.js";
import { setUpTextInputs, showSimilar } from "./text-panel.js";
import { type TextSplit, textDocuments } from "./text-session.js";
import { memoryLimitFromQuery } from "./wasm-memory.js";

const state: PageState = { phase: "loading", isolated: self.crossOriginIsolated, threads: null, threadNote: null, losses: [], elapsed: [], untrained: null, rawPixels: null, evaluations: [], errors: [], data: null, maps: [], mapXY: null, similar: [], sampleEmbeddings: null, dim: 0, steps: 0, seconds: 0 };
window.pretextPlayground = state;

const form = byId<HTMLFormElement>("settings");
const status = byId("status");
const stepLine = byId("step-line");
const methodSelect = byId<HTMLSelectElement>("method");
const encoderSelect = byId<HTMLSelectElement>("encoder");
const optionsBox = byId("method-options");
const [startButton, pauseButton, stopButton] = ["start", "pause", "stop"].map((id) => byId<HTMLButtonElement>(id)) as [HTMLButtonElement, HTMLButtonElement, HTMLButtonElement];
const charts = new Charts({ loss: byId("loss-chart"), learningRate: byId("lr-chart"), collapse: byId("collapse-chart"), probe: byId("probe-chart"), map: byId("map-chart") });
const mapView = new MapView(charts, state, byId("map-caption"), showError);

/** Both encoders' output width (src/nn/encoders: SmallCnn, and the CLI's mlp). */
const EMBEDDING_DIM = 128;

/** `?wasmMemoryMB=`: how a device with less memory runs (and how the test sees the out-of-memory message). */
const memoryLimit = memoryLimitFromQuery(location.search);
let methods: readonly MethodInfo[] = [];
let digits: RunData | null = null;
let data: AnyRunData | null = null;
let worker: Worker | null = null;
let files: { onnx: Uint8Array; weights: Uint8Array; config: string; tokenizer: string | null } | null = null;
/** The method a link named, chosen again whenever the data's method list offers it. */
let linkedMethod = DEFAULT_SETTINGS.method;
/** The settings the current run started with. */
let running: PlaygroundSettings = DEFAULT_SETTINGS;

function showError(message: string): void {
  state.errors.push(message);
  const box = byId("errors");
  const p = document.createElement("p");
  p.textContent = message;
  box.append(p);
  box.hidden = false;
}

function clearErrors(): void {
  byId("errors").replaceChildren();
  byId("errors").hidden = true;
}

function newWorker(): Worker {
  worker?.terminate();
  const w = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  w.onmessage = (e: MessageEvent<FromWorker>) => onWorkerMessage(e.data);
  w.onerror = (e) => fail(`the training worker failed: ${e.message || "it could not start (see the browser's console)"}`);
  worker = w;
  return w;
}
const send = (message: ToWorker) => worker?.postMessage(message);

function fail(message: string): void {
  showError(message);
  setPhase("error");
}

function setPhase(phase: PageState["phase"]): void {
  state.phase = phase;
  document.documentElement.dataset.phase = phase;
  const running = phase === "training" || phase === "paused";
  startButton.disabled = running || phase === "loading";
  pauseButton.disabled = !running;
  stopButton.disabled = !running;
  pauseButton.textContent = phase === "paused" ? "Resume" : "Pause";
  for (const id of ["download-onnx", "download-weights", "download-config", "download-tokenizer"]) byId<HTMLButtonElement>(id).disabled = files === null;
  const threads = state.threads === null ? "" : ` · ${state.threads} wasm thread${state.threads === 1 ? "" : "s"}`;
  const iso = state.isolated ? "cross-origin isolated" : "not cross-origin isolated: one thread only";
  status.textContent = `${phase === "loading" ? "Loading…" : phase === "ready" ? "Ready." : phase === "training" ? "Training…" : phase === "paused" ? "Paused." : phase === "done" ? "Done." : "Stopped by an error."} (${iso}${threads})`;
}

function readSettings(): PlaygroundSettings {
  const num = (id: string) => Number(byId<HTMLInputElement>(id).value);
  const methodOptions: Record<string, number> = {};
  const info = methods.find((m) => m.name === methodSelect.value);
  for (const input of optionsBox.querySelectorAll<HTMLInputElement>("input")) {
    const name = input.dataset.option ?? "";
    const value = Number(input.value);
    if (info !== undefined && value !== info.options[name]) methodOptions[name] = value;
  }
  const encoder = ENCODERS.find((e) => e === encoderSelect.value) ?? DEFAULT_SETTINGS.encoder;
  const map = MAP_METHODS.find((m) => m === byId<HTMLSelectElement>("map").value) ?? DEFAULT_SETTINGS.map;
  return { method: methodSelect.value, encoder, batchSize: num("batchSize"), steps: num("steps"), budgetSeconds: num("budgetSeconds"), seed: num("seed"), evalPoints: num("evalPoints"), threads: num("threads"), map, methodOptions };
}

function writeSettings(s: PlaygroundSettings): void {
  linkedMethod = s.method;
  // A link's text method waits for text data (the list offers the data's methods); the list's first stands in.
  methodSelect.value = s.method;
  if (methodSelect.value === "") methodSelect.selectedIndex = 0;
  encoderSelect.value = s.encoder;
  byId<HTMLSelectElement>("map").value = s.map;
  for (const k of ["batchSize", "steps", "budgetSeconds", "seed", "evalPoints", "threads"] as const) byId<HTMLInputElement>(k).value = String(s[k]);
  showMethodOptions(s.methodOptions);
}

function showMethodOptions(overrides: Readonly<Record<string, number>>): void {
  const info = methods.find((m) => m.name === methodSelect.value);
  byId("method-description").textContent = info === undefined ? "" : `${info.description} (${info.paper})`;
  optionsBox.replaceChildren();
  for (const [name, value] of Object.entries(info?.options ?? {})) {
    const id = `opt-${name}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = name;
    const input = document.createElement("input");
    Object.assign(input, { id, type: "number", step: "any", value: String(overrides[name] ?? value) });
    input.dataset.option = name;
    optionsBox.append(label, input);
  }
}

function onWorkerMessage(m: FromWorker): void {
  switch (m.type) {
    case "ready":
      if (methods.length === 0) {
        methods = m.methods;
        listMethods("image");
        const { settings, errors } = settingsFromHash(location.hash, methods.map((x) => x.name));
        errors.forEach(showError);
        if (memoryLimit.error !== null) showError(memoryLimit.error);
        writeSettings(settings);
        becomeReady();
      }
      break;
    case "started":
      state.threads = m.threads;
      state.threadNote = m.threadNote;
      if (m.threadNote !== null) showError(m.threadNote);
      setPhase("training");
      break;
    case "baselines":
      state.untrained = m.untrained;
      state.rawPixels = m.rawPixels;
      charts.baselines(m.untrained, m.rawPixels, readSettings().steps);
      break;
    case "step": {
      state.losses.push(m.loss);
      state.elapsed.push(m.elapsedSeconds);
      charts.step(m.step, m.loss, m.learningRate, m.metrics.collapse_std, EMBEDDING_DIM);
      const speed = `${m.samplesPerSecond.toFixed(0)} ${data?.kind === "text" ? "sentences" : "images"}/s`;
      stepLine.textContent = `step ${m.step}/${m.plannedSteps} · loss ${m.loss.toFixed(4)} · ${speed} · ${m.elapsedSeconds.toFixed(0)} s`;
      break;
    }
    case "evaluation":
      state.evaluations.push(m.point);
      charts.evaluation(m.point, m.dim);
      mapView.show(m.point.step, m.point.map, m.embeddings, m.dim, running.map, running.seed);
      break;
    case "done":
      files = { onnx: m.onnx, weights: m.weights, config: m.config, tokenizer: m.tokenizer };
      Object.assign(state, { sampleEmbeddings: m.sampleEmbeddings, dim: m.dim, steps: m.steps, seconds: m.seconds });
      stepLine.textContent += ` · finished ${m.steps} steps in ${m.seconds.toFixed(1)} s`;
      setPhase("done");
      break;
    case "views":
      showViews(m.views);
      break;
    case "similar":
      if (data?.kind === "text") state.similar = showSimilar(data.texts, m.indices, m.similarities);
      break;
    case "neighbours": {
      if (data?.kind !== "images") break;
      const size = data.shape[1] * data.shape[2];
      const images = new Float32Array(m.indices.length * size);
      const { test, classNames } = data;
      m.indices.forEach((i, n) => images.set(test.images.subarray(i * size, (i + 1) * size), n * size));
      drawGrid(byId("neighbours"), images, m.indices.length, 8, 2);
      byId("neighbours-caption").textContent = `Nearest test images: ${Array.from(m.indices, (i, n) => `${classNames[test.labels[i] ?? 0] ?? "?"} (${(m.similarities[n] ?? 0).toFixed(2)})`).join(", ")}`;
      break;
    }
    case "error":
      fail(m.message);
      break;
  }
}

function showViews(views: readonly { name: string; shape: readonly number[]; data: Float32Array }[]): void {
  if (views.length === 0 || data?.kind !== "images") return;
  const count = views[0]?.shape[0] ?? 0;
  const [c, h, w] = data.shape;
  const size = c * h * w;
  // One row per input of the images' own shape (the images, then each view), the same images in
  // each column; inputs of another shape (jigsaw's tiles) are named but not drawn.
  const drawn = views.filter((v) => v.shape.length === 4 && v.shape[1] === c && v.shape[2] === h && v.shape[3] === w && (v.shape[0] ?? 0) >= count);
  const others = views.filter((v) => !drawn.includes(v)).map((v) => `${v.name} [${v.shape.join(", ")}]`);
  const grid = new Float32Array(drawn.length * count * size);
  drawn.forEach((v, i) => grid.set(v.data.subarray(0, count * size), i * count * size));
  drawGrid(byId("views"), grid, drawn.length * count, count, 2, h);
  const rows = drawn.map((v, i) => (i === 0 ? `${count} of the images` : v.name)).join(", then ");
  byId("views-caption").textContent = `Rows: ${rows}, as the method makes them.${others.length > 0 ? ` Not drawn (another shape): ${others.join(", ")}.` : ""}`;
}

/** Ready once both the worker has listed the methods and the digits have loaded. */
function becomeReady(): void {
  if (state.phase !== "loading" || methods.length === 0 || data === null) return;
  setPhase("ready");
  requestViews();
}

function requestViews(): void {
  if (data?.kind === "images" && methods.length > 0) send({ type: "views", settings: readSettings(), data, count: 8 });
}

/** The method list for data of `modality`, keeping the chosen method where it applies. */
function listMethods(modality: MethodInfo["modality"]): void {
  const offered = methods.filter((m) => m.modality === modality);
  const current = methodSelect.value;
  methodSelect.replaceChildren(...offered.map((info) => new Option(`${info.name} (${info.family})`, info.name)));
  const keep = [linkedMethod, current].find((name) => offered.some((m) => m.name === name));
  if (keep !== undefined) methodSelect.value = keep;
  if (keep !== current && current !== "") showMethodOptions({});
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  if (data === null) return fail("no data: the bundled digits did not load and no folder was dropped");
  if (!form.reportValidity()) return;
  const settings = readSettings();
  history.replaceState(null, "", settingsToHash(settings));
  clearErrors();
  Object.assign(state, { losses: [], elapsed: [], evaluations: [], untrained: null, rawPixels: null, errors: [], maps: [], mapXY: null, sampleEmbeddings: null });
  files = null;
  running = settings;
  charts.reset();
  mapView.reset(data.kind === "images" ? { labels: data.test.labels, classNames: data.classNames, noun: "test images" } : { labels: new Int32Array(data.texts.length), classNames: ["sentences"], noun: "sentences" });
  state.similar = [];
  byId("similar-texts").replaceChildren();
  stepLine.textContent = "Compiling the training step…";
  newWorker();
  send({ type: "start", settings, data, memoryLimitMB: memoryLimit.limitMB });
  setPhase("training");
  requestViews();
});
pauseButton.addEventListener("click", () => {
  const pausing = state.phase === "training";
  send({ type: pausing ? "pause" : "resume" });
  setPhase(pausing ? "paused" : "training");
});
stopButton.addEventListener("click", () => send({ type: "stop" }));
byId("copy-link").addEventListener("click", () => {
  const link = `${location.origin}${location.pathname}${settingsToHash(readSettings())}`;
  history.replaceState(null, "", link);
  navigator.clipboard?.writeText(link).catch(() => showError("the browser refused the clipboard; the link is in the address bar"));
});
methodSelect.addEventListener("change", () => ((linkedMethod = methodSelect.value), showMethodOptions({}), requestViews()));
encoderSelect.addEventListener("change", () => requestViews());
byId("download-onnx").addEventListener("click", () => files && download("encoder.onnx", files.onnx, "application/octet-stream"));
byId("download-weights").addEventListener("click", () => files && download("encoder.safetensors", files.weights, "application/octet-stream"));
byId("download-config").addEventListener("click", () => files && download("config.json", files.config, "application/json"));
byId("download-tokenizer").addEventListener("click", () => files?.tokenizer && download("tokenizer.json", files.tokenizer, "application/json"));

setUpDrawing(byId<HTMLCanvasElement>("draw"), (image) => {
  if (state.phase !== "done" || data?.kind !== "images") return showError("train an encoder on images first (Start), then draw and find its neighbours");
  send({ type: "neighbours", image, k: 8 });
});
setUpFolderInputs(byId("drop-zone"), byId<HTMLInputElement>("folder"), readFolder);
byId("use-digits").addEventListener("click", () => digits && useData(digits));
setUpTextInputs(useText, showError);
byId("find-text").addEventListener("click", () => {
  if (state.phase !== "done" || data?.kind !== "text") return showError("train an encoder on text first (Start), then search it");
  send({ type: "similar", text: byId<HTMLInputElement>("text-query").value, k: 8 });
});

function useText(raw: string, name: string, split: TextSplit): void {
  clearErrors();
  try {
    useData(textDocuments(raw, split, name, 8));
  } catch (e) {
    showError(e instanceof Error ? e.message : String(e));
  }
}

function readFolder(files: ReturnType<typeof droppedFiles>): void {
  clearErrors();
  byId("data-source").textContent = "Reading the images…";
  files
    .then(folderToRunData)
    .then(({ data: dropped, problems }) => {
      problems.forEach(showError);
      useData(dropped);
    })
    .catch((error: unknown) => {
      showError(error instanceof Error ? error.message : String(error));
      byId("data-source").textContent = data?.source ?? "No data";
    });
}

function useData(d: AnyRunData): void {
  data = d;
  if (d.kind === "images") {
    const perClass = (labels: Int32Array) => d.classNames.map((_, c) => labels.filter((y) => y === c).length);
    state.data = { kind: "images", source: d.source, classNames: [...d.classNames], poolPerClass: perClass(d.pool.labels), testPerClass: perClass(d.test.labels), count: d.pool.labels.length + d.test.labels.length };
  } else {
    state.data = { kind: "text", source: d.source, classNames: [], poolPerClass: [], testPerClass: [], count: d.texts.length };
  }
  byId("data-source").textContent = d.source;
  byId("use-digits").hidden = d === digits || digits === null;
  showModality(d.kind === "images" ? "image" : "text");
  requestViews();
}

/** The controls of the data in use: its methods, the encoder (text has one), the views, the search and the tokenizer download. */
function showModality(modality: MethodInfo["modality"]): void {
  const text = modality === "text";
  if (methods.length > 0) listMethods(modality);
  encoderSelect.disabled = text;
  byId("encoder-help").textContent = text ? "Text: a 2-block transformer of width 64 on characters (causal for clm), the CLI's transformer/gpt." : "";
  byId("views-figure").hidden = text;
  byId("image-search").hidden = text;
  byId("text-search").hidden = !text;
  byId("download-tokenizer").hidden = !text;
  // Pasted text has no labels, so there is no probe to chart.
  byId("probe-figure").hidden = text;
}

async function loadDigits(): Promise<Digits> {
  const response = await fetch(new URL("digits.bin", new URL(import.meta.env.BASE_URL, location.origin)));
  if (!response.ok) throw new Error(`digits.bin: HTTP ${response.status}; the build did not write it`);
  return decodeDigits(new Uint8Array(await response.arrayBuffer()));
}

setPhase("loading");
newWorker();
loadDigits()
  .then((d) => {
    digits = { kind: "images", pool: d.train, test: d.test, shape: [1, 28, 28], classNames: Array.from({ length: 10 }, (_, i) => String(i)), source: `Bundled MNIST digits: ${d.train.labels.length} to pretrain on, ${d.test.labels.length} held out` };
    if (data === null) useData(digits);
    becomeReady();
  })
  .catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
if (!self.crossOriginIsolated) showError("this page is not cross-origin isolated (no SharedArrayBuffer), so training runs on one wasm thread; serve it with `npm run playground`");

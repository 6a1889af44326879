/**
 * pretext: self-supervised learning for TypeScript. The public API, by namespace:
 *
 * ```ts
 * import { graph, ops, autodiff, runtime, nn, optim, train, data, augment, text, audio, audioAugment, synth, generate, losses, methods, evaluation } from "pretext";
 * ```
 *
 * Node-only pieces that read files (the bundled MNIST, IDX, image folders, CSV, text corpora and files, audio folders,
 * the speech synthesizers, reports) are
 * exported from `pretext` too; a browser bundle that avoids them imports the namespaces it needs.
 */
export * as graph from "./graph/index.js";
export * as ops from "./ops/index.js";
export * as autodiff from "./autodiff/index.js";
export * as runtime from "./runtime/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as train from "./train/index.js";
export * as data from "./data/index.js";
export * as augment from "./data/image/augment/index.js";
export * as text from "./data/text/index.js";
export * as audio from "./data/audio/index.js";
export * as audioAugment from "./data/audio/augment/index.js";
export * as synth from "./data/audio/synth/index.js";
export * as generate from "./generate/index.js";
export * as losses from "./losses/index.js";
export * as methods from "./methods/index.js";
export * as evaluation from "./eval/index.js";
export { Rng } from "./random/rng.js";
export { loadMnist, mnistSplit, mnistSplitIndices } from "./data/image/mnist.js";
export { resolveDataSpec } from "./data/resolve-data-spec.js";
export { writeReport } from "./report/index.js";

/**
 * pretext in a browser: what the playground's training worker imports. Everything here runs on
 * onnxruntime-web (`webBackend`); nothing reads or writes files. Pass `{ backend: webBackend }`
 * wherever a `compile` option is taken: the Node default backend is not available in a browser.
 *
 * A bundle of this entry must swap the library's four Node-only modules for their stand-ins
 * (`src/browser-node-only.ts`); the Vite plugin in `playground/browser-modules.ts` does, and
 * `test/playground/browser-entry.test.ts` builds this file and fails if any `node:` builtin or
 * Node-only package is still reachable.
 */
export * as graph from "./graph/index.js";
export * as ops from "./ops/index.js";
export * as autodiff from "./autodiff/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export * as losses from "./losses/index.js";
export * as augment from "./data/image/augment/index.js";

export type { Backend, Session, SessionOptions } from "./runtime/backend.js";
export { type HostTensor, float32, hostTensor, int64, toNumbers } from "./runtime/host-tensor.js";
export { type CompileOptions, Program } from "./runtime/program.js";
export { webBackend } from "./runtime/web-backend.js";

export { ArrayDataset, type Dataset } from "./data/dataset.js";
export { type Batch, DataLoader } from "./data/loader.js";
export { imageDataset, sampleImage } from "./data/image/image-dataset.js";
export { type SampleSpec, textSpec } from "./data/sample.js";
// Text from the modules themselves: data/text/index.ts also re-exports the file readers (node:fs).
export { CharTokenizer, trainCharTokenizer } from "./data/text/tokenizer/char.js";
export { SPECIAL_IDS, type Tokenizer } from "./data/text/tokenizer/tokenizer.js";
export { loadTokenizerJson } from "./data/text/tokenizer/tokenizer-json.js";
export { tokenizeDocuments } from "./data/text/text-datasets.js";
export { TextTransformer } from "./nn/encoders/text-transformer.js";
export { Rng } from "./random/rng.js";

export type { Encoder, Method, MethodPlan } from "./methods/method.js";
export { methods, methodsFor } from "./methods/registry.js";
export { IMAGE_RECIPES, type ImageRecipe, imageRecipe, recipeDefaults } from "./methods/recipes.js";
export { type PretrainOptions, type PretrainResult, pretrain } from "./methods/pretrain.js";
export { cloneModule } from "./methods/heads.js";
export { effectiveRank } from "./methods/collapse.js";

export { type StepEvent, type TrainCallback, fit } from "./train/fit.js";
export { TrainStep } from "./train/train-step.js";
export { type ExportOnnxOptions, exportOnnx } from "./train/export.js";
export { type NamedTensor, decodeSafetensors, encodeSafetensors } from "./train/safetensors-codec.js";

export { type Embeddings, embedDataset, rawFeatures, releaseEmbeddings } from "./eval/embed.js";
export { type LabeledFeatures, linearProbe, releaseLinearProbes } from "./eval/linear-probe.js";
export { knnAccuracy, knnPredict, l2NormalizeRows, releaseKnnPrograms } from "./eval/knn.js";
export { labelSubsets, takeLabels, takeRows } from "./eval/label-subsets.js";
export { type EmbeddingMap, type EmbeddingMapOptions, embeddingMap, pca2d } from "./report/projection.js";

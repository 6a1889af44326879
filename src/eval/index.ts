export { accuracy, argmaxRows } from "./accuracy.js";
export { adjustedRandIndex, clusteringScores, normalizedMutualInfo } from "./clustering-metrics.js";
export { type EmbedOptions, type Embeddings, embedBatchSize, embedDataset, embeddingDim, rawFeatures, releaseEmbeddings } from "./embed.js";
export { type BatchAugmentation, type FinetuneOptions, type FinetuneResult, finetune, trainFromScratch } from "./finetune.js";
export { type KMeansOptions, type KMeansResult, kMeans } from "./kmeans.js";
export { type KnnOptions, knnAccuracy, knnPredict, l2NormalizeRows, releaseKnnPrograms } from "./knn.js";
export { type LabelDraws, type MeanSd, checkLabelDraws, drawPerClass, drawsInSubset, labelSubsets, meanSd, subsetDataset, takeLabels, takeRows } from "./label-subsets.js";
export {
  type LabeledFeatures,
  type LinearClassifier,
  type LinearProbeOptions,
  type LinearProbeResult,
  type WeightDecayChoice,
  linearProbe,
  predictLinear,
  releaseLinearProbes,
  standardizer,
  trainLinearClassifier,
} from "./linear-probe.js";
export {
  type BaselineOptions,
  type BaselineResults,
  type EvaluationResult,
  type PerClassProbe,
  type ProtocolOptions,
  baselines,
  evaluateEmbeddings,
  evaluateEncoder,
  formatEvaluation,
} from "./protocol.js";

export { accuracy, argmaxRows } from "./accuracy.js";
export { adjustedRandIndex, clusteringScores, normalizedMutualInfo } from "./clustering-metrics.js";
export { type EmbedOptions, type Embeddings, embedBatchSize, embedDataset, embeddingDim, rawFeatures, releaseEmbeddings } from "./embed.js";
export { type BatchAugmentation, type FinetuneOptions, type FinetuneResult, finetune, trainFromScratch } from "./finetune.js";
export { type GradientBoostingModel, type GradientBoostingOptions, predictGradientBoosting, predictProbabilities, trainGradientBoosting } from "./gradient-boosting.js";
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
  trainLinearClassifiers,
} from "./linear-probe.js";
export {
  type BaselineOptions,
  type BaselineResults,
  type EvaluationResult,
  type FinetuneProtocolOptions,
  type PerClassProbe,
  type ProtocolOptions,
  baselines,
  evaluateEmbeddings,
  evaluateEncoder,
  finetunePerClass,
  formatEvaluation,
} from "./protocol.js";
export { type CsrMatrix, checkCsr, csrTakeRows, csrToDense } from "./csr.js";
export { type LbfgsOptions, type LbfgsResult, type LbfgsStop, type Objective, minimizeLbfgs } from "./lbfgs.js";
export { numpyArgsort } from "./numpy-argsort.js";
export { type LogisticFit, type SparseLogisticRegressionOptions, SparseLogisticRegression, crossEntropyAndGradient } from "./sparse-logistic-regression.js";
export { type DocumentFrequencyBound, type TfidfOptions, TfidfVectorizer, analyze, compareCodePoints, tokenize } from "./tfidf.js";
export { type TfidfBaselineOptions, type TfidfBaselineResult, type TfidfPerClass, tfidfBaseline } from "./tfidf-baseline.js";
export { type PerplexityOptions, type PerplexityResult, perplexity } from "./perplexity.js";

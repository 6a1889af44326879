export { type ExactNeighboursOptions, type Neighbours, type SelfNeighboursOptions, exactNeighbours, exactSearch } from "./exact-neighbours.js";
export { type DuplicateThresholdOptions, defaultDuplicateThreshold, duplicateGroups, exactDuplicateGroups } from "./duplicates.js";
export { kthNeighbourDistance, localOutlierFactor, topScores } from "./outliers.js";
export { type Cluster, type ClusterOptions, type ClusterResult, DEFAULT_K_GRID, SILHOUETTE_TOLERANCE, findClusters, meanSilhouette, silhouetteGrid } from "./clusters.js";
export { type DiverseSubset, type DiverseSubsetOptions, diverseSubset } from "./diverse-subset.js";
export { type RetrievalLabels, largestClassMatchCount, meanAveragePrecisionAtR, precisionAtK } from "./retrieval-metrics.js";
export { averagePrecision, rocAuc } from "./anomaly-metrics.js";

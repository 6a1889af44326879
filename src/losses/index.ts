export { type BarlowTwinsOptions, type BarlowTwinsTerms, barlowTwinsLoss, barlowTwinsTerms, batchStandardize, crossCorrelation } from "./barlow-twins.js";
export { byolLoss, normalizedMse } from "./byol.js";
export { type InfoNceOptions, enqueue, infoNceLogits, infoNceLoss } from "./info-nce.js";
export { negativeCosine, negativeCosineLoss } from "./negative-cosine.js";
export { type NtXentOptions, ntXentLogits, ntXentLoss, positiveCosine } from "./nt-xent.js";
export { type TripletNegatives, type TripletOptions, type TripletTerms, pairwiseSquaredDistances, tripletLoss, tripletTerms } from "./triplet.js";
export { type VicRegOptions, type VicRegTerms, vicregCovariance, vicregInvariance, vicregLoss, vicregTerms, vicregVariance } from "./vicreg.js";
export { type SimcseOptions, simcseLoss } from "./simcse.js";
export { type DinoLossOptions, dinoCenter, dinoLoss, dinoTargets } from "./dino.js";

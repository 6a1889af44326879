export { type CorruptionMask, corruptedCount, corruptionMask, marginalCorruption } from "./feature-corruption.js";

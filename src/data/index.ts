// mnist.ts reads files with node:fs, so it is not re-exported here (this entry stays
// browser-safe); import it from "./data/mnist.js".
export { ArrayDataset, type ArrayDatasetOptions, type Dataset, type Sample, type SampleShape } from "./dataset.js";
export { type Batch, DataLoader, type DataLoaderOptions, type LoaderPosition } from "./loader.js";
export { deriveRng } from "./seeding.js";
export { type SplitIndices, type StratifiedSplitOptions, stratifiedSplitIndices } from "./split.js";

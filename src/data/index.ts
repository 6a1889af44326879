// Readers of files (the bundled MNIST, IDX, image folders, CSV, text corpora) use node:fs, so they
// are not re-exported here (this entry stays browser-safe); `pretext`'s root exports them.
export { ArrayDataset, type ArrayDatasetOptions, type Dataset } from "./dataset.js";
export { type Batch, DataLoader, type DataLoaderOptions, type FieldBatch, type LoaderPosition, batchField } from "./loader.js";
export {
  type FieldArray,
  type FieldDType,
  type FieldSpec,
  type ImageShape,
  MODALITIES,
  type Modality,
  type Sample,
  type SampleSpec,
  type SpectrogramShape,
  audioSpec,
  describeSpec,
  imageShape,
  imageSpec,
  inputField,
  sameSpec,
  sequenceLength,
  spectrogramShape,
  tableSpec,
  textSpec,
} from "./sample.js";
export { type ImageDatasetOptions, imageBatch, imageDataset, sampleImage } from "./image/image-dataset.js";
export { deriveRng } from "./seeding.js";
export { type SplitIndices, type StratifiedSplitOptions, stratifiedSplitIndices } from "./split.js";

// Text as a modality: tokenizers trained in the project, corpora and documents, token windows,
// BERT masking. Readers of files (corpora, .txt/.jsonl/.csv, token files) use node:fs.
export * from "./tokenizer/index.js";
export { type TextChunks, fileChunks, textChunks, textStart, wholeText } from "./text-chunks.js";
export { type LabeledTexts, type TextSource, trainingTexts } from "./text-source.js";
export { type TextFileContents, decodeText, readTextFile, scanTextFile } from "./text-file.js";
export { csvDocuments, isTextFolder, jsonlDocuments, textFileCorpus, textFolder } from "./text-readers.js";
export { mobyDick } from "./corpora/moby-dick.js";
export { fortunes } from "./corpora/fortunes.js";
export { sotu } from "./corpora/sotu.js";
export { ArrayTokenStream, type TokenStream, TokenWindowDataset, type TokenWindowOptions } from "./token-windows.js";
export { TokenFile, tokenFileName, tokenWidth, writeTokenFile } from "./token-file.js";
export {
  type TextDatasetOptions,
  type TextDatasets,
  type TokenizedDocuments,
  type TokenizerKind,
  textDatasets,
  tokenizeChunks,
  tokenizeCorpus,
  tokenizeDocuments,
  trainTokenizer,
} from "./text-datasets.js";
export { BERT_MASKING, type MlmBatch, type MlmMaskingOptions, type WordBoundaries, maskTokens, predictionSlots, wordBoundaries } from "./masking.js";

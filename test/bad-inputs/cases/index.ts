import type { BadInput } from "../bad-input.js";
import { configCases } from "./config.js";
import { idxCases } from "./idx.js";
import { imageCases } from "./images.js";
import { onnxCases } from "./onnx.js";
import { runFolderCases } from "./run-folder.js";
import { safetensorsCases } from "./safetensors.js";
import { textCases } from "./text.js";
import { tokenizerCases } from "./tokenizer.js";
import { wavCases } from "./wav.js";

export { makeGoodRuns } from "./good-run.js";

/** Every case of the corpus, by reader. */
export const ALL_CASES: readonly BadInput[] = [...idxCases, ...imageCases, ...textCases, ...wavCases, ...safetensorsCases, ...onnxCases, ...configCases, ...tokenizerCases, ...runFolderCases];

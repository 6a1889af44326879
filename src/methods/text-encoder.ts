import { sequenceLength } from "../data/sample.js";
import { TextTransformer } from "../nn/encoders/text-transformer.js";
import type { MethodSetup } from "./method.js";

/**
 * The setup's encoder as a `TextTransformer` and the sequence length T of its samples, or a
 * one-line error saying what the text method `name` needs (`causal`: a GPT-style encoder, or a
 * bidirectional one; null: either).
 */
export function textEncoderOf(setup: MethodSetup, name: string, causal: boolean | null): { encoder: TextTransformer; length: number } {
  const length = sequenceLength(setup.spec, `method ${name}`);
  const { encoder } = setup;
  if (!(encoder instanceof TextTransformer)) throw new Error(`method ${name} trains a text transformer encoder; got ${encoder.constructor.name}`);
  if (causal !== null && encoder.transformer.causal !== causal) {
    throw new Error(`method ${name} needs a ${causal ? "causal (GPT-style)" : "bidirectional (BERT-style)"} transformer; the encoder is ${encoder.transformer.causal ? "causal" : "bidirectional"}`);
  }
  return { encoder, length };
}

import type { Modality } from "../data/sample.js";
import type { Method } from "../methods/method.js";
import { defaultBatchSize, imageRecipe, textRecipe } from "../methods/recipes.js";
import { CliError } from "./errors.js";
import type { EncoderName, PretrainConfig } from "./config.js";
import type { TextEncoderSettings } from "./encoder.js";

/** A pretrain section with every choice the data and method decide made: what a run folder's config.json records. */
export type ResolvedPretrain = Omit<PretrainConfig, "encoder" | "batchSize"> & { readonly encoder: EncoderName; readonly batchSize: number };

/** A text run's tokenizer (the BPE vocabulary asked for; 0 for characters), context and transformer. */
export interface TextSettings extends TextEncoderSettings {
  readonly tokenizer: "char" | "bpe";
}

const TEXT_ENCODERS: readonly EncoderName[] = ["transformer", "gpt"];

/**
 * Fills the choices left to the data and the method: the encoder (the method's image recipe's for images, mlp for
 * tables, audio-cnn for audio, gpt for clm and transformer for the other text methods), the batch size and, for text,
 * the tokenizer, context and model from the method's recipe. An encoder of another modality is a
 * one-line error.
 */
export function resolveRunDefaults(p: PretrainConfig, method: Method, modality: Modality): ResolvedPretrain {
  const encoder = p.encoder ?? defaultEncoder(method.name, modality);
  const isText = TEXT_ENCODERS.includes(encoder);
  if (modality === "text" && !isText) throw new CliError(`--encoder ${encoder} reads images or table rows; for text use ${TEXT_ENCODERS.join(" or ")}`);
  if (modality !== "text" && isText) throw new CliError(`--encoder ${encoder} reads token ids; the data is ${modality}`);
  if ((modality === "audio") !== (encoder === "audio-cnn") && !(modality === "audio" && encoder === "mlp")) {
    throw new CliError(modality === "audio" ? `--encoder ${encoder} reads ${encoder === "small-cnn" || encoder === "resnet18" ? "images" : "other data"}; for audio use audio-cnn (or mlp)` : `--encoder audio-cnn reads log-mel spectrograms; the data is ${modality}`);
  }
  if (encoder === "ft-transformer" && modality !== "table") throw new CliError(`--encoder ft-transformer reads table rows; the data is ${modality}`);
  const batchSize = p.batchSize ?? defaultBatchSize(method.name, modality);
  if (modality !== "text") return { ...p, encoder, batchSize };
  const recipe = textRecipe(method.name);
  const tokenizer = p.tokenizer ?? recipe.tokenizer;
  if (tokenizer === "char" && p.vocabSize !== null && p.vocabSize !== 0) throw new CliError("--vocab-size sets a BPE vocabulary; a character tokenizer's vocabulary is the training text's characters");
  return {
    ...p,
    encoder,
    batchSize,
    tokenizer,
    // NOTE: 0 for char, whose vocabulary is the data's (the tokenizer.json says how many).
    vocabSize: tokenizer === "char" ? 0 : (p.vocabSize ?? recipe.vocabSize),
    context: p.context ?? recipe.context,
    dModel: p.dModel ?? recipe.dModel,
    layers: p.layers ?? recipe.layers,
    heads: p.heads ?? recipe.heads,
    dropout: p.dropout ?? recipe.dropout,
  };
}

function defaultEncoder(method: string, modality: Modality): EncoderName {
  if (modality === "text") return method === "clm" ? "gpt" : "transformer";
  if (modality === "audio") return "audio-cnn";
  return modality === "table" ? "mlp" : imageRecipe(method).encoder;
}

/** The text settings of a resolved config (every field set by `resolveRunDefaults`), or an error naming the file. */
export function textSettings(p: Omit<PretrainConfig, "encoder" | "batchSize">, source: string): TextSettings {
  const { tokenizer, vocabSize, context, dModel, layers, heads, dropout } = p;
  if (tokenizer === null || vocabSize === null || context === null || dModel === null || layers === null || heads === null || dropout === null) {
    throw new CliError(`${source}: a text run's pretrain section needs tokenizer, vocabSize, context, dModel, layers, heads and dropout`);
  }
  if (dModel % heads !== 0) throw new CliError(`--d-model ${dModel} is not divisible by --heads ${heads}`);
  return { tokenizer, vocabSize, context, dModel, layers, heads, dropout };
}

/** A saved (resolved) pretrain section as a `ResolvedPretrain`, or an error naming the file. */
export function savedRunDefaults(p: PretrainConfig, source: string): ResolvedPretrain {
  if (p.encoder === null || p.batchSize === null) throw new CliError(`${source}: pretrain.encoder and pretrain.batchSize are not set; not a config.json written by \`pretext pretrain\``);
  return { ...p, encoder: p.encoder, batchSize: p.batchSize };
}

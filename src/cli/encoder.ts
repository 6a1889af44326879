import { existsSync } from "node:fs";
import { type SampleSpec, type SpectrogramShape, describeSpec, spectrogramShape, imageShape, imageSpec, inputField, parseSampleSpec } from "../data/sample.js";
import type { Encoder } from "../methods/method.js";
import { SPECIAL_IDS } from "../data/text/tokenizer/tokenizer.js";
import { writeFileAtomic } from "../io/write-atomic.js";
import { type AbstractModule, AudioCnn, MlpEncoder, ResNet18Cifar, SmallCnn, TextTransformer, namedParameters, namedState } from "../nn/index.js";
import { FtTransformer } from "../nn/encoders/ft-transformer.js";
import { VisionTransformer } from "../nn/encoders/vit.js";
import { Rng } from "../random/rng.js";
import { type NamedTensor, encodeSafetensors, readSafetensors } from "../train/safetensors.js";
import type { EncoderName } from "./config.js";
import { CliError, ExitCode, errorMessage } from "./errors.js";

/** What a text encoder is built from: the tokenizer's vocabulary, the context and the transformer's sizes. */
export interface TextEncoderSettings {
  readonly vocabSize: number;
  readonly context: number;
  readonly dModel: number;
  readonly layers: number;
  readonly heads: number;
  readonly dropout: number;
}

/** Builds the named encoder for samples of `spec`, initialized from `rng`; a text encoder needs its settings. */
export function makeEncoder(name: EncoderName, spec: SampleSpec, rng: Rng, text?: TextEncoderSettings): Encoder {
  switch (name) {
    case "transformer":
    case "gpt": {
      if (text === undefined || inputField(spec).dtype !== "int64") throw new CliError(`encoder ${name} reads token ids; the data is ${describeSpec(spec)}`);
      // NOTE: the pad id is pretext's fixed 0 (SPECIAL_IDS), so padding is neither attended to nor pooled.
      return new TextTransformer(rng, { ...text, causal: name === "gpt", padId: SPECIAL_IDS.pad });
    }
    case "small-cnn":
    case "small-cnn-grid": {
      const [c, h, w] = imageInput(spec, name);
      // NOTE: the grid pools 3×3 windows of stride 2 of the H/4 × W/4 map: at least 3×3 of it.
      const least = name === "small-cnn" ? 4 : 12;
      if (h < least || w < least) throw new CliError(`encoder ${name} needs images of at least ${least}x${least}, the data has ${h}x${w}; use --encoder mlp`);
      return new SmallCnn(rng, { inChannels: c, ...(name === "small-cnn-grid" ? { poolGrid: 3 } : {}) });
    }
    case "audio-cnn": {
      const [mels] = audioInput(spec);
      return new AudioCnn(rng, { mels });
    }
    case "resnet18":
      return new ResNet18Cifar(rng, { inChannels: imageInput(spec, name)[0] });
    case "vit": {
      const [c, h, w] = imageInput(spec, name);
      // NOTE: the encoder's defaults (7×7 patches, d 128, 4 blocks of 4 heads, MLP ratio 2) were
      // measured on 28×28 digits (src/nn/encoders/vit.ts); the patch must tile the image exactly.
      const patch = 7;
      if (h % patch !== 0 || w % patch !== 0) throw new CliError(`encoder vit cuts images into ${patch}x${patch} patches; the data's ${h}x${w} is not divisible by ${patch}; use --encoder small-cnn`);
      return new VisionTransformer(rng, { imageShape: [c, h, w], patchSize: patch });
    }
    case "mlp": {
      const field = inputField(spec);
      if (field.dtype !== "float32") throw new CliError(`encoder mlp needs float inputs; the data is ${describeSpec(spec)}`);
      // NOTE: sizes of a small tabular encoder; BatchNorm keeps unscaled columns trainable.
      return new MlpEncoder(rng, { inputShape: field.shape, hidden: [256, 256], outputDim: 128, norm: "batch" });
    }
    case "ft-transformer": {
      const field = inputField(spec);
      if (spec.modality !== "table" || field.shape.length !== 1) throw new CliError(`encoder ft-transformer reads table rows; the data is ${describeSpec(spec)}`);
      // NOTE: one token per encoded feature (a one-hot slot is a binary feature): the sample spec
      // does not say which slots form a column. Sizes: the paper's default configuration (d 192, 3 blocks, 8 heads).
      return new FtTransformer(rng, { features: field.shape[0] as number });
    }
  }
}

/**
 * Refuses, in one line, a method that cannot train the named encoder: jigsaw embeds each tile on
 * its own, and a ViT's position embeddings are learned for the whole image's grid of patches.
 */
export function checkEncoderForMethod(name: EncoderName, method: string): void {
  if (name === "vit" && method === "jigsaw") {
    throw new CliError("--method jigsaw embeds each tile on its own, and encoder vit's position embeddings are for the whole image's grid of patches; use --encoder small-cnn");
  }
}

function audioInput(spec: SampleSpec): SpectrogramShape {
  try {
    return spectrogramShape(spec, "encoder audio-cnn");
  } catch (e) {
    throw new CliError(errorMessage(e));
  }
}

function imageInput(spec: SampleSpec, name: EncoderName): readonly [number, number, number] {
  try {
    return imageShape(spec, `encoder ${name}`);
  } catch (e) {
    throw new CliError(`${errorMessage(e)}; use --encoder mlp`);
  }
}

/** A fresh encoder as `pretrain` seeds it (the run's seed), so a rebuilt one has the same layout. */
export function encoderForRun(name: EncoderName, spec: SampleSpec, seed: number, text?: TextEncoderSettings): Encoder {
  return makeEncoder(name, spec, new Rng(seed), text);
}

/**
 * Writes the encoder's parameters and state buffers by dotted path (the ONNX initializer names
 * too), with the architecture and sample spec in the metadata so it can be rebuilt without data.
 */
export async function saveEncoderWeights(path: string, encoder: Encoder, name: EncoderName, spec: SampleSpec, text?: TextEncoderSettings): Promise<void> {
  const metadata: Record<string, string> = { format: "pretext-encoder", encoder: name, sampleSpec: JSON.stringify(spec) };
  if (text !== undefined) metadata.textEncoder = JSON.stringify(text);
  await saveModuleWeights(path, encoder, metadata);
}

/** Writes a module's parameters and state by dotted path, atomically (temp file + rename). */
export async function saveModuleWeights(path: string, module: AbstractModule, metadata: Record<string, string>): Promise<void> {
  const tensors = new Map<string, NamedTensor>();
  for (const [k, p] of [...namedParameters(module), ...namedState(module)]) tensors.set(k, { shape: [...p.shape], data: p.value });
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Loads weights written by `saveModuleWeights` into `module` (every parameter and state buffer must be there, at its size). */
export async function loadModuleWeights(path: string, module: AbstractModule): Promise<Readonly<Record<string, string>>> {
  const { tensors, metadata } = await readWeights(path);
  for (const [k, p] of [...namedParameters(module), ...namedState(module)]) {
    const t = tensors.get(k);
    if (t === undefined || !(t.data instanceof Float32Array) || t.data.length !== p.value.length) {
      throw new CliError(`${path}: "${k}" is missing or has the wrong size; the file is from another model`, ExitCode.failure);
    }
    p.value.set(t.data);
  }
  return metadata;
}

/** A weights file, or a one-line data error naming it (a damaged or hostile file is not a bug). */
async function readWeights(path: string): Promise<Awaited<ReturnType<typeof readSafetensors>>> {
  try {
    return await readSafetensors(path);
  } catch (e) {
    throw new CliError(errorMessage(e), ExitCode.failure);
  }
}

/** Rebuilds a saved encoder (architecture and sample spec from the file) and loads its weights. */
export async function loadEncoder(path: string, name: EncoderName, seed: number): Promise<{ encoder: Encoder; spec: SampleSpec; text: TextEncoderSettings | null }> {
  if (!existsSync(path)) {
    throw new CliError(`${path}: no trained encoder; the run did not finish. Continue it with \`pretext pretrain --resume <run-dir>\``, ExitCode.failure);
  }
  const { tensors, metadata } = await readWeights(path);
  const spec = savedSpec(metadata, path);
  const text = metadata.textEncoder === undefined ? null : savedTextSettings(metadata.textEncoder, path);
  const encoder = encoderForRun(name, spec, seed, text ?? undefined);
  for (const [k, p] of [...namedParameters(encoder), ...namedState(encoder)]) {
    const t = tensors.get(k);
    if (t === undefined || !(t.data instanceof Float32Array) || t.data.length !== p.value.length) {
      throw new CliError(`${path}: "${k}" is missing or has the wrong size; the config.json and weights are from different encoders`, ExitCode.failure);
    }
    p.value.set(t.data);
  }
  return { encoder, spec, text };
}

function savedTextSettings(json: string, path: string): TextEncoderSettings {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    value = null;
  }
  const keys = ["vocabSize", "context", "dModel", "layers", "heads", "dropout"] as const;
  if (typeof value !== "object" || value === null || !keys.every((k) => typeof (value as Record<string, unknown>)[k] === "number")) {
    throw new CliError(`${path}: its textEncoder metadata is damaged; not written by \`pretext pretrain\``, ExitCode.failure);
  }
  const v = value as Record<(typeof keys)[number], number>;
  return { vocabSize: v.vocabSize, context: v.context, dModel: v.dModel, layers: v.layers, heads: v.heads, dropout: v.dropout };
}

/** The sample spec in an encoder file's metadata (`sampleShape` "C,H,W" in files written before specs existed). */
function savedSpec(metadata: Readonly<Record<string, string>>, path: string): SampleSpec {
  const bad = () => new CliError(`${path}: no sample spec in its metadata; not written by \`pretext pretrain\``, ExitCode.failure);
  if (metadata.sampleSpec !== undefined) {
    const parsed = parseSampleSpec(metadata.sampleSpec);
    if (parsed === null) throw bad();
    return parsed;
  }
  const dims = (metadata.sampleShape ?? "").split(",").map(Number);
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) throw bad();
  return imageSpec([dims[0] as number, dims[1] as number, dims[2] as number]);
}

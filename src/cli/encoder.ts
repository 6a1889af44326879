import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { SampleShape } from "../data/dataset.js";
import type { Encoder } from "../methods/method.js";
import { MlpEncoder, ResNet18Cifar, SmallCnn, namedParameters, namedState } from "../nn/index.js";
import { Rng } from "../random/rng.js";
import { type NamedTensor, encodeSafetensors, readSafetensors } from "../train/safetensors.js";
import type { EncoderName } from "./config.js";
import { CliError, ExitCode } from "./errors.js";

/** Builds the named encoder for samples of `shape`, initialized from `seed`. */
export function makeEncoder(name: EncoderName, shape: SampleShape, rng: Rng): Encoder {
  const [c, h, w] = shape;
  switch (name) {
    case "small-cnn":
      if (h < 4 || w < 4) throw new CliError(`encoder small-cnn needs images of at least 4x4, the data has ${h}x${w}; use --encoder mlp`);
      return new SmallCnn(rng, { inChannels: c });
    case "resnet18":
      return new ResNet18Cifar(rng, { inChannels: c });
    case "mlp":
      // NOTE: sizes of a small tabular encoder; BatchNorm keeps unscaled columns trainable.
      return new MlpEncoder(rng, { inputShape: [c, h, w], hidden: [256, 256], outputDim: 128, norm: "batch" });
  }
}

/** A fresh encoder as `pretrain` seeds it (the run's seed), so a rebuilt one has the same layout. */
export function encoderForRun(name: EncoderName, shape: SampleShape, seed: number): Encoder {
  return makeEncoder(name, shape, new Rng(seed));
}

/**
 * Writes the encoder's parameters and state buffers by dotted path (the ONNX initializer names
 * too), with the architecture and sample shape in the metadata so it can be rebuilt without data.
 */
export async function saveEncoderWeights(path: string, encoder: Encoder, name: EncoderName, shape: SampleShape): Promise<void> {
  const tensors = new Map<string, NamedTensor>();
  for (const [k, p] of [...namedParameters(encoder), ...namedState(encoder)]) tensors.set(k, { shape: [...p.shape], data: p.value });
  await writeFile(path, encodeSafetensors(tensors, { format: "pretext-encoder", encoder: name, sampleShape: shape.join(",") }));
}

/** Rebuilds a saved encoder (architecture and sample shape from the file) and loads its weights. */
export async function loadEncoder(path: string, name: EncoderName, seed: number): Promise<{ encoder: Encoder; sampleShape: SampleShape }> {
  if (!existsSync(path)) {
    throw new CliError(`${path}: no trained encoder; the run did not finish. Continue it with \`pretext pretrain --resume <run-dir>\``, ExitCode.failure);
  }
  const { tensors, metadata } = await readSafetensors(path);
  const dims = (metadata.sampleShape ?? "").split(",").map(Number);
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) throw new CliError(`${path}: no sampleShape in its metadata; not written by \`pretext pretrain\``, ExitCode.failure);
  const sampleShape: SampleShape = [dims[0] as number, dims[1] as number, dims[2] as number];
  const encoder = encoderForRun(name, sampleShape, seed);
  for (const [k, p] of [...namedParameters(encoder), ...namedState(encoder)]) {
    const t = tensors.get(k);
    if (t === undefined || !(t.data instanceof Float32Array) || t.data.length !== p.value.length) {
      throw new CliError(`${path}: "${k}" is missing or has the wrong size; the config.json and weights are from different encoders`, ExitCode.failure);
    }
    p.value.set(t.data);
  }
  return { encoder, sampleShape };
}

import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { type SampleSpec, describeSpec, imageShape, imageSpec, inputField, parseSampleSpec } from "../data/sample.js";
import type { Encoder } from "../methods/method.js";
import { MlpEncoder, ResNet18Cifar, SmallCnn, namedParameters, namedState } from "../nn/index.js";
import { Rng } from "../random/rng.js";
import { type NamedTensor, encodeSafetensors, readSafetensors } from "../train/safetensors.js";
import type { EncoderName } from "./config.js";
import { CliError, ExitCode, errorMessage } from "./errors.js";

/** Builds the named encoder for samples of `spec`, initialized from `rng`. */
export function makeEncoder(name: EncoderName, spec: SampleSpec, rng: Rng): Encoder {
  switch (name) {
    case "small-cnn": {
      const [c, h, w] = imageInput(spec, name);
      if (h < 4 || w < 4) throw new CliError(`encoder small-cnn needs images of at least 4x4, the data has ${h}x${w}; use --encoder mlp`);
      return new SmallCnn(rng, { inChannels: c });
    }
    case "resnet18":
      return new ResNet18Cifar(rng, { inChannels: imageInput(spec, name)[0] });
    case "mlp": {
      const field = inputField(spec);
      if (field.dtype !== "float32") throw new CliError(`encoder mlp needs float inputs; the data is ${describeSpec(spec)}`);
      // NOTE: sizes of a small tabular encoder; BatchNorm keeps unscaled columns trainable.
      return new MlpEncoder(rng, { inputShape: field.shape, hidden: [256, 256], outputDim: 128, norm: "batch" });
    }
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
export function encoderForRun(name: EncoderName, spec: SampleSpec, seed: number): Encoder {
  return makeEncoder(name, spec, new Rng(seed));
}

/**
 * Writes the encoder's parameters and state buffers by dotted path (the ONNX initializer names
 * too), with the architecture and sample spec in the metadata so it can be rebuilt without data.
 */
export async function saveEncoderWeights(path: string, encoder: Encoder, name: EncoderName, spec: SampleSpec): Promise<void> {
  const tensors = new Map<string, NamedTensor>();
  for (const [k, p] of [...namedParameters(encoder), ...namedState(encoder)]) tensors.set(k, { shape: [...p.shape], data: p.value });
  await writeFile(path, encodeSafetensors(tensors, { format: "pretext-encoder", encoder: name, sampleSpec: JSON.stringify(spec) }));
}

/** Rebuilds a saved encoder (architecture and sample spec from the file) and loads its weights. */
export async function loadEncoder(path: string, name: EncoderName, seed: number): Promise<{ encoder: Encoder; spec: SampleSpec }> {
  if (!existsSync(path)) {
    throw new CliError(`${path}: no trained encoder; the run did not finish. Continue it with \`pretext pretrain --resume <run-dir>\``, ExitCode.failure);
  }
  const { tensors, metadata } = await readSafetensors(path);
  const spec = savedSpec(metadata, path);
  const encoder = encoderForRun(name, spec, seed);
  for (const [k, p] of [...namedParameters(encoder), ...namedState(encoder)]) {
    const t = tensors.get(k);
    if (t === undefined || !(t.data instanceof Float32Array) || t.data.length !== p.value.length) {
      throw new CliError(`${path}: "${k}" is missing or has the wrong size; the config.json and weights are from different encoders`, ExitCode.failure);
    }
    p.value.set(t.data);
  }
  return { encoder, spec };
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

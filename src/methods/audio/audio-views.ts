import {
  type AudioAugmentationPreset,
  MixupBank,
  audioViews,
  byolAPreset,
  colaPreset,
  randomTimeCrop,
  specAugmentPreset,
  voicePreset,
  windowFrames,
} from "../../data/audio/augment/index.js";
import type { Dataset } from "../../data/dataset.js";
import { minePositives, withPositives } from "../../data/audio/mined-positives.js";
import { type Batch, batchField } from "../../data/loader.js";
import { spectrogramShape } from "../../data/sample.js";
import type { Rng } from "../../random/rng.js";
import { type HostTensor, hostTensor } from "../../runtime/index.js";
import type { BatchSpec } from "../../train/train-step.js";
import type { TwoViews } from "../heads.js";
import type { MethodSetup } from "../method.js";

/** The log-mel view recipes an audio method option can name. */
export type AudioViewsName = "byol-a" | "byol-a-v2" | "cola" | "spec-augment" | "voice" | "crop";

function preset(name: AudioViewsName): AudioAugmentationPreset {
  switch (name) {
    case "byol-a":
      return byolAPreset();
    case "byol-a-v2":
      return byolAPreset({ version: 2 });
    case "cola":
      return colaPreset();
    case "spec-augment":
      return specAugmentPreset();
    case "voice":
      return voicePreset();
    case "crop":
      return { name: "crop", shared: [], views: [[randomTimeCrop()]], needsBank: false };
  }
}

/**
 * The background clips BYOL-A's mixup draws from: the batch's own clips (centred crops), not a
 * FIFO of past batches as BYOL-A keeps. A bank carried across steps would be state outside the
 * checkpoint (50 MB at BYOL-A's 2,048 clips), and a resumed run would mix with an empty one; a
 * batch of 256 clips drawn at random from the data set is the same distribution of backgrounds,
 * and every step's views are then a function of its batch and its generator alone.
 */
function batchBank(values: Float32Array, n: number, mels: number, frames: number, outFrames: number): MixupBank {
  const bank = new MixupBank(n, mels, outFrames);
  const start = Math.max(0, Math.floor((frames - outFrames) / 2));
  for (let s = 0; s < n; s++) bank.push(windowFrames({ data: values.subarray(s * mels * frames, (s + 1) * mels * frames), mels, frames }, outFrames, start, 0));
  return bank;
}

/**
 * Where a two-view method's second view comes from: another augmentation of the same clip, or an
 * augmentation of the clip's mined partner (`minePositives`: the same word, likely another voice).
 */
export type AudioPositives = "augmented" | "mined";

/** The views of `name` for a batch's `field` (`logmel`, or the mined `positive`): one `[N, 1, M, outFrames]` array per view. */
function makeViews(batch: Batch, name: AudioViewsName, outFrames: number, rng: Rng, who: string, fieldName = "logmel"): Float32Array[] {
  const field = batchField(batch, fieldName, "float32", who);
  const [n, , mels, frames] = field.shape as [number, number, number, number];
  const p = preset(name);
  const bank = p.needsBank ? batchBank(field.data, n, mels, frames, outFrames) : null;
  return audioViews(field.data, [n, 1, mels, frames], p, rng, outFrames, bank);
}

function viewShape(setup: MethodSetup, outFrames: number, who: string): number[] {
  const [mels] = spectrogramShape(setup.spec, who);
  return [setup.batchSize, 1, mels, outFrames];
}

/** The step inputs of a two-view audio method (BYOL-A, COLA), and the host function that makes them. */
export function audioTwoViewInputs(
  setup: MethodSetup,
  name: AudioViewsName,
  outFrames: number,
  positives: AudioPositives = "augmented",
): { batch: Record<TwoViews, BatchSpec>; views: (batch: Batch, rng: Rng) => Record<TwoViews, HostTensor> } {
  const shape = viewShape(setup, outFrames, "a two-view audio method");
  if (preset(name).views.length !== 2) throw new Error(`audio views "${name}" make ${preset(name).views.length} view(s); a two-view method needs 2`);
  const who = "two-view audio augmentation";
  return {
    batch: { view0: { shape }, view1: { shape } },
    views: (batch, rng) => {
      if (positives === "mined") {
        // the clip's first view and its partner's second, each from its own generator
        const [first, second] = [rng.split(), rng.split()];
        const a = makeViews(batch, name, outFrames, first, who)[0] as Float32Array;
        const b = makeViews(batch, name, outFrames, second, `${who} of mined positives (a data set prepared by minePositives)`, "positive")[1] as Float32Array;
        return { view0: hostTensor("float32", shape, a), view1: hostTensor("float32", shape, b) };
      }
      const [a, b] = makeViews(batch, name, outFrames, rng, who) as [Float32Array, Float32Array];
      return { view0: hostTensor("float32", shape, a), view1: hostTensor("float32", shape, b) };
    },
  };
}

/** A data set with each clip's mined partner as its `positive` field (once it has one, as is). */
export function preparePositives(dataset: Dataset, positives: AudioPositives): Dataset {
  if (positives !== "mined" || "positive" in dataset.spec.fields) return dataset;
  return withPositives(dataset, minePositives(dataset));
}

/** The step input of a one-view audio method (CPC: a random crop of each clip). */
export function audioOneViewInput(
  setup: MethodSetup,
  name: AudioViewsName,
  outFrames: number,
): { batch: Record<"view", BatchSpec>; views: (batch: Batch, rng: Rng) => Record<"view", HostTensor> } {
  const shape = viewShape(setup, outFrames, "a one-view audio method");
  return {
    batch: { view: { shape } },
    views: (batch, rng) => ({ view: hostTensor("float32", shape, makeViews(batch, name, outFrames, rng, "audio augmentation")[0] as Float32Array) }),
  };
}

/**
 * The bench's BYOL-A step, built from the real method so that it measures what `pretext pretrain
 * --method byol-a` runs on 1 s clips: the `audio-cnn` encoder the CLI makes for 64-band log-mel
 * (BYOL-A's AudioNTT2020, embedding 512), `byol-a.plan` with its defaults (views of 96 frames, the
 * projector and predictor 4096-BN-ReLU-256, the EMA target of encoder + projector, Adam 3e-4) at
 * the default batch of 256 clips, and `TrainStep.compile` as `pretrain` compiles it.
 *
 * It is fed one fixed pair of standard-normal views `[256, 1, 64, 96]` (the range of normalized
 * log-mel), not views drawn by the plan: drawing BYOL-A's views is host work that `fit` overlaps
 * with the previous step, so the figure is the step alone. bench/pytorch/reference.py's `byol-a`
 * workload copies these sizes.
 */
import { audioSpec } from "../src/data/sample.js";
import { byolA } from "../src/methods/audio/byol-a.js";
import { AudioCnn } from "../src/nn/index.js";
import { Rng } from "../src/random/rng.js";
import { type CompileOptions, type HostTensor, hostTensor } from "../src/runtime/index.js";
import { TrainStep } from "../src/train/train-step.js";

/** The shapes of the bench's BYOL-A step, which reference.py's `byol-a` workload copies. */
export const byolABenchShape = { batchSize: 256, mels: 64, clipFrames: 101, viewFrames: byolA.defaults.viewFrames } as const;

export interface ByolABench {
  readonly step: TrainStep<string>;
  readonly feeds: Readonly<Record<string, HostTensor>>;
  /** Clips per step (each seen as two views). */
  readonly clipsPerStep: number;
}

/** Compiles the BYOL-A step with fixed random views. `totalSteps` only shapes the target's momentum schedule. */
export async function buildByolAStep(compile: CompileOptions = {}, totalSteps = 1000): Promise<ByolABench> {
  const { batchSize: B, mels, clipFrames, viewFrames } = byolABenchShape;
  const rng = new Rng(0);
  const encoder = new AudioCnn(rng, { mels });
  const spec = audioSpec(mels, clipFrames);
  const plan = byolA.plan({ encoder, spec, batchSize: B, totalSteps, rng: rng.split() }, byolA.defaults);
  const step = await TrainStep.compile({ ...plan, seed: 0, compile });
  const shape = [B, 1, mels, viewFrames];
  const size = B * mels * viewFrames;
  const feeds = { view0: hostTensor("float32", shape, rng.normalArray(size)), view1: hostTensor("float32", shape, rng.normalArray(size)) };
  return { step, feeds, clipsPerStep: B };
}

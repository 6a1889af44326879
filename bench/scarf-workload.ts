/**
 * The bench's SCARF step, built from the real method so that it measures what `pretext pretrain
 * --method scarf` runs: SCARF's encoder of 4 layers of 256 (Bahri et al. 2022, §4: the MLP of the
 * paper; here `MlpEncoder` with hidden [256, 256, 256] and a 256-d output, batch norm after each
 * hidden Linear as the CLI's table encoder), `scarf.plan` with its defaults (the 2-layer 256
 * projector, InfoNCE at τ 0.1, Adam 1e-3) at a batch of 512 rows of letter's 16 features, and
 * `TrainStep.compile` as `pretrain` compiles it.
 *
 * It is fed one fixed pair of standard-normal row batches (the range of standardized features),
 * not corrupted copies drawn by the plan: drawing them is host work that `fit` overlaps with the
 * previous step, so the figure is the step alone. bench/pytorch/reference.py's `scarf` workload
 * copies these sizes.
 */
import { tableSpec } from "../src/data/sample.js";
import { scarf } from "../src/methods/table/scarf.js";
import { MlpEncoder } from "../src/nn/index.js";
import { Rng } from "../src/random/rng.js";
import { type CompileOptions, type HostTensor, hostTensor } from "../src/runtime/index.js";
import { TrainStep } from "../src/train/train-step.js";

/** The shapes of the bench's SCARF step, which reference.py's `scarf` workload copies. */
export const scarfBenchShape = { batchSize: 512, features: 16, hidden: [256, 256, 256], outputDim: 256 } as const;

export interface ScarfBench {
  readonly step: TrainStep<string>;
  readonly feeds: Readonly<Record<string, HostTensor>>;
  /** Rows per step (each seen clean and corrupted). */
  readonly rowsPerStep: number;
}

/** Compiles the SCARF step with fixed random rows. */
export async function buildScarfStep(compile: CompileOptions = {}): Promise<ScarfBench> {
  const { batchSize: B, features: F, hidden, outputDim } = scarfBenchShape;
  const rng = new Rng(0);
  const encoder = new MlpEncoder(rng, { inputShape: [F], hidden, outputDim, norm: "batch" });
  const plan = scarf.plan({ encoder, spec: tableSpec(F), batchSize: B, totalSteps: 1000, rng: rng.split() }, scarf.defaults);
  const step = await TrainStep.compile({ ...plan, seed: 0, compile });
  const shape = [B, F];
  const feeds = { view0: hostTensor("float32", shape, rng.normalArray(B * F)), view1: hostTensor("float32", shape, rng.normalArray(B * F)) };
  return { step, feeds, rowsPerStep: B };
}

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Dataset } from "../data/dataset.js";
import { writeFileAtomic } from "../io/write-atomic.js";
import type { Encoder } from "../methods/method.js";
import { type FeatureReconstruction, featureMeans, vimeReconstructionErrors } from "../methods/table/vime-reconstruction.js";
import { VimeHeads, vimeDefaults } from "../methods/table/vime.js";
import { ModuleDict } from "../nn/index.js";
import { Rng } from "../random/rng.js";
import { loadModuleWeights } from "./encoder.js";
import type { RunFolder } from "./run-folder.js";
import { readRunTable } from "./table-run.js";

/** What a masked table method's run writes beside its evaluation: `reconstruction.json`, read by the report. */
export interface ReconstructionFile {
  readonly method: string;
  /** The held-out rows it was measured on. */
  readonly rows: number;
  readonly mask_probability: number;
  readonly seed: number;
  readonly features: readonly FeatureReconstruction[];
}

/** Where a run keeps its per-feature reconstruction errors. */
export function reconstructionPath(run: RunFolder): string {
  return join(run.dir, "reconstruction.json");
}

/** Whether a method's heads restore the corrupted features, so a per-feature reconstruction error exists. */
export function reconstructsFeatures(methodName: string): boolean {
  return methodName === "vime";
}

/**
 * For a VIME run, the per-feature reconstruction error on the test rows, written (atomically) to
 * `reconstruction.json`: the feature head loaded from `headsPath`, the corruption at the run's own
 * p_m, seeded by the run's seed, against imputing the training rows' mean. Returns the file's contents, or null when the heads were never
 * saved (an interrupted run).
 */
export async function writeVimeReconstruction(run: RunFolder, encoder: Encoder, headsPath: string, train: Dataset, test: Dataset, seed: number): Promise<ReconstructionFile | null> {
  if (!existsSync(headsPath)) return null;
  const encoding = readRunTable(run);
  const field = test.spec.fields[test.spec.input];
  const d = field?.shape[0] ?? 0;
  const names = encoding?.features ?? Array.from({ length: d }, (_, j) => `feature ${j}`);
  const method = run.readConfig().method;
  const p = typeof method === "object" && method !== null && !Array.isArray(method) ? method.maskProbability : undefined;
  const maskProbability = typeof p === "number" ? p : vimeDefaults.maskProbability;
  const heads = new VimeHeads(encoder.outputDim, d, new Rng(0));
  await loadModuleWeights(headsPath, new ModuleDict({ heads }));
  const features = await vimeReconstructionErrors(encoder, heads, test, names, { maskProbability, seed, means: featureMeans(train) });
  const file: ReconstructionFile = { method: "vime", rows: test.length, mask_probability: maskProbability, seed, features };
  await writeFileAtomic(reconstructionPath(run), `${JSON.stringify(file, null, 2)}\n`);
  return file;
}

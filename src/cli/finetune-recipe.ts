import type { Modality } from "../data/sample.js";
import type { FinetuneOptions } from "../eval/finetune.js";

/** The PyTorch anchor's supervised baseline: 300 Adam steps at 1e-3, the labelled set as one batch. */
const ANCHOR: FinetuneOptions = { steps: 300, learningRate: 1e-3 };

/**
 * How `pretext eval --probes finetune` fine-tunes a run's encoder on k labels per class.
 *
 * Images: LP-FT (Kumar et al. 2022: the head starts as the logistic regression on the frozen
 * features) with the encoder at a tenth of the head's rate. Measured 2026-12-08 on VICReg (with
 * its rotation term) after 10 minutes, 10 labels per class, 3 seeded draws
 * (scripts/image-finetune-trial.mts; docs/image-recipes.md):
 * - this recipe: Fashion-MNIST 77.2 ± 0.9, MNIST 96.0 ± 0.4 (the frozen linear probe: 76.9, 95.5);
 * - the anchor's settings: 75.3 ± 1.3 and 95.4 ± 1.1;
 * - either with SimCLR's crops and jitter on every batch: 72.2 / 93.8 and 75.2 / 95.1.
 * Other modalities: the anchor's settings (not measured there).
 */
export function finetuneRecipe(modality: Modality): FinetuneOptions {
  return modality === "image" ? { ...ANCHOR, headInit: "linear-probe", encoderLearningRate: 1e-4 } : ANCHOR;
}

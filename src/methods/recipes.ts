import type { Modality } from "../data/sample.js";
import type { Method } from "./method.js";

/** How a text method's data and encoder are set up by default (the CLI and the playground read these). */
export interface TextRecipe {
  /** Sequences per step. */
  readonly batchSize: number;
  /** The model's context in tokens (a document's padded length; a causal LM reads windows of context + 1). */
  readonly context: number;
  readonly tokenizer: "char" | "bpe";
  /** For "bpe": the vocabulary, specials and the 256 bytes included. */
  readonly vocabSize: number;
  readonly dModel: number;
  readonly layers: number;
  readonly heads: number;
  /** In every transformer block and on the embeddings. */
  readonly dropout: number;
}

/**
 * The measured defaults of the text methods, each value with where it comes from. A small
 * transformer (d 128, 4 layers, 4 heads: the PyTorch anchor's TinyGPT, ~0.8M parameters besides
 * the embeddings) for every method, so runs compare; BPE with 4,096 ids (enough for corpora of
 * megabytes: fortunes' 12k texts give ~3.4 bytes per token).
 */
export const TEXT_RECIPES: Readonly<Record<string, TextRecipe>> = {
  // nanoGPT's CPU recipe (context 64, batch 12) beat the bench's shape (128 × 64) by 0.7 nats in
  // 5 minutes on Moby Dick with PyTorch (anchors README): many small steps win at this budget.
  // Dropout 0, as nanoGPT on small data for short runs.
  clm: { batchSize: 12, context: 64, tokenizer: "bpe", vocabSize: 4096, dModel: 128, layers: 4, heads: 4, dropout: 0 },
  // BERT's dropout 0.1. Context 64: a step costs half of one at 128, and in minutes the steps are
  // worth more than the tail of long documents (fortunes: 79% of them fit in 64 BPE tokens, SOTU's
  // passages are cut at ~50 words). Measured on fortunes, 10 labels per class (3 draws;
  // examples/text-few-labels.ts): 300 s 18.3% at 64 against 14.2% at 128; 600 s 19.3% against 16.6%.
  mlm: { batchSize: 64, context: 64, tokenizer: "bpe", vocabSize: 4096, dModel: 128, layers: 4, heads: 4, dropout: 0.1 },
  // SimCSE's dropout 0.1 is its augmentation; batch 64 as its unsupervised BERT runs; context as mlm.
  simcse: { batchSize: 64, context: 64, tokenizer: "bpe", vocabSize: 4096, dModel: 128, layers: 4, heads: 4, dropout: 0.1 },
};

/** A text method's recipe, or the MLM one for a method without its own (a user's). */
export function textRecipe(method: string): TextRecipe {
  return TEXT_RECIPES[method] ?? (TEXT_RECIPES.mlm as TextRecipe);
}

/** Images per step for the image and table methods: the PyTorch anchor's 256 (contrastive losses want negatives). */
export const DEFAULT_BATCH_SIZE = 256;

/**
 * What pretext runs for an image method where that differs from the method's paper settings (its
 * `defaults`): the batch, the encoder and option values that learned the most in minutes on two
 * data sets at once (the bundled MNIST and Fashion-MNIST), never on one alone.
 */
export interface ImageRecipe {
  /** Images per step. */
  readonly batchSize: number;
  /** The encoder the CLI builds when `--encoder` is not given. */
  readonly encoder: "small-cnn" | "small-cnn-grid" | "mlp";
  /** Overrides of the method's paper settings, by option name (checked against them by `recipeDefaults`). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Where the values come from: the measurement (command, figures on both data sets) or the paper. */
  readonly evidence: string;
}

/**
 * Why every image recipe takes `small-cnn-grid`. Measured 2026-12-07, 180 s each on 2 cores
 * (scripts/image-recipe-trial.mts: `pretrain` + `evaluateEncoder`, seeded 10-label draws; docs/image-recipes.md):
 * VICReg on Fashion-MNIST linear all / kNN 90.6 / 87.7 against 86.4 / 84.8 pooled globally, on
 * MNIST 99.5 / 98.1 against 99.3 / 97.4; SimCLR (τ 1, batch 128) on Fashion-MNIST 89.7 / 85.6
 * against 85.1 / 81.8 at the paper's settings; the denoising autoencoder 90.0 / 86.3 against 86.4 / 85.4.
 */
const GRID = "small-cnn-grid";

/** The paper's settings and the anchor's batch, on the grid encoder: a method not tuned further here. */
const UNTUNED: ImageRecipe = { batchSize: DEFAULT_BATCH_SIZE, encoder: GRID, options: {}, evidence: "the paper's settings at the PyTorch anchor's batch of 256 on small-cnn-grid (measured for VICReg, SimCLR and the denoising autoencoder)" };

export const IMAGE_RECIPES: Readonly<Record<string, ImageRecipe>> = {
  // docs/simclr-recipe.md: batch 128 and τ 1.0 took the 290 s MNIST run from 94.8% to 95.8% at 10
  // labels per class (three seeds); on Fashion-MNIST, 180 s, 10 labels / linear all / kNN
  // 71.6 / 89.7 / 85.6 on the grid encoder against 70.3 / 85.1 / 81.8 at batch 256, τ 0.5 pooled globally.
  simclr: { batchSize: 128, encoder: GRID, options: { temperature: 1.0 }, evidence: "batch 128 and temperature 1.0: MNIST 10-label probe 95.8% against 94.8% at 0.5 (290 s, three seeds); Fashion-MNIST 180 s linear all 89.7% against 85.1%" },
  // Jigsaw's encoder sees 10×10 tiles, not the image: their 2×2 last map is below the 3×3 the grid
  // keeps, so it pools globally (README's 300 s MNIST table: 83.8% at 10 labels on small-cnn).
  jigsaw: { batchSize: DEFAULT_BATCH_SIZE, encoder: "small-cnn", options: {}, evidence: "the paper's settings at batch 256 on small-cnn: its encoder reads 10×10 tiles, too small for the grid's 3×3 pooling (needs 12×12)" },
  // docs/image-recipes.md: rotation led both 10-minute comparisons (Fashion-MNIST 76.9 / 91.6 / 89.0,
  // MNIST 95.1 / 99.9 / 99.2); at 180 s a cosine schedule (75.5 / 90.9 / 87.9) and all four
  // rotations per image (74.8 / 90.6 / 87.9) did no better than these defaults (75.6 / 90.8 / 88.4).
  rotation: { batchSize: DEFAULT_BATCH_SIZE, encoder: GRID, options: {}, evidence: "the paper's task with SimCLR's crops at batch 256 on small-cnn-grid: 10 minutes, Fashion-MNIST 10-label / linear all / kNN 76.9 / 91.6 / 89.0, MNIST 95.1 / 99.9 / 99.2; a cosine schedule and all four rotations per image measured no better" },
  // docs/image-recipes.md: a rotation term (weight 5; both views share a random quarter turn, a
  // head predicts it) lifted Fashion-MNIST at 180 s (10-label / linear all / kNN 76.0 / 91.1 / 89.0
  // against 74.2 / 90.5 / 87.4, quiet machine) and left MNIST level (93.3 / 99.1 / 97.9 against
  // 93.4 / 99.3 / 98.2); in 10 minutes with the CLI it gave Fashion-MNIST 76.9 / 91.8 / 89.7 and
  // MNIST 95.5 / 99.5 / 98.7, against VICReg alone's 75.3 / 90.8 / 87.9 and 95.3 / 99.4 / 98.5
  // (those on a shared machine). Measured no better on Fashion-MNIST at 180 s, so left out: batch
  // 128 (linear all / kNN 90.7 / 87.5 against 90.6 / 87.7), a reconstruction term of weight 25
  // (90.8 / 87.7), and with the rotation term, crops of area 0.2–1 or a horizontal flip.
  vicreg: {
    batchSize: DEFAULT_BATCH_SIZE,
    encoder: GRID,
    options: { rotationWeight: 5 },
    evidence:
      "the paper's weights (25, 25, 1) at batch 256 plus a rotation term of weight 5: 10 minutes, Fashion-MNIST 10-label / linear all / kNN 76.9 / 91.8 / 89.7 and MNIST 95.5 / 99.5 / 98.7 (VICReg alone 75.3 / 90.8 / 87.9 and 95.3 / 99.4 / 98.5); batch 128, a reconstruction term, wider crops and flips measured no better",
  },
};

/** An image method's recipe (the untuned one for a method without its own). */
export function imageRecipe(method: string): ImageRecipe {
  return IMAGE_RECIPES[method] ?? UNTUNED;
}

/**
 * A method's options as pretext runs them on data of `modality`: its paper settings with the
 * recipe's overrides. The CLI, the library's `pretrain` and the playground all start from these.
 */
export function recipeDefaults<O extends object>(method: Method<O>, modality: Modality): O {
  if (modality !== "image") return method.defaults;
  const overrides = imageRecipe(method.name).options;
  for (const key of Object.keys(overrides)) {
    if (!(key in method.defaults)) throw new Error(`the ${method.name} recipe sets ${key}, which is not one of its options`);
  }
  return { ...method.defaults, ...overrides };
}

/**
 * Clips per step for the audio methods. BYOL-A trains at 256, but a step of 256 clips of 64 × 96
 * log-mel takes 2.5–6 s on 2 cores (the first conv block alone moves 0.8 GB of activations), so a
 * 5-minute budget would hold ~100 steps; at 64 it holds 4× as many, and the learns-tests learn
 * at 32.
 */
export const AUDIO_BATCH_SIZE = 64;

/** Samples per step of `method` on data of `modality`. */
export function defaultBatchSize(method: string, modality: Modality): number {
  if (modality === "image") return imageRecipe(method).batchSize;
  return modality === "text" ? textRecipe(method).batchSize : modality === "audio" ? AUDIO_BATCH_SIZE : DEFAULT_BATCH_SIZE;
}

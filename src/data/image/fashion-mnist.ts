import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ArrayDataset } from "../dataset.js";
import { loadIdx } from "./idx.js";

/** Where Debian's `dataset-fashion-mnist` puts the four IDX files. */
export const DEBIAN_FASHION_DIR = "/usr/share/datasets/fashion-mnist";

/** Zalando's class names, in label order (the dataset's README). */
export const FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"] as const;

const FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/**
 * The folder holding Fashion-MNIST's IDX files: `$FASHION_DIR` when set, else Debian's, or null
 * when neither has the training images (plain or gzipped).
 */
export function fashionMnistDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = env.FASHION_DIR ?? DEBIAN_FASHION_DIR;
  return idxFile(dir, FILES.trainImages) === null ? null : dir;
}

/** Why `--data fashion-mnist` cannot be read here, for the one-line error and for tests that skip. */
export function fashionMnistMissing(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.FASHION_DIR ?? DEBIAN_FASHION_DIR;
  return `fashion-mnist: no ${FILES.trainImages}[.gz] in ${dir}; install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or point FASHION_DIR at a folder of the four IDX files`;
}

let cached: { dir: string; split: { train: ArrayDataset; test: ArrayDataset } } | undefined;

/**
 * Fashion-MNIST's own split: the 60,000 training images (pretraining, and the labels the probes
 * draw from) and the 10,000 test images, 28×28 grayscale in [0, 1], labels 0..9 in
 * `FASHION_CLASSES` order. Read once per process; throws `fashionMnistMissing()` when absent.
 */
export function fashionMnistSplit(env: NodeJS.ProcessEnv = process.env): { train: ArrayDataset; test: ArrayDataset } {
  const dir = fashionMnistDir(env);
  if (dir === null) throw new Error(fashionMnistMissing(env));
  if (cached?.dir === dir) return cached.split;
  const read = (images: string, labels: string): ArrayDataset => {
    const imagesFile = idxFile(dir, images);
    const labelsFile = idxFile(dir, labels);
    if (imagesFile === null || labelsFile === null) throw new Error(`fashion-mnist: ${join(dir, imagesFile === null ? images : labels)}[.gz] is missing`);
    return loadIdx(imagesFile, { labels: labelsFile });
  };
  const split = { train: read(FILES.trainImages, FILES.trainLabels), test: read(FILES.testImages, FILES.testLabels) };
  cached = { dir, split };
  return split;
}

function idxFile(dir: string, name: string): string | null {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) if (existsSync(candidate)) return candidate;
  return null;
}

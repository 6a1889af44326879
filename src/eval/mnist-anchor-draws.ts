// Reads the bundled MNIST (node:fs) to map the draws, so, like src/data/image/mnist.ts, it is not
// re-exported from the browser-safe index; import it from "./eval/mnist-anchor-draws.js".
import { MNIST_ANCHOR_DRAWS } from "../data/image/mnist-anchor-draws.js";
import { mnistSplitIndices } from "../data/image/mnist.js";
import { type LabelDraws, drawsInSubset } from "./label-subsets.js";

/**
 * The PyTorch anchor's five 10-per-class label draws (src/data/image/mnist-anchor-draws.ts, indices into
 * loadMnist()) as positions in the fixed split's 9,000 train digits, `mnistSplit().train`: what
 * `ProtocolOptions.labelDraws` takes, so a probe on that split uses the very labels the anchor's
 * sklearn probe used.
 */
export function mnistAnchorLabelDraws(): LabelDraws {
  return { perClass: MNIST_ANCHOR_DRAWS.perClass, draws: drawsInSubset(MNIST_ANCHOR_DRAWS.draws, mnistSplitIndices().train) };
}

import { ShapeError, type Tensor } from "../graph/index.js";
import { div, l2Normalize, logSumExp, matmul, mean, mul, sub, sum, transpose } from "../ops/index.js";
import { checkPair } from "./nt-xent.js";

export interface SimcseOptions {
  /**
   * τ. Gao et al. 2021 (SimCSE, table D.1) found 0.05 best among {0.001, 0.01, 0.05, 0.1, 1}
   * for unsupervised SimCSE on BERT. Default 0.05.
   */
  readonly temperature?: number;
}

/**
 * Unsupervised SimCSE's loss (Gao, Yao, Chen 2021, "SimCSE: Simple Contrastive Learning of
 * Sentence Embeddings", eq. 1): two encodings of each sentence under different dropout are
 * positives, the other sentences of the batch negatives,
 *   ℓᵢ = −log exp(sim(hᵢ, h⁺ᵢ)/τ) / Σⱼ exp(sim(hᵢ, h⁺ⱼ)/τ),
 * a softmax over the N second encodings for each first one (not NT-Xent's 2N − 1 companions).
 * NOTE: computed as logSumExp(row) − positive, stable for τ as small as 0.05.
 *
 * @param h0 `[N, D]` first encodings (normalized inside)
 * @param h1 `[N, D]` second encodings of the same sentences
 * @returns a scalar
 */
export function simcseLoss(h0: Tensor, h1: Tensor, options: SimcseOptions = {}): Tensor {
  const { temperature = 0.05 } = options;
  if (!(temperature > 0)) throw new ShapeError("simcseLoss", `temperature must be positive, got ${temperature}`);
  checkPair("simcseLoss", h0, h1);
  const a = l2Normalize(h0);
  const b = l2Normalize(h1);
  const logits = div(matmul(a, transpose(b)), temperature); // [N, N]
  const positive = div(sum(mul(a, b), 1), temperature); // [N]: the diagonal
  return sub(mean(logSumExp(logits, 1)), mean(positive));
}

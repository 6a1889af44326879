import { ShapeError, type Tensor } from "../graph/index.js";
import { add, l2Normalize, matmul, mean, min, mul, relu, sub, sum, transpose } from "../ops/index.js";
import { checkPair } from "./nt-xent.js";

/** How each anchor's negative is chosen among the other samples of the batch. */
export type TripletNegatives = "hardest" | "random";

export interface TripletOptions {
  /**
   * α. FaceNet (Schroff et al. 2015, "FaceNet: A Unified Embedding for Face Recognition and
   * Clustering", §3.1 and §4) on unit-norm embeddings with squared distances: "α = 0.2". Default 0.2.
   */
  readonly margin?: number;
  /**
   * "hardest": the in-batch negative nearest to the anchor (batch-hard mining, Hermans et al.
   * 2017; FaceNet warns pure hardest mining can collapse early, hence its semi-hard variant).
   * "random": the next sample's positive, (i + 1) mod N; the loader shuffles every epoch, so this
   * is a uniformly random other sample. Default "hardest".
   */
  readonly negatives?: TripletNegatives;
}

// NOTE: added to an anchor's distance to its own positive so that the hardest-negative min never
// picks it (squared distances of unit vectors are at most 4).
const SELF_DISTANCE = 1e4;

/**
 * Squared Euclidean distances between unit-normalized rows, ‖a − b‖² = 2 − 2·a·b: `[N, N]`.
 *
 * @param anchor `[N, D]`
 * @param other `[N, D]`
 */
export function pairwiseSquaredDistances(anchor: Tensor, other: Tensor): Tensor {
  return sub(2, mul(2, matmul(l2Normalize(anchor), transpose(l2Normalize(other)))));
}

/** The two distances the triplet loss compares, per anchor. */
export interface TripletTerms {
  /** `[N]` ‖aᵢ − pᵢ‖² */
  readonly positiveDistance: Tensor;
  /** `[N]` ‖aᵢ − nᵢ‖² of the chosen negative */
  readonly negativeDistance: Tensor;
}

/**
 * The anchor–positive and anchor–negative squared distances of `tripletLoss`.
 *
 * @param anchor `[N, D]`
 * @param positive `[N, D]`
 */
export function tripletTerms(anchor: Tensor, positive: Tensor, negatives: TripletNegatives = "hardest"): TripletTerms {
  checkPair("tripletLoss", anchor, positive);
  const n = anchor.shape[0] as number;
  if (n < 2) throw new ShapeError("tripletLoss", "needs at least 2 samples for an in-batch negative");
  const d = pairwiseSquaredDistances(anchor, positive); // [N, N], row i: anchor i to every positive
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  const identity = anchor.graph.constant(eye, [n, n], anchor.dtype);
  const positiveDistance = sum(mul(d, identity), 1); // [N]
  const negativeDistance =
    negatives === "hardest"
      ? min(add(d, mul(identity, SELF_DISTANCE)), 1) // [N]
      : sum(mul(d, anchor.graph.constant(rollIdentity(n), [n, n], anchor.dtype)), 1); // [N]
  return { positiveDistance, negativeDistance };
}

/**
 * The triplet loss of FaceNet with in-batch negatives, the two views of a sample forming the
 * (anchor, positive) pair and another sample's view the negative:
 *   L = mean_i max(0, ‖aᵢ − pᵢ‖² − ‖aᵢ − nᵢ‖² + α)
 * on L2-normalized embeddings (FaceNet's ‖f(x)‖₂ = 1).
 *
 * @param anchor `[N, D]` embeddings of the first views
 * @param positive `[N, D]` embeddings of the second views
 * @returns a scalar
 */
export function tripletLoss(anchor: Tensor, positive: Tensor, options: TripletOptions = {}): Tensor {
  const { margin = 0.2, negatives = "hardest" } = options;
  if (!(margin >= 0)) throw new ShapeError("tripletLoss", `margin must be >= 0, got ${margin}`);
  const { positiveDistance, negativeDistance } = tripletTerms(anchor, positive, negatives);
  return mean(relu(add(sub(positiveDistance, negativeDistance), margin)));
}

/** The permutation matrix picking column (i + 1) mod n in row i. */
function rollIdentity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + ((i + 1) % n)] = 1;
  return m;
}

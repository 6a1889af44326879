import type { Tensor } from "../graph/index.js";
import { add, concat, div, mean, mul, softCrossEntropy, softmax, stopGradient, sub } from "../ops/index.js";
import { checkPair } from "./nt-xent.js";

export interface DinoLossOptions {
  /** τ_s, the student's softmax temperature: "τ_s is set to 0.1" (Caron et al. 2021, §3.1). */
  readonly studentTemperature?: number;
  /**
   * τ_t, the teacher's: sharpening. "τ_t ... a linear warm-up from 0.04 to 0.07 during the first
   * 30 epochs" (§3.1, Appendix D); the reference code's default stays at 0.04.
   */
  readonly teacherTemperature?: number;
}

/**
 * The teacher's targets: softmax((t − c) / τ_t), gradient stopped. Centring by `c` (a running mean
 * of the teacher's outputs) keeps any one prototype from winning every image; the low τ_t keeps
 * the targets from going uniform. "Both operations balance their effects" (§3.1).
 *
 * @param teacher `[N, K]` the teacher's prototype scores
 * @param center `[1, K]`
 */
export function dinoTargets(teacher: Tensor, center: Tensor, teacherTemperature = 0.04): Tensor {
  return stopGradient(softmax(div(sub(teacher, center), teacherTemperature), 1));
}

/**
 * DINO's loss (Caron et al. 2021, "Emerging Properties in Self-Supervised Vision Transformers",
 * Algorithm 1): each view's student distribution against the other view's teacher targets,
 *   H(t₁, s₂)/2 + H(t₂, s₁)/2,  H(t, s) = −Σ_k t_k log s_k averaged over the batch,
 * with s = softmax(student / τ_s) and t = `dinoTargets`.
 *
 * @param student0 `[N, K]` the student's scores of the first views
 * @param student1 `[N, K]` of the second views
 * @param teacher0 `[N, K]` the teacher's scores of the first views (gradient stopped)
 * @param teacher1 `[N, K]` of the second views
 * @param center `[1, K]` the running centre (`dinoCenter`)
 */
export function dinoLoss(student0: Tensor, student1: Tensor, teacher0: Tensor, teacher1: Tensor, center: Tensor, options: DinoLossOptions = {}): Tensor {
  const { studentTemperature = 0.1, teacherTemperature = 0.04 } = options;
  checkPair("dinoLoss", student0, teacher1);
  checkPair("dinoLoss", student1, teacher0);
  const h = (teacher: Tensor, student: Tensor) => softCrossEntropy(div(student, studentTemperature), dinoTargets(teacher, center, teacherTemperature));
  return mul(add(h(teacher0, student1), h(teacher1, student0)), 0.5);
}

/**
 * The next centre: c ← m·c + (1 − m)·mean of this batch's teacher scores over both views
 * (Algorithm 1: "C = m*C + (1-m)*cat([t1, t2]).mean(dim=0)", m = 0.9).
 *
 * @returns `[1, K]`, gradient stopped
 */
export function dinoCenter(center: Tensor, teacher0: Tensor, teacher1: Tensor, momentum = 0.9): Tensor {
  const batchMean = mean(concat([teacher0, teacher1], 0), [0], true);
  return stopGradient(add(mul(center, momentum), mul(batchMean, 1 - momentum)));
}

import type { AugmentationPreset } from "../data/image/augment/index.js";
import type { Tensor } from "../graph/index.js";
import { dinoCenter, dinoLoss, dinoTargets } from "../losses/dino.js";
import { AbstractModule, type ForwardContext, Mlp, type MlpBlockSpec, Parameter } from "../nn/index.js";
import { linearWeight } from "../nn/init.js";
import { add, concat, gemm, l2Normalize, log, mean, mul, neg, split, sum } from "../ops/index.js";
import { type LearningRate, adam, cosineMomentum } from "../optim/index.js";
import type { PlannedRateOptions } from "../optim/schedule.js";
import type { Rng } from "../random/rng.js";
import type { HostTensor } from "../runtime/index.js";
import { collapseMetrics } from "./collapse.js";
import { type PresetName, type TwoViews, cloneModule, scheduledRate, twoViewInputs } from "./heads.js";
import type { Encoder, Method, MethodPlan, MethodSetup } from "./method.js";
import { rotationTerm } from "./rotation-term.js";

export interface DinoOptions {
  /** τ_s: "set to 0.1" (Caron et al. 2021, §3.1). */
  readonly studentTemperature: number;
  /** τ_t: 0.04, the reference code's default (the paper warms it up to 0.07 over 30 of 300 epochs). */
  readonly teacherTemperature: number;
  /** m of the centre's running mean: 0.9 (Algorithm 1). */
  readonly centerMomentum: number;
  /**
   * λ of the teacher's EMA, raised to 1 by a cosine over the run: 0.996 in the paper over ~300k
   * steps; 0.99 here, as BYOL and MoCo, so that in a few hundred steps the teacher moves at all.
   */
  readonly baseMomentum: number;
  /**
   * The head's MLP before the prototypes: DINO's is 2048-GELU-2048-GELU-256, with batch norm an
   * option of its code (`use_bn_in_head`, off for ViTs); 256-BN-GELU-256-BN-GELU-64 here. Without
   * the batch norm a small CNN's embeddings of different images start nearly parallel, so once the
   * centre has caught up the teacher's targets are near uniform and stay so: on 1,024 MNIST images,
   * 40 steps of batch 128, the targets' entropy rose from 3.7 nats to 6.86 of log K = 6.93 and the
   * loss rose (4.8 → 6.9); with it, entropy 3.5 → 4.3, the loss fell 6.75 → 6.20, and the 10-label
   * probe reached 73.1% against 65.0% (random encoder 63.3%).
   */
  readonly head: readonly MlpBlockSpec[];
  /**
   * K, the prototypes: the last layer, weight-normalized with its norm fixed at 1 (the code's
   * `norm_last_layer`), so a score is the cosine of the L2-normalized bottleneck and a prototype.
   * 65,536 on ImageNet; 1,024 here, ~100 per class of a 10-class set.
   */
  readonly prototypes: number;
  /**
   * Adam's learning rate (1e-3, constant). DINO uses AdamW, lr 5e-4 × batch/256 after a 10-epoch
   * warmup, cosine decay, weight decay 0.04 → 0.4.
   */
  readonly learningRate: LearningRate;
  readonly learningRateSchedule: PlannedRateOptions["schedule"];
  readonly warmupFraction: number;
  /** DINO's global crops are BYOL's two asymmetric views; no local crops (multi-crop) here. */
  readonly augmentation: PresetName | AugmentationPreset;
  /** Weight of the rotation term (`rotation-term.ts`) added to the loss; 0 (off) is DINO's loss. */
  readonly rotationWeight: number;
}

export const dinoDefaults: DinoOptions = {
  studentTemperature: 0.1,
  teacherTemperature: 0.04,
  centerMomentum: 0.9,
  baseMomentum: 0.99,
  head: [
    { out: 256, norm: "batch", act: "gelu" },
    { out: 256, norm: "batch", act: "gelu" },
    { out: 64 },
  ],
  prototypes: 1024,
  learningRate: 1e-3,
  learningRateSchedule: "constant",
  warmupFraction: 0,
  augmentation: "byol",
  rotationWeight: 0,
};

/** DINO's last layer: K unit prototypes; a row's scores are its cosines with each. */
export class Prototypes extends AbstractModule {
  readonly weight: Parameter;

  constructor(
    readonly inFeatures: number,
    readonly count: number,
    rng: Rng,
  ) {
    super();
    this.weight = new Parameter([count, inFeatures], linearWeight(rng, [count, inFeatures]));
  }

  /** `z: [N, D]` → `[N, K]`. */
  call(ctx: ForwardContext, z: Tensor): Tensor {
    return gemm(l2Normalize(z), l2Normalize(ctx.value(this.weight)), undefined, { transB: true });
  }
}

/** Encoder, head and prototypes, one module: what the teacher copies and follows. */
export class DinoNetwork extends AbstractModule {
  constructor(
    readonly encoder: Encoder,
    readonly head: Mlp,
    readonly prototypes: Prototypes,
  ) {
    super();
  }

  /** Both views as one batch of 2N: the embeddings `h: [2N, D]` and each view's scores `[N, K]`. */
  callBoth(ctx: ForwardContext, view0: Tensor, view1: Tensor): { h: Tensor; s0: Tensor; s1: Tensor } {
    const n = view0.shape[0] as number;
    const h = this.encoder.call(ctx, concat([view0, view1], 0));
    const [s0, s1] = split(this.prototypes.call(ctx, this.head.call(ctx, h)), [n, n], 0) as [Tensor, Tensor];
    return { h, s0, s1 };
  }
}

/** Mean entropy (nats) of the teacher's targets: near 0 when they are one-hot, log K when uniform. */
function targetEntropy(targets: Tensor): Tensor {
  return mean(neg(sum(mul(targets, log(add(targets, 1e-12))), 1)));
}

/**
 * Plans DINO: the student (encoder + head + prototypes) on both views, its EMA copy the teacher on
 * both views; each view's student distribution predicts the other view's centred, sharpened
 * teacher targets; the centre follows the teacher's mean score (extra state).
 */
export function planDino(setup: MethodSetup, options: DinoOptions): MethodPlan {
  const { head: headSpec, prototypes: count } = options;
  if (!(Number.isInteger(count) && count >= 2)) throw new Error(`dino: prototypes must be an integer >= 2, got ${count}`);
  const mlp = new Mlp(setup.encoder.outputDim, headSpec, setup.rng);
  const student = new DinoNetwork(setup.encoder, mlp, new Prototypes(mlp.outFeatures, count, setup.rng));
  const teacher = cloneModule(student);
  const turns = rotationTerm(setup, options.rotationWeight, "dino");
  const twoViews = twoViewInputs(setup, options.augmentation);
  const lr = scheduledRate(options, setup.totalSteps);
  const temperatures = { studentTemperature: options.studentTemperature, teacherTemperature: options.teacherTemperature };
  return {
    modules: { encoder: student.encoder, head: student.head, prototypes: student.prototypes, ...(turns === null ? {} : { turnHead: turns.head }) },
    targets: {
      teacher: { module: teacher, follows: ["encoder", "head", "prototypes"], momentum: cosineMomentum({ baseMomentum: options.baseMomentum, totalSteps: setup.totalSteps }) },
    },
    extraState: { center: { shape: [1, count], initial: new Float32Array(count) } },
    batch: turns === null ? twoViews.batch : { ...twoViews.batch, ...turns.batch },
    views: (batch, rng): Record<string, HostTensor> => (turns === null ? twoViews.views(batch, rng) : turns.turn(twoViews.views(batch, rng), rng)),
    loss: (ctx, inputs, extra) => {
      const { view0, view1, turns: labels } = inputs as Readonly<Record<TwoViews, Tensor>> & { readonly turns?: Tensor };
      const center = extra.center as Tensor; // [1, K]
      const s = student.callBoth(ctx, view0, view1);
      const t = teacher.callBoth(ctx, view0, view1); // the EMA network: no gradient reaches it
      let loss = dinoLoss(s.s0, s.s1, t.s0, t.s1, center, temperatures);
      let metrics: Record<string, Tensor> = { ...collapseMetrics(s.h, s.s0), teacher_entropy: targetEntropy(dinoTargets(t.s0, center, options.teacherTemperature)) };
      if (turns !== null && labels !== undefined) {
        const rotation = turns.loss(ctx, s.h, labels);
        loss = add(loss, rotation.weighted);
        metrics = { ...metrics, ...rotation.metrics };
      }
      return { loss, metrics, nextState: { center: dinoCenter(center, t.s0, t.s1, options.centerMomentum) } };
    },
    optimizer: adam({ lr }),
    learningRate: lr,
  };
}

export const dino: Method<DinoOptions> = {
  name: "dino",
  family: "non-contrastive",
  modalities: ["image"],
  description: "self-distillation: a student's softmax over learned prototypes predicts a momentum teacher's centred, sharpened softmax of the other view",
  paper: "Caron et al. 2021, Emerging Properties in Self-Supervised Vision Transformers (arXiv:2104.14294)",
  defaults: dinoDefaults,
  plan: planDino,
};

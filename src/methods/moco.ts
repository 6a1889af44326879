import type { AugmentationPreset } from "../data/image/augment/index.js";
import type { Tensor } from "../graph/index.js";
import { enqueue, infoNceLoss } from "../losses/info-nce.js";
import { positiveCosine } from "../losses/nt-xent.js";
import type { MlpBlockSpec } from "../nn/index.js";
import { type LearningRate, adam } from "../optim/index.js";
import { Rng } from "../random/rng.js";
import { collapseMetrics } from "./collapse.js";
import { EncoderWithHead, type PresetName, type TwoViews, cloneModule, head, twoViewInputs } from "./heads.js";
import type { Method, MethodPlan, MethodSetup } from "./method.js";

export interface MocoOptions {
  /** InfoNCE's τ: "τ = 0.2" in MoCo v2 (Chen et al. 2020, "Improved Baselines", §3). */
  readonly temperature: number;
  /**
   * K, the queue of negative keys. MoCo uses 65,536 on ImageNet's 1.28M images (~5%); here 4,096
   * (16 batches of 256), a sizeable fraction of a 9,000-image set yet keys no older than ~16 steps.
   */
  readonly queueSize: number;
  /**
   * m of the key encoder's EMA. MoCo: "m = 0.999" over 200 epochs of 5,000 steps; with a few
   * hundred steps the key encoder would barely move, so 0.99 (solo-learn's CIFAR configs too).
   */
  readonly momentum: number;
  /** MoCo v2's MLP head (2048 → ReLU → 128 on ResNet-50); 128 → ReLU → 64 here, as SimCLR's. */
  readonly projector: readonly MlpBlockSpec[];
  /**
   * Adam's learning rate (1e-3, constant). MoCo v2 uses SGD lr 0.03 × batch/256, momentum 0.9,
   * weight decay 1e-4, cosine decay.
   */
  readonly learningRate: LearningRate;
  /** Crop, intensity jitter and blur, the same pipeline for query and key. */
  readonly augmentation: PresetName | AugmentationPreset;
}

export const mocoDefaults: MocoOptions = {
  temperature: 0.2,
  queueSize: 4096,
  momentum: 0.99,
  projector: [{ out: 128, act: "relu" }, { out: 64 }],
  learningRate: 1e-3,
  augmentation: "moco-v2",
};

/**
 * Plans MoCo v2: queries from the online encoder + projector on the first views, keys from its
 * EMA copy on the second, InfoNCE against the queue, then the keys replace the oldest entries.
 * NOTE: no shuffle-BN. MoCo shuffles keys across GPUs so that batch norm cannot leak which key
 * is the positive; here the query and key batches go through different networks with their own
 * batch statistics, so the positive shares no BN batch with its query.
 */
export function planMoco(setup: MethodSetup, options: MocoOptions): MethodPlan<TwoViews> {
  const { queueSize } = options;
  if (!(Number.isInteger(queueSize) && queueSize >= setup.batchSize)) throw new Error(`moco: queueSize ${queueSize} must be an integer >= the batch size ${setup.batchSize}`);
  const online = new EncoderWithHead(setup.encoder, head(setup.encoder.outputDim, options.projector, setup.rng));
  const key = cloneModule(online);
  const dim = online.projector.outFeatures;
  // MoCo starts from a queue of random unit vectors ("initialized as random", builder.py).
  const initial = new Rng(setup.rng.nextUint32()).normalArray(queueSize * dim);
  for (let r = 0; r < queueSize; r++) {
    const row = initial.subarray(r * dim, (r + 1) * dim);
    const norm = Math.hypot(...row);
    for (let j = 0; j < dim; j++) row[j] = (row[j] as number) / norm;
  }
  return {
    modules: { encoder: online.encoder, projector: online.projector },
    targets: { key: { module: key, follows: ["encoder", "projector"], momentum: options.momentum } },
    extraState: { queue: { shape: [queueSize, dim], initial } },
    ...twoViewInputs(setup, options.augmentation),
    loss: (ctx, { view0, view1 }, extra) => {
      const q = online.call(ctx, view0); // h: [N, D], z: [N, P]
      const k = key.call(ctx, view1).z; // [N, P], from the EMA network: no gradient reaches it
      const queue = extra.queue as Tensor; // [K, P]
      return {
        loss: infoNceLoss(q.z, k, queue, { temperature: options.temperature }),
        metrics: { ...collapseMetrics(q.h, q.z), positive_cosine: positiveCosine(q.z, k) },
        nextState: { queue: enqueue(queue, k) },
      };
    },
    optimizer: adam({ lr: options.learningRate }),
    learningRate: options.learningRate,
  };
}

export const moco: Method<MocoOptions> = {
  name: "moco-v2",
  family: "contrastive",
  modalities: ["image"],
  description: "contrastive: a query must find its own key (from a momentum encoder) among a queue of 4,096 earlier keys (InfoNCE)",
  paper: "Chen, Fan, Girshick, He 2020, Improved Baselines with Momentum Contrastive Learning (arXiv:2003.04297); He et al. 2020, MoCo (arXiv:1911.05722)",
  defaults: mocoDefaults,
  plan: planMoco,
};

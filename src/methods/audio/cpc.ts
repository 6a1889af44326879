import type { Tensor } from "../../graph/index.js";
import { cpcLoss } from "../../losses/cpc.js";
import { AbstractModule, AudioCnn, Conv1d, type ForwardContext, Linear } from "../../nn/index.js";
import { add, div, mean, pad, relu, reshape, slice, transpose } from "../../ops/index.js";
import { type LearningRate, adam } from "../../optim/index.js";
import type { PlannedRateOptions } from "../../optim/schedule.js";
import type { Rng } from "../../random/rng.js";
import { collapseMetrics } from "../collapse.js";
import { scheduledRate } from "../heads.js";
import type { Method, MethodPlan, MethodSetup } from "../method.js";
import { type AudioViewsName, audioOneViewInput } from "./audio-views.js";

export interface CpcOptions {
  /** Future steps predicted, k = 1 … K (CPC: 12 steps of 10 ms; here the encoder's steps are 80 ms, so 4 reach 320 ms). */
  readonly futureSteps: number;
  /** Width of the context c_t (CPC: a GRU of 256). */
  readonly contextDim: number;
  /**
   * Causal conv layers of the context network (kernel 3, dilations 1, 2, 4, …) in place of CPC's
   * GRU: a recurrence is a sequential loop in an ONNX graph, a causal conv stack is a few parallel
   * convs (wav2vec 1.0's context network is also convolutional). Two layers see 7 steps back.
   */
  readonly contextLayers: number;
  /** Adam's learning rate (CPC: 2e-4 with Adam). */
  readonly learningRate: LearningRate;
  readonly learningRateSchedule: PlannedRateOptions["schedule"];
  readonly warmupFraction: number;
  /** Frames of the random crop each clip is trained on (96: 12 steps of the encoder). */
  readonly cropFrames: number;
  /** Augmentation of the crop: none beyond the crop by default, as CPC. */
  readonly augmentation: AudioViewsName;
}

export const cpcDefaults: CpcOptions = {
  futureSteps: 4,
  contextDim: 256,
  contextLayers: 2,
  learningRate: 1e-3,
  learningRateSchedule: "constant",
  warmupFraction: 0,
  cropFrames: 96,
  augmentation: "crop",
};

/** CPC's autoregressive context network, as causal convolutions, and one prediction W_k per future step. */
export class CpcHead extends AbstractModule {
  readonly context: Conv1d[];
  readonly predictors: Linear[];

  constructor(frameDim: number, options: Pick<CpcOptions, "futureSteps" | "contextDim" | "contextLayers">, rng: Rng) {
    super();
    this.context = Array.from({ length: options.contextLayers }, (_, i) => new Conv1d(i === 0 ? frameDim : options.contextDim, options.contextDim, 3, rng, { dilation: 2 ** i }));
    this.predictors = Array.from({ length: options.futureSteps }, () => new Linear(options.contextDim, frameDim, rng, { bias: false }));
  }

  /** `z: [N, S, D]` → the contexts `c: [N, S, C]`, c_t seeing z_0 … z_t only. */
  contexts(ctx: ForwardContext, z: Tensor): Tensor {
    let c = transpose(z, [0, 2, 1]); // [N, D, S]
    for (const conv of this.context) {
      // left padding by the dilated kernel's reach keeps every step causal
      c = relu(conv.call(ctx, pad(c, [[0, 0], [0, 0], [2 * conv.dilation, 0]])));
    }
    return transpose(c, [0, 2, 1]);
  }
}

/**
 * Plans CPC: the encoder's per-step frames z_t, the causal context c_t, and for each k the InfoNCE
 * of W_k c_t against every frame of the batch, averaged over k. The encoder must expose its frames
 * (`AudioCnn.frames`); its pooled output is what the probes read.
 */
export function planCpc(setup: MethodSetup, options: CpcOptions): MethodPlan<"view"> {
  const encoder = setup.encoder;
  if (!(encoder instanceof AudioCnn)) throw new Error("cpc predicts an encoder's frames over time; it needs the audio-cnn encoder");
  const steps = Math.floor(options.cropFrames / encoder.framesPerStep);
  if (steps <= options.futureSteps) throw new Error(`cpc: a crop of ${options.cropFrames} frames gives ${steps} encoder steps, not more than the ${options.futureSteps} future steps predicted`);
  const predictor = new CpcHead(encoder.outputDim, options, setup.rng);
  const lr = scheduledRate(options, setup.totalSteps);
  return {
    modules: { encoder, predictor },
    ...audioOneViewInput(setup, options.augmentation, options.cropFrames),
    loss: (ctx, { view }) => {
      const z = encoder.frames(ctx, view); // [N, S, D]
      const c = predictor.contexts(ctx, z); // [N, S, C]
      const losses = predictor.predictors.map((w, i) => {
        const k = i + 1;
        return cpcLoss(w.call(ctx, slice(c, [0], [steps - k], [1])), z, k);
      });
      const loss = div(losses.reduce((a, b) => add(a, b)), losses.length);
      const [n, s, d] = z.shape as [number, number, number];
      const pooled = mean(z, 1); // [N, D]
      return { loss, metrics: { ...collapseMetrics(pooled, reshape(z, [n * s, d])), ...Object.fromEntries(losses.map((l, i) => [`loss_k${i + 1}`, l])) } };
    },
    optimizer: adam({ lr }),
    learningRate: lr,
  };
}

export const cpc: Method<CpcOptions> = {
  name: "cpc",
  family: "contrastive",
  modalities: ["audio"],
  description: "contrastive predictive coding: a causal context predicts the encoder's future frames among the batch's (InfoNCE), wav2vec's idea at CPU size",
  paper: "van den Oord, Li and Vinyals 2018, Representation Learning with Contrastive Predictive Coding (arXiv:1807.03748)",
  defaults: cpcDefaults,
  plan: planCpc,
};

import { ShapeError, type Tensor, formatShape } from "../graph/index.js";
import { add, concat, conv1d, flip, log, matmul, mul, reshape, slice, sub, sum } from "../ops/index.js";
import { AbstractModule, type ForwardContext } from "./module.js";

/** What the frontend computes: the numbers of `AudioFeatures` (src/data/audio), its filterbank and the dataset's normalization. */
export interface LogMelFrontendOptions {
  readonly nFft: number;
  readonly winLength: number;
  readonly hopLength: number;
  readonly mels: number;
  readonly logEpsilon: number;
  /** `[nFft/2 + 1, mels]` triangular filters, as `melFilterbank` makes them. */
  readonly melFilters: Float32Array;
  /** The training set's log-mel mean and standard deviation. */
  readonly mean: number;
  readonly std: number;
}

/**
 * The host featurizer (`logMelSpectrogram`, then the dataset's normalization) as graph ops, so an
 * exported encoder takes raw waveforms: `wave: [N, 1, S]` at the features' rate → `[N, 1, mels, frames]`.
 *
 * - centred frames: reflect padding by nFft/2 on both sides (Slice + flip + Concat; ONNX's Pad
 *   has a reflect mode, but our `pad` op pads constants only and this path needs no gradient);
 * - the windowed DFT as one Conv1d of stride `hop` whose 2·(nFft/2 + 1) filters are the periodic
 *   Hann window times cos and −sin of each bin (a matrix multiply per frame, ~0.2 GFLOP per 1 s
 *   clip). ORT's own STFT/DFT ops are reported 100× slower than PyTorch on batched short
 *   transforms (onnxruntime#32403), and a Conv runs on onnxruntime-web's backends too;
 * - |X|² as re² + im², the mel filterbank as a MatMul, log(x + ε), (x − mean) / std.
 * All constants are float32; the host computes in float64, so the two agree to ~1e-5 (a test).
 */
export class LogMelFrontend extends AbstractModule {
  readonly options: LogMelFrontendOptions;
  readonly #dft: Float32Array;
  readonly #mel: Float32Array;

  constructor(options: LogMelFrontendOptions) {
    super();
    this.options = options;
    const { nFft, winLength, mels, melFilters: bank } = options;
    const bins = (nFft >> 1) + 1;
    const start = (nFft - winLength) >> 1;
    // [2·bins, 1, nFft]: rows 0..bins−1 the real parts, bins..2·bins−1 the imaginary parts
    this.#dft = new Float32Array(2 * bins * nFft);
    for (let i = 0; i < winLength; i++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / winLength);
      const n = start + i;
      for (let k = 0; k < bins; k++) {
        const phase = (2 * Math.PI * ((k * n) % nFft)) / nFft;
        this.#dft[k * nFft + n] = w * Math.cos(phase);
        this.#dft[(bins + k) * nFft + n] = -w * Math.sin(phase);
      }
    }
    // [mels, bins]: the filterbank is [bins, mels]; transposed so the MatMul needs no Transpose node
    if (bank.length !== bins * mels) throw new ShapeError("LogMelFrontend", `melFilters must hold [${bins}, ${mels}] values, got ${bank.length}`);
    this.#mel = new Float32Array(mels * bins);
    for (let k = 0; k < bins; k++) for (let m = 0; m < mels; m++) this.#mel[m * bins + k] = bank[k * mels + m] as number;
  }

  /** Frames of a wave of `samples` samples (torch.stft's centred count). */
  frames(samples: number): number {
    return 1 + Math.floor(samples / this.options.hopLength);
  }

  call(_ctx: ForwardContext, wave: Tensor): Tensor {
    const { nFft, hopLength, mels, logEpsilon, mean, std } = this.options;
    const half = nFft >> 1;
    if (wave.rank !== 3 || wave.shape[1] !== 1) throw new ShapeError("LogMelFrontend", `expects waves [N, 1, S], got ${formatShape(wave.shape)}`);
    const [n, , samples] = wave.shape as [number, number, number];
    if (samples <= half) throw new ShapeError("LogMelFrontend", `needs more than ${half} samples to reflect-pad, got ${samples}`);
    const left = flip(slice(wave, [1], [half + 1], [2]), 2);
    const right = flip(slice(wave, [samples - half - 1], [samples - 1], [2]), 2);
    const padded = concat([left, wave, right], 2); // [N, 1, S + nFft]
    const graph = wave.graph;
    const bins = half + 1;
    const spectrum = conv1d(padded, graph.constant(this.#dft, [2 * bins, 1, nFft]), undefined, { stride: hopLength }); // [N, 2·bins, frames]
    const frames = spectrum.shape[2] as number;
    const parts = reshape(spectrum, [n, 2, bins, frames]);
    const power = sum(mul(parts, parts), 1); // [N, bins, frames]
    const melPower = matmul(graph.constant(this.#mel, [mels, bins]), power); // [N, mels, frames]
    const logMel = log(add(melPower, logEpsilon));
    const scale = std > 0 ? 1 / std : 1;
    return reshape(mul(sub(logMel, mean), scale), [n, 1, mels, frames]);
  }
}

/**
 * An audio encoder that takes raw waveforms: the in-graph featurizer, then the encoder. What
 * `pretext export` writes for an audio run, so a user's application feeds 16 kHz samples and
 * needs no featurizer of its own. `wave: [N, 1, S]` → `[N, outputDim]`.
 */
export class WaveformEncoder extends AbstractModule {
  readonly outputDim: number;

  constructor(
    readonly frontend: LogMelFrontend,
    readonly encoder: AbstractModule & { readonly outputDim: number; call(ctx: ForwardContext, x: Tensor): Tensor },
  ) {
    super();
    this.outputDim = encoder.outputDim;
  }

  call(ctx: ForwardContext, wave: Tensor): Tensor {
    return this.encoder.call(ctx, this.frontend.call(ctx, wave));
  }
}

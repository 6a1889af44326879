/**
 * `npx tsx bench/stft-vs-conv.ts [--batch 64] [--runs 10]`: the in-graph featurizer's power
 * spectrum two ways on ONNX Runtime (node, both cores) for a batch of 1 s clips at 16 kHz
 * (n_fft 1024, hop 160, 101 frames): ONNX's own STFT op (opset 17) against the windowed DFT as
 * one strided Conv1d (what `LogMelFrontend` uses). Prints the median milliseconds of each and
 * checks they agree.
 */
import { Graph } from "../src/graph/index.js";
import { concat, conv1d, flip, mul, reshape, slice, sum } from "../src/ops/index.js";
import { Rng } from "../src/random/rng.js";
import { Program, hostTensor } from "../src/runtime/index.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const [batch, runs] = [arg("--batch", 64), arg("--runs", 10)];
const [samples, nFft, hop] = [16_000, 1024, 160];
const half = nFft / 2;
const bins = half + 1;
const window = Float32Array.from({ length: nFft }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / nFft));

function padded(graph: Graph, wave: ReturnType<Graph["input"]>) {
  const left = flip(slice(wave, [1], [half + 1], [2]), 2);
  const right = flip(slice(wave, [samples - half - 1], [samples - 1], [2]), 2);
  return concat([left, wave, right], 2); // [B, 1, S + nFft]
}

async function time(build: (g: Graph, wave: ReturnType<Graph["input"]>) => ReturnType<Graph["input"]>, x: Float32Array): Promise<{ ms: number; out: Float32Array }> {
  const graph = new Graph();
  const wave = graph.input("wave", [batch, 1, samples]);
  const power = build(graph, wave);
  const program = await Program.compile(graph, { inputs: [wave], outputs: { power } });
  const feeds = { wave: hostTensor("float32", [batch, 1, samples], x) };
  let out: Float32Array = new Float32Array(0);
  const times: number[] = [];
  for (let r = 0; r < runs + 2; r++) {
    const t0 = performance.now();
    out = (await program.run(feeds)).power?.data as Float32Array;
    if (r >= 2) times.push(performance.now() - t0);
  }
  await program.release();
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, out };
}

const x = new Rng(0).normalArray(batch * samples);
const conv = await time((graph, wave) => {
  const dft = new Float32Array(2 * bins * nFft);
  for (let k = 0; k < bins; k++) {
    for (let n = 0; n < nFft; n++) {
      const phase = (2 * Math.PI * ((k * n) % nFft)) / nFft;
      dft[k * nFft + n] = (window[n] as number) * Math.cos(phase);
      dft[(bins + k) * nFft + n] = -(window[n] as number) * Math.sin(phase);
    }
  }
  const spectrum = conv1d(padded(graph, wave), graph.constant(dft, [2 * bins, 1, nFft]), undefined, { stride: hop });
  const frames = spectrum.shape[2] as number;
  const parts = reshape(spectrum, [batch, 2, bins, frames]);
  return sum(mul(parts, parts), 1); // [B, bins, frames]
}, x);
const stft = await time((graph, wave) => {
  const frames = 1 + samples / hop;
  const signal = reshape(padded(graph, wave), [batch, samples + nFft, 1]);
  const out = graph.emit1("STFT", [signal, graph.constant(BigInt64Array.of(BigInt(hop)), [], "int64"), graph.constant(window, [nFft]), graph.constant(BigInt64Array.of(BigInt(nFft)), [], "int64")], [batch, frames, bins, 2], "float32", {
    onesided: { kind: "int", value: 1 },
  });
  const power = sum(mul(out, out), 3); // [B, frames, bins]
  return power;
}, x);
// same values, laid out [B, bins, frames] vs [B, frames, bins]
const frames = 1 + samples / hop;
let worst = 0;
let scale = 0;
for (let b = 0; b < batch; b++) for (let k = 0; k < bins; k++) for (let t = 0; t < frames; t++) {
  const a = conv.out[(b * bins + k) * frames + t] as number;
  const s = stft.out[(b * frames + t) * bins + k] as number;
  worst = Math.max(worst, Math.abs(a - s));
  scale = Math.max(scale, Math.abs(s));
}
console.log(`power spectrum of ${batch} × 1 s clips (n_fft ${nFft}, hop ${hop}): Conv1d DFT ${conv.ms.toFixed(1)} ms, ONNX STFT ${stft.ms.toFixed(1)} ms (${(stft.ms / conv.ms).toFixed(1)}x); max |difference| ${(worst / scale).toExponential(1)} of the largest value`);

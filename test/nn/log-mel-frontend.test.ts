import { describe, expect, it } from "vitest";
import { BYOL_A_FEATURES, normalizeLogMel } from "../../src/data/audio/audio-features.js";
import { frontendOptions } from "../../src/data/audio/frontend-options.js";
import { logMelSpectrogram } from "../../src/data/audio/log-mel.js";
import { AudioCnn, LogMelFrontend, WaveformEncoder } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { float32 } from "../../src/runtime/index.js";
import { runModule } from "./run-module.js";

/** A second of a voiced-like signal: a few harmonics with a gliding pitch, noise and a silent gap (the log floor). */
function testWave(seed: number, samples = 16_000): Float32Array {
  const rng = new Rng(seed);
  const wave = new Float32Array(samples);
  let phase = 0;
  for (let i = 0; i < samples; i++) {
    phase += (2 * Math.PI * (120 + 80 * (i / samples))) / 16_000;
    const voiced = 0.3 * Math.sin(phase) + 0.15 * Math.sin(2 * phase) + 0.05 * Math.sin(5 * phase);
    wave[i] = i > 6000 && i < 7000 ? 0 : voiced + 0.01 * rng.normal();
  }
  return wave;
}

describe("LogMelFrontend", () => {
  const stats = { mean: -6.5, std: 4.2 };

  it("computes the host featurizer's normalized log-mel in the graph, to 1e-4", async () => {
    const waves = [testWave(1), testWave(2)];
    const frontend = new LogMelFrontend(frontendOptions(BYOL_A_FEATURES, stats));
    const x = new Float32Array(2 * 16_000);
    waves.forEach((w, i) => x.set(w, i * 16_000));
    const got = await runModule(frontend, float32([2, 1, 16_000], x));
    expect(got.y.shape).toEqual([2, 1, 64, 101]);
    let worst = 0;
    waves.forEach((w, i) => {
      const host = normalizeLogMel(logMelSpectrogram(w, BYOL_A_FEATURES).values, stats);
      for (let j = 0; j < host.length; j++) worst = Math.max(worst, Math.abs((got.y.values[i * host.length + j] as number) - (host[j] as number)));
    });
    expect(worst).toBeLessThan(1e-4);
  });

  it("with an encoder behind it embeds waveforms as the encoder embeds the host's spectrograms", async () => {
    const frontend = new LogMelFrontend(frontendOptions(BYOL_A_FEATURES, stats));
    const cnn = new AudioCnn(new Rng(3));
    const wave = testWave(4);
    const host = normalizeLogMel(logMelSpectrogram(wave, BYOL_A_FEATURES).values, stats);
    const [fromWave, fromLogMel] = await Promise.all([runModule(new WaveformEncoder(frontend, cnn), float32([1, 1, 16_000], wave)), runModule(cnn, float32([1, 1, 64, 101], host))]);
    const diff = Math.max(...Array.from(fromWave.y.values, (v, i) => Math.abs(v - (fromLogMel.y.values[i] as number))));
    expect(diff).toBeLessThan(1e-4);
  });

  it("refuses a filterbank of the wrong size and waves too short to reflect", async () => {
    const options = frontendOptions(BYOL_A_FEATURES, stats);
    expect(() => new LogMelFrontend({ ...options, melFilters: new Float32Array(10) })).toThrow(/melFilters/);
    await expect(runModule(new LogMelFrontend(options), float32([1, 1, 400], new Float32Array(400)))).rejects.toThrow(/more than 512 samples/);
  });
});

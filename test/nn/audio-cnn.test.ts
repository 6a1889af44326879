import { describe, expect, it } from "vitest";
import { AudioCnn, parameterCount } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { float32 } from "../../src/runtime/index.js";
import { randomInput, runModule } from "./run-module.js";

describe("AudioCnn (BYOL-A's AudioNTT2020)", () => {
  it("has BYOL-A's 600,192 parameters less its three conv biases (a batch norm follows each)", () => {
    // convs 1·64·9, 64·64·9 ×2; batch norms 3 × 2·64; fc 512·512 + 512, twice; BYOL-A's convs add 3 × 64 biases
    expect(parameterCount(new AudioCnn(new Rng(0)))).toBe(600_192 - 3 * 64);
  });

  it("maps [N, 1, 64, T] log-mel to [N, 512] for any T ≥ 8, dropping the frames past a multiple of 8", async () => {
    const cnn = new AudioCnn(new Rng(1));
    const x96 = randomInput([2, 1, 64, 96]);
    const y96 = await runModule(cnn, x96);
    expect(y96.y.shape).toEqual([2, 512]);
    // 101 frames: the last 5 are dropped, so the output equals that of the first 96
    const x101 = randomInput([2, 1, 64, 101], 3);
    const values = x101.data as Float32Array;
    const first96 = new Float32Array(2 * 64 * 96);
    for (let row = 0; row < 2 * 64; row++) first96.set(values.subarray(row * 101, row * 101 + 96), row * 96);
    const [a, b] = await Promise.all([runModule(cnn, x101), runModule(cnn, float32([2, 1, 64, 96], first96))]);
    expect(a.y.shape).toEqual([2, 512]);
    expect(Array.from(a.y.values)).toEqual(Array.from(b.y.values));
  });

  it("refuses mel counts the pools cannot halve three times and inputs of the wrong shape", async () => {
    expect(() => new AudioCnn(new Rng(0), { mels: 60 })).toThrow(/multiple of 8/);
    await expect(runModule(new AudioCnn(new Rng(0), { mels: 32 }), randomInput([1, 1, 64, 16]))).rejects.toThrow(/\[N, 1, 32, T\]/);
  });
});

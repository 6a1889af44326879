import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { makeEncoder } from "../../src/cli/encoder.js";
import { imageSpec } from "../../src/data/sample.js";
import { VisionTransformer } from "../../src/nn/index.js";
import { Rng } from "../../src/random/rng.js";
import { expectOneLineError, runInProcess } from "./run-cli.js";

const root = mkdtempSync(join(tmpdir(), "pretext-vit-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("--encoder vit", () => {
  it("pretrains on MNIST, and the exported encoder maps [B, 1, 28, 28] to [B, 128]", async () => {
    const dir = join(root, "simclr");
    const r = await runInProcess(["pretrain", "--method", "simclr", "--data", "mnist", "--encoder", "vit", "--limit", "256", "--batch-size", "64", "--epochs", "1", "--out", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).pretrain).toMatchObject({ encoder: "vit" });
    const onnx = join(root, "vit.onnx");
    const ex = await runInProcess(["export", dir, "--out", onnx, "--batch-size", "2"]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(existsSync(onnx)).toBe(true);
    const session = await ort.InferenceSession.create(onnx);
    const out = await session.run({ [session.inputNames[0] as string]: new ort.Tensor("float32", new Float32Array(2 * 784).fill(0.5), [2, 1, 28, 28]) });
    const y = out[session.outputNames[0] as string] as ort.Tensor;
    expect(y.dims).toEqual([2, 128]);
    await session.release();
  }, 60_000);

  it("is refused in one line by jigsaw, whose tiles do not fit its position embeddings", async () => {
    const dir = join(root, "jigsaw");
    expectOneLineError(await runInProcess(["pretrain", "--method", "jigsaw", "--data", "mnist", "--encoder", "vit", "--epochs", "1", "--out", dir]), "pretrain", /jigsaw embeds each tile on its own/);
    expect(existsSync(dir)).toBe(false);
  });

  it("needs image sides divisible by its 7x7 patches", () => {
    expect(makeEncoder("vit", imageSpec([3, 28, 28]), new Rng(0))).toBeInstanceOf(VisionTransformer);
    expect(() => makeEncoder("vit", imageSpec([1, 30, 30]), new Rng(0))).toThrow(/7x7 patches; the data's 30x30 is not divisible by 7/);
  });
});

import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveDataSpec } from "../../../src/data/resolve-data-spec.js";
import { readConfigFile } from "../../../src/cli/config.js";
import { type BadInput, OUT } from "../bad-input.js";

// pretext writes .onnx files and never loads one (an encoder is rebuilt from its safetensors), so
// an .onnx someone sent is refused wherever a command takes a file, before any of it is parsed.
const model = (dir: string, ctx: { goodRun: string }) => copyFileSync(join(ctx.goodRun, "encoder.onnx"), join(dir, "model.onnx"));

export const onnxCases: readonly BadInput[] = [
  {
    reader: "onnx",
    name: "an .onnx model as --data",
    files: model,
    cli: (dir) => ["pretrain", "--method", "simclr", "--data", join(dir, "model.onnx"), "--out", join(dir, OUT), "--quiet"],
    library: (dir) => resolveDataSpec(join(dir, "model.onnx")),
    message: /model\.onnx: not an IDX file/,
  },
  {
    reader: "onnx",
    name: "an .onnx model as --config",
    files: model,
    cli: (dir) => ["pretrain", "--config", join(dir, "model.onnx"), "--out", join(dir, OUT), "--quiet"],
    library: (dir) => readConfigFile(join(dir, "model.onnx")),
    exit: 2,
    message: /model\.onnx: not valid JSON/,
  },
  {
    reader: "onnx",
    name: "an .onnx model as the run folder",
    files: model,
    cli: (dir) => ["eval", join(dir, "model.onnx")],
    exit: 2,
    message: /model\.onnx: no config\.json, so not a run folder/,
  },
  {
    reader: "onnx",
    name: "an .onnx model as --test-data",
    files: model,
    cli: (dir, ctx) => ["eval", ctx.goodRun, "--test-data", join(dir, "model.onnx"), "--baselines", "none", "--quiet"],
    message: /model\.onnx: not an IDX file/,
  },
  {
    reader: "onnx",
    name: "export --out a file that is not .onnx",
    files: () => undefined,
    cli: (dir, ctx) => ["export", ctx.goodRun, "--out", join(dir, "model.txt")],
    exit: 2,
    message: /--out .*model\.txt: name the file \*\.onnx/,
    leaves: ["model.txt"],
  },
  {
    reader: "onnx",
    name: "a truncated .onnx as --data",
    files: (dir, ctx) => {
      model(dir, ctx);
      writeFileSync(join(dir, "model.onnx"), Buffer.from([0x08, 0x09, 0x12]));
    },
    cli: (dir) => ["pretrain", "--method", "simclr", "--data", join(dir, "model.onnx"), "--out", join(dir, OUT), "--quiet"],
    library: (dir) => resolveDataSpec(join(dir, "model.onnx")),
    message: /model\.onnx: not an IDX file/,
  },
];

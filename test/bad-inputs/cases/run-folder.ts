import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadRunEncoder } from "../../../src/cli/run-encoder.js";
import { loadLatestCheckpoint } from "../../../src/train/checkpoint.js";
import { type BadInput, type CaseContext } from "../bad-input.js";

const RUN = "run";
/** Copies the good run to dir/run and applies `damage` to the copy. */
const damaged = (damage: (run: string, ctx: CaseContext) => void) => (dir: string, ctx: CaseContext) => {
  cpSync(ctx.goodRun, join(dir, RUN), { recursive: true });
  damage(join(dir, RUN), ctx);
};
const edit = (path: string, change: (json: Record<string, Record<string, unknown>>) => void) => {
  const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, Record<string, unknown>>;
  change(json);
  writeFileSync(path, JSON.stringify(json));
};
const checkpointFiles = (run: string, ext: string) => readdirSync(join(run, "checkpoints")).filter((f) => f.startsWith("checkpoint-") && f.endsWith(ext)).map((f) => join(run, "checkpoints", f));

function runCase(name: string, damage: (run: string, ctx: CaseContext) => void, cli: (run: string, dir: string) => string[], message: RegExp, extra: Partial<BadInput> = {}): BadInput {
  return { reader: "run-folder", name, files: damaged(damage), cli: (dir) => cli(join(dir, RUN), dir), exit: 1, message, ...extra };
}

const exportTo = (run: string, dir: string) => ["export", run, "--out", join(dir, "exported.onnx")];
const evalRun = (run: string) => ["eval", run, "--baselines", "none", "--draws", "1", "--labels-per-class", "1", "--limit", "50", "--quiet"];
const resume = (run: string) => ["pretrain", "--resume", run, "--epochs", "3", "--quiet"];
const report = (run: string) => ["report", run];

export const runFolderCases: readonly BadInput[] = [
  {
    reader: "run-folder",
    name: "a run folder that does not exist",
    files: () => undefined,
    cli: (dir) => ["eval", join(dir, "nowhere")],
    library: (dir) => loadRunEncoder(join(dir, "nowhere")),
    exit: 2,
    message: /nowhere: no such run folder/,
  },
  {
    reader: "run-folder",
    name: "a folder without config.json",
    files: (dir) => mkdirSync(join(dir, "empty")),
    cli: (dir) => ["export", join(dir, "empty")],
    library: (dir) => loadRunEncoder(join(dir, "empty")),
    exit: 2,
    message: /empty: no config\.json, so not a run folder/,
  },
  runCase("config.json that is not JSON", (run) => writeFileSync(join(run, "config.json"), "{ torn"), exportTo, /config\.json: unreadable .*the run folder is damaged/, {
    library: (dir) => loadRunEncoder(join(dir, RUN)),
    leaves: ["exported.onnx"],
  }),
  runCase("config.json that is a list", (run) => writeFileSync(join(run, "config.json"), "[]"), exportTo, /config\.json: expected a JSON object/, { leaves: ["exported.onnx"] }),
  runCase("config.json from a newer pretext (an option this one lacks)", (run) => edit(join(run, "config.json"), (c) => ((c.pretrain as Record<string, unknown>).mixedPrecision = true)), exportTo, /config\.json: pretrain\.mixedPrecision is not an option/, {
    exit: 2,
    library: (dir) => loadRunEncoder(join(dir, RUN)),
    leaves: ["exported.onnx"],
  }),
  runCase("config.json naming an encoder that does not exist", (run) => edit(join(run, "config.json"), (c) => ((c.pretrain as Record<string, unknown>).encoder = "vit-h")), exportTo, /config\.json: pretrain\.encoder must be one of/, { exit: 2, leaves: ["exported.onnx"] }),
  runCase("config.json saying another encoder than the weights", (run) => edit(join(run, "config.json"), (c) => ((c.pretrain as Record<string, unknown>).encoder = "resnet18")), exportTo, /encoder\.safetensors: ".+" is missing or has the wrong size; the config\.json and weights are from different encoders/, {
    leaves: ["exported.onnx"],
  }),
  runCase("no encoder.safetensors (an unfinished run)", (run) => rmSync(join(run, "encoder.safetensors")), exportTo, /encoder\.safetensors: no trained encoder; the run did not finish/, { leaves: ["exported.onnx"] }),
  runCase("encoder.safetensors without its sample spec", (run) => {
    const path = join(run, "encoder.safetensors");
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString()) as Record<string, unknown>;
    header.__metadata__ = {};
    const json = Buffer.from(JSON.stringify(header).padEnd(n, " "));
    if (json.length !== n) throw new Error("header grew");
    json.copy(bytes, 8);
    writeFileSync(path, bytes);
  }, exportTo, /encoder\.safetensors: no sample spec in its metadata/, { leaves: ["exported.onnx"] }),
  runCase("metrics.jsonl damaged in the middle", (run) => {
    const lines = readFileSync(join(run, "metrics.jsonl"), "utf8").split("\n");
    lines[1] = "{ torn";
    writeFileSync(join(run, "metrics.jsonl"), lines.join("\n"));
  }, report, /metrics\.jsonl:2: not valid JSON/, { leaves: [`${RUN}/report.html`] }),
  runCase("metrics.jsonl with a step line without a step", (run) => writeFileSync(join(run, "metrics.jsonl"), '{"type":"step","loss":1}\n{"type":"step","step":1,"loss":1}\n'), report, /metrics\.jsonl:1: a "step" line needs a numeric "step"/, {
    leaves: [`${RUN}/report.html`],
  }),
  runCase("every checkpoint corrupt (resume)", (run) => {
    for (const f of checkpointFiles(run, ".safetensors")) writeFileSync(f, "garbage");
  }, resume, /no loadable checkpoint in .*checkpoints.*checkpoint-\d+\.safetensors: has 7 bytes/, {
    library: (dir) => loadLatestCheckpoint(join(dir, RUN, "checkpoints")),
    keeps: [`${RUN}/encoder.safetensors`],
  }),
  runCase("a checkpoint whose hash does not match (resume)", (run) => {
    for (const f of checkpointFiles(run, ".safetensors")) {
      const b = readFileSync(f);
      b.writeUInt8(b.readUInt8(b.length - 1) ^ 0xff, b.length - 1);
      writeFileSync(f, b);
    }
  }, resume, /SHA-256 [0-9a-f]+ does not match/, { library: (dir) => loadLatestCheckpoint(join(dir, RUN, "checkpoints")) }),
  runCase("a checkpoint from another method (resume)", (run) => {
    edit(join(run, "config.json"), (c) => {
      c.pretrain = { ...c.pretrain, method: "byol" };
      c.method = {};
    });
  }, resume, /checkpoint-\d+\.json: does not fit this model .*written by another method or encoder/),
  runCase("embeddings.safetensors damaged (report)", (run) => writeFileSync(join(run, "embeddings.safetensors"), "not safetensors at all"), report, /embeddings\.safetensors: not a valid safetensors file/, { leaves: [`${RUN}/report.html`] }),
  runCase("audio.json damaged (export)", (run) => writeFileSync(join(run, "audio.json"), "{ torn"), exportTo, /audio\.json/, { leaves: ["exported.onnx"] }),
  runCase("eval with a test-data file that does not exist", () => undefined, (run, dir) => [...evalRun(run), "--test-data", join(dir, "missing-test")], /missing-test: no such file or folder/, { exit: 2 }),
  {
    reader: "run-folder",
    name: "pretrain --out an existing run (refused, the run kept)",
    files: damaged(() => undefined),
    cli: (dir) => ["pretrain", "--method", "simclr", "--data", "mnist", "--limit", "64", "--batch-size", "32", "--epochs", "1", "--out", join(dir, RUN), "--quiet"],
    exit: 2,
    message: /run: already holds a run.*--resume/,
    keeps: [`${RUN}/encoder.safetensors`, `${RUN}/checkpoints`],
  },
  {
    reader: "run-folder",
    name: "--resume with a changed method",
    files: damaged(() => undefined),
    cli: (dir) => ["pretrain", "--resume", join(dir, RUN), "--method", "byol"],
    exit: 2,
    message: /--resume keeps the run's method/,
  },
];

import { Command } from "commander";
import { inputField } from "../data/sample.js";
import { exportOnnx, saveOnnx } from "../train/export.js";
import { positiveIntArg } from "./args.js";
import { CliError, ExitCode, type ExitCodeValue } from "./errors.js";
import type { Io } from "./progress.js";
import { loadRunEncoder } from "./run-encoder.js";
import { exportWaveformEncoder, readRunAudio } from "./audio-run.js";
import { exportedTablePath, readRunTable, writeTableFile } from "./table-run.js";

interface ExportFlags {
  readonly out?: string;
  readonly batchSize: number;
}

export function exportCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("export")
    .description("export a run's trained encoder as a standalone ONNX model (weights as initializers)")
    .argument("<run-dir>", "a run folder written by `pretext pretrain`")
    .option("--out <file>", "the .onnx file (default <run-dir>/encoder.onnx)")
    .option("--batch-size <n>", "the model's static batch size", positiveIntArg, 1)
    .addHelpText("after", "\nThe model takes `input` (images float32 [batch, C, H, W], token ids int64 [batch, T], table rows float32 [batch, F] encoded as the run's table.json says (written beside the model as <name>.table.json), audio as raw 16 kHz waves float32 [batch, 1, samples], featurized inside the model) and returns `embedding` [batch, D].")
    .action(async (dir: string, flags: ExportFlags) => {
      const { run, config, encoder, spec, text } = await loadRunEncoder(dir);
      const input = inputField(spec);
      // A text encoder reads its context's worth of ids (a causal LM's training windows hold one more).
      const inputShape = [flags.batchSize, ...(text === null ? input.shape : [text.context])];
      const out = flags.out ?? run.encoderOnnxPath;
      if (!out.toLowerCase().endsWith(".onnx")) throw new CliError(`--out ${out}: name the file *.onnx`);
      const description = `pretext ${config.pretrain.method} encoder (${config.pretrain.encoder})`;
      const audio = readRunAudio(run);
      const exported = audio === null ? { bytes: exportOnnx(encoder, { inputShape, inputDType: input.dtype, description }), inputShape } : exportWaveformEncoder(encoder, audio, flags.batchSize, description);
      const bytes = exported.bytes;
      await saveOnnx(out, bytes);
      // A table model's input is encoded rows: the encoding travels with it, or its inputs mean nothing.
      const table = readRunTable(run);
      const tablePath = table === null ? null : exportedTablePath(out);
      if (table !== null && tablePath !== null) await writeTableFile(tablePath, table);
      const encoded = tablePath === null ? "" : ` (rows encoded as ${tablePath} says)`;
      io.stderr.write(`${out}: input ${input.dtype}[${exported.inputShape.join(", ")}]${audio === null ? "" : " (16 kHz waves)"}${encoded} → embedding [${flags.batchSize}, ${encoder.outputDim}] (${(bytes.length / 1e6).toFixed(2)} MB)\n`);
      done(ExitCode.ok);
    });
}

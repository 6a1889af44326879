import { writeFile } from "node:fs/promises";
import { Command } from "commander";
import type { Dataset } from "../data/dataset.js";
import { sampleImage } from "../data/image/image-dataset.js";
import { imageShape } from "../data/sample.js";
import { embedDataset } from "../eval/embed.js";
import type { Encoder } from "../methods/method.js";
import { type NamedTensor, encodeSafetensors } from "../train/safetensors.js";
import { positiveIntArg } from "./args.js";
import { loadData, limitDataset } from "./data.js";
import { CliError, ExitCode, type ExitCodeValue } from "./errors.js";
import type { Io } from "./progress.js";
import { loadRunEncoder } from "./run-encoder.js";
import { runTokenizer } from "./text-data.js";
import { audioLoading } from "./audio-run.js";
import { tableLoading } from "./table-run.js";

/**
 * Embeds a dataset and writes `embeddings` F32 [N, D], `labels` I64 [N] (when the data has them)
 * and, with `images` for image data, the inputs F32 [N, C, H, W] — the layout the report reads.
 */
export async function writeEmbeddings(path: string, encoder: Encoder, dataset: Dataset, options: { images: boolean }): Promise<{ n: number; dim: number }> {
  const emb = await embedDataset(encoder, dataset);
  const tensors = new Map<string, NamedTensor>([["embeddings", { shape: [emb.length, emb.dim], data: emb.data }]]);
  if (dataset.labels !== undefined) tensors.set("labels", { shape: [dataset.length], data: BigInt64Array.from(dataset.labels, (y) => BigInt(y)) });
  if (options.images && dataset.spec.modality === "image") {
    const [c, h, w] = imageShape(dataset.spec, "embed --images");
    const size = c * h * w;
    const images = new Float32Array(dataset.length * size);
    for (let i = 0; i < dataset.length; i++) images.set(sampleImage(dataset.get(i)), i * size);
    tensors.set("images", { shape: [dataset.length, c, h, w], data: images });
  }
  const metadata: Record<string, string> = { format: "pretext-embeddings" };
  if (dataset.classNames !== undefined) metadata.class_names = JSON.stringify(dataset.classNames);
  await writeFile(path, encodeSafetensors(tensors, metadata));
  return { n: emb.length, dim: emb.dim };
}

interface EmbedFlags {
  readonly data?: string;
  readonly labels?: string;
  readonly out: string;
  readonly images?: boolean;
  readonly limit?: number;
}

export function embedCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("embed")
    .description("embed a dataset with a run's trained encoder into a .safetensors file")
    .argument("<run-dir>", "a run folder written by `pretext pretrain`")
    .option("--data <spec>", "the data to embed (default: the run's data; for mnist, its test split)")
    .option("--labels <file>", "labels file, stored beside the embeddings")
    .requiredOption("--out <file>", "where to write the .safetensors file")
    .option("--images", "also store the input images (as the report's embeddings.safetensors does)")
    .option("--limit <n>", "embed N evenly spaced samples only", positiveIntArg)
    .action(async (dir: string, flags: EmbedFlags) => {
      const { run, pretrain, encoder, text } = await loadRunEncoder(dir);
      const spec = flags.data ?? pretrain.data;
      const loaded = await loadData(spec, flags.labels ?? (flags.data === undefined ? pretrain.labels : null), {
        textColumn: pretrain.textColumn,
        ...(text === null ? {} : { text: { tokenizer: runTokenizer(run), length: text.context } }),
        ...audioLoading(run),
        ...tableLoading(run),
      });
      // The bundled digits' own spec means their held-out split: embeddings for a map or retrieval.
      const dataset = limitDataset(loaded.test ?? loaded.train, flags.limit ?? null);
      if (!flags.out.endsWith(".safetensors")) throw new CliError(`--out ${flags.out}: name the file *.safetensors`);
      const { n, dim } = await writeEmbeddings(flags.out, encoder, dataset, { images: flags.images === true });
      io.stderr.write(`embedded ${n} samples of ${spec} into ${dim} dimensions with ${run.dir}: ${flags.out}\n`);
      done(ExitCode.ok);
    });
}

import { Command } from "commander";
import type { Dataset } from "../data/dataset.js";
import { imageBatch } from "../data/image/image-dataset.js";
import { type Batch, DataLoader, batchField } from "../data/loader.js";
import { imageShape, spectrogramShape } from "../data/sample.js";
import { writeSpectrogramGrid } from "../data/audio/spectrogram-grid.js";
import { subsetDataset } from "../eval/label-subsets.js";
import { writeViewsGrid } from "../data/image/views-grid.js";
import type { Encoder, Method } from "../methods/method.js";
import { recipeDefaults } from "../methods/recipes.js";
import { specModality } from "../data/resolve-data-spec.js";
import { Rng } from "../random/rng.js";
import { nonNegativeIntArg, positiveIntArg } from "./args.js";
import { type ConfigObject, ENCODERS, type EncoderName, readConfigFile, resolveMethodOptions } from "./config.js";
import { loadData } from "./data.js";
import { encoderForRun } from "./encoder.js";
import { CliError, ExitCode, type ExitCodeValue, errorMessage } from "./errors.js";
import { findMethod } from "./methods.js";
import type { Io } from "./progress.js";

/**
 * Draws what a method's step is fed for `count` samples: each original, then every step input
 * of the same shape as the images (the views; for masked methods, the masked images). The
 * views come from the method's own `views` with a seeded generator, so this is exactly what
 * training sees.
 */
export async function writeMethodViews(
  path: string,
  method: Method,
  methodOptions: ConfigObject,
  encoderName: EncoderName,
  dataset: Dataset,
  options: { count: number; seed: number },
): Promise<{ views: number }> {
  const count = Math.min(options.count, dataset.length);
  const { spec } = dataset;
  const [c, h, w] = imageShape(spec, "the views grid");
  const encoder = encoderForRun(encoderName, spec, options.seed);
  const { batch, inputs } = methodViews(method, methodOptions, encoder, dataset, count, options.seed, "samples");
  const images = imageBatch(batch, "the views grid").images.slice();
  const shape = [count, c, h, w] as const;
  const views: Float32Array[] = [];
  for (const t of Object.values(inputs)) {
    if (t.dtype === "float32" && t.data instanceof Float32Array && t.data.length === images.length && t.shape.join() === shape.join()) views.push(t.data);
  }
  await writeViewsGrid(path, images, shape, { views, columns: count >= 4 ? 2 : 1 });
  return { views: views.length };
}

/**
 * `count` evenly spaced samples of `dataset` as one batch, and the step inputs the method makes of
 * them from a seeded generator (after the method's own `prepare`, as training runs it): what a
 * views grid draws, for any modality.
 */
export function methodViews(
  method: Method,
  methodOptions: ConfigObject,
  encoder: Encoder,
  dataset: Dataset,
  count: number,
  seed: number,
  unit: string,
): { batch: Batch; inputs: ReturnType<ReturnType<Method["plan"]>["views"]> } {
  const indices = Int32Array.from({ length: count }, (_, i) => Math.floor((i * dataset.length) / count));
  try {
    const options = { ...method.defaults, ...methodOptions };
    const sample = subsetDataset(dataset, indices);
    const prepared = method.prepare === undefined ? sample : method.prepare(sample, options);
    const batch = new DataLoader(prepared, { batchSize: count, shuffle: false, dropLast: false }).batch(0, 0);
    const plan = method.plan({ encoder, spec: prepared.spec, batchSize: count, totalSteps: 1, rng: new Rng(seed).split() }, options);
    return { batch, inputs: plan.views(batch, new Rng(seed)) };
  } catch (e) {
    throw new CliError(`${method.name} could not make views of ${count} ${unit}: ${errorMessage(e)}`, ExitCode.failure);
  }
}

/**
 * Draws a method's views of `count` clips as spectrograms (each clip, then its views), from the
 * method's own `views` with a seeded generator: exactly what training sees.
 */
export async function writeAudioViews(path: string, method: Method, methodOptions: ConfigObject, encoder: Encoder, dataset: Dataset, options: { count: number; seed: number }): Promise<{ views: number }> {
  const count = Math.min(options.count, dataset.length);
  const { spec } = dataset;
  const [mels, frames] = spectrogramShape(spec, "the spectrogram views grid");
  const { batch, inputs } = methodViews(method, methodOptions, encoder, dataset, count, options.seed, "clips");
  const clips = batchField(batch, "logmel", "float32", "the spectrogram views grid").data.slice();
  // Views are [count, 1, mels, F] of any F (crops and segments are shorter than the clip).
  const views = Object.values(inputs)
    .filter((t) => t.dtype === "float32" && t.data instanceof Float32Array && t.shape.length === 4 && t.shape[0] === count && t.shape[2] === mels)
    .map((t) => t.data as Float32Array);
  await writeSpectrogramGrid(path, clips, [count, 1, mels, frames], { views });
  return { views: views.length };
}

interface ViewsFlags {
  readonly method: string;
  readonly data: string;
  readonly labels?: string;
  readonly out: string;
  readonly count: number;
  readonly seed: number;
  readonly config?: string;
  readonly encoder: string;
}

export function viewsCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("views")
    .description("draw a grid of a method's augmented views of some samples (PNG), to check the augmentations")
    .requiredOption("--method <name>", "the method whose views to draw (see `pretext methods`)")
    .option("--data <spec>", "data to draw from", "mnist")
    .option("--labels <file>", "labels file of --data (unused; accepted for symmetry)")
    .option("--out <file>", "the PNG to write", "views.png")
    .option("--count <n>", "samples to draw", positiveIntArg, 8)
    .option("--seed <n>", "seeds the augmentations", nonNegativeIntArg, 0)
    .option("--config <file>", "a config file whose method section sets the method's options")
    .option("--encoder <name>", `encoder the method plans for: ${ENCODERS.join(", ")}`, "small-cnn")
    .action(async (flags: ViewsFlags) => {
      const method = findMethod(flags.method);
      const encoder = ENCODERS.find((e) => e === flags.encoder);
      if (encoder === undefined) throw new CliError(`--encoder ${flags.encoder}: choose one of ${ENCODERS.join(", ")}`);
      if (!flags.out.toLowerCase().endsWith(".png")) throw new CliError(`--out ${flags.out}: name the file *.png`);
      const file = flags.config === undefined ? {} : await readConfigFile(flags.config);
      const options = resolveMethodOptions(method.name, recipeDefaults(method, specModality(flags.data)), file.method, flags.config ?? "config");
      const { train } = await loadData(flags.data, flags.labels ?? null, { audio: {} });
      const draw = { count: flags.count, seed: flags.seed };
      // Audio clips are drawn as spectrograms, by the audio encoder the methods plan for.
      const { views } =
        train.spec.modality === "audio"
          ? await writeAudioViews(flags.out, method, options, encoderForRun(encoder === "small-cnn" ? "audio-cnn" : encoder, train.spec, flags.seed), train, draw)
          : await writeMethodViews(flags.out, method, options, encoder, train, draw);
      io.stderr.write(`${flags.out}: ${Math.min(flags.count, train.length)} samples of ${flags.data}, each with ${views} view${views === 1 ? "" : "s"} of ${method.name}\n`);
      done(ExitCode.ok);
    });
}

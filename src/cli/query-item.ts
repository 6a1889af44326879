import { existsSync, readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { ArrayDataset, type Dataset } from "../data/dataset.js";
import { normalizeLogMel } from "../data/audio/audio-features.js";
import { AUDIO_EXTENSIONS } from "../data/audio/audio-index.js";
import { featurizeFile } from "../data/audio/featurize-clip.js";
import { IMAGE_EXTENSIONS, decodeImageFile } from "../data/image/image-folder.js";
import { imageShape } from "../data/sample.js";
import { tokenizeDocuments } from "../data/text/text-datasets.js";
import { embedDataset } from "../eval/embed.js";
import type { EmbeddingStore } from "../store/embedding-store.js";
import { readRunAudio } from "./audio-run.js";
import { CliError, ExitCode, errorMessage } from "./errors.js";
import { weightsHash } from "./index-command.js";
import { type RunEncoder, loadRunEncoder } from "./run-encoder.js";
import { readRunTokenizer } from "./text-data.js";

/** What `--like` named, embedded as the store's vectors are. */
export interface QueryVector {
  readonly vector: Float32Array;
  /** The stored item the query is, left out of its own results; null for a file or a text. */
  readonly itemId: number | null;
  readonly describe: string;
}

/**
 * Resolves `--like`: a number is an item id of the store; an existing file is read the way the
 * store's data was (an image decoded and resized, a .wav featurized and normalized with the run's
 * statistics, a .txt tokenized) and embedded with the run's encoder; anything else, for a text
 * index, is a query string. The run must still hold the encoder that made the store's vectors.
 */
export async function queryVector(store: EmbeddingStore, like: string): Promise<QueryVector> {
  if (/^\d+$/.test(like)) {
    const id = Number(like);
    const vector = await store.vectorOf(id);
    if (vector === null) throw new CliError(`--like ${like}: no item ${id} in ${store.dir} (ids 0..${(await store.count()) - 1})`);
    return { vector, itemId: id, describe: `item ${id}` };
  }
  const { modality } = store.manifest.encoder;
  const isFile = existsSync(like) && statSync(like).isFile();
  if (!isFile && modality !== "text") throw new CliError(`--like ${like}: not an item id of ${store.dir} nor a file; give an id or an ${modality} file`);
  const run = await storeRun(store);
  const sample = isFile ? await readQueryFile(like, run) : await textQuery(like, run);
  const embedded = await embedDataset(run.encoder, sample, { batchSize: 1 });
  return { vector: embedded.data, itemId: null, describe: isFile ? like : JSON.stringify(like) };
}

/** The run that made the store, refused when its encoder has changed since. */
async function storeRun(store: EmbeddingStore): Promise<RunEncoder> {
  const { run: dir, weightsSha256 } = store.manifest.encoder;
  if (!existsSync(dir)) throw new CliError(`${store.dir}: its run ${dir} is gone; a query file needs the encoder that made the index (an item id works without it)`);
  const run = await loadRunEncoder(dir);
  if (weightsHash(run.run.encoderWeightsPath) !== weightsSha256) {
    throw new CliError(`${run.run.encoderWeightsPath}: not the encoder ${store.dir} was indexed with (its weights changed since); index again`, ExitCode.failure);
  }
  return run;
}

async function readQueryFile(file: string, run: RunEncoder): Promise<Dataset> {
  const ext = extname(file).toLowerCase();
  const { spec } = run;
  try {
    if (spec.modality === "image") {
      if (!IMAGE_EXTENSIONS.includes(ext)) throw new Error(`not an image file (${IMAGE_EXTENSIONS.join(", ")})`);
      const shape = imageShape(spec, "search --like");
      return new ArrayDataset({ spec, fields: { [spec.input]: await decodeImageFile(file, shape) } });
    }
    if (spec.modality === "audio") {
      if (!AUDIO_EXTENSIONS.includes(ext)) throw new Error("not a .wav file");
      const audio = readRunAudio(run.run);
      if (audio === null) throw new Error(`the run ${run.run.dir} has no audio.json`);
      const clip = featurizeFile(file, audio.features, null);
      if (!clip.ok) throw new Error(clip.reason);
      return new ArrayDataset({ spec, fields: { [spec.input]: normalizeLogMel(clip.values, audio.stats) } });
    }
    if (spec.modality === "text") return await textQuery(readFileSync(file, "utf8"), run);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`--like ${file}: ${errorMessage(e)}`, ExitCode.failure);
  }
  throw new CliError(`--like ${file}: a ${spec.modality} index takes item ids only`);
}

async function textQuery(text: string, run: RunEncoder): Promise<Dataset> {
  if (run.text === null) throw new CliError(`${run.run.dir}: not a text run`);
  return tokenizeDocuments({ texts: [text] }, await readRunTokenizer(run.run), run.text.context).dataset;
}

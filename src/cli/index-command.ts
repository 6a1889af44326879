import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import { Command, Option } from "commander";
import { embeddingDim } from "../eval/embed.js";
import { FolderLock } from "../io/folder-lock.js";
import { EmbeddingStore } from "../store/embedding-store.js";
import { type IndexProgress, type IndexSource, indexDatasets } from "../store/index-dataset.js";
import { STORE_MANIFEST, type StoreManifest, readManifest } from "../store/store-manifest.js";
import { positiveIntArg } from "./args.js";
import { audioLoading } from "./audio-run.js";
import { type LoadedData, loadData } from "./data.js";
import { CliError, ExitCode, type ExitCodeValue, errorMessage } from "./errors.js";
import { type Io, type ProgressMode, formatSeconds, progressMode } from "./progress.js";
import { type RunEncoder, loadRunEncoder } from "./run-encoder.js";
import { runTokenizer } from "./text-data.js";

interface IndexFlags {
  readonly data?: string;
  readonly labels?: string;
  readonly db?: string;
  readonly split: "all" | "train" | "test";
  readonly ann: "auto" | "always" | "never";
  readonly chunk: number;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** Where `pretext index <run>` writes without `--db`. */
export function defaultDbDir(runDir: string): string {
  return join(runDir, "index");
}

export function indexCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("index")
    .description("embed a data set with a run's encoder into a LanceDB table for search and mining (resumes an interrupted index)")
    .argument("<run-dir>", "a run folder written by `pretext pretrain`")
    .option("--data <spec>", "the data to index (default: the run's data, with its held-out split when it has one)")
    .option("--labels <file>", "labels file of --data")
    .option("--db <dir>", "the index folder (default: <run-dir>/index)")
    .addOption(new Option("--split <name>", "which splits of the data").choices(["all", "train", "test"]).default("all"))
    .addOption(new Option("--ann <when>", "build an IVF-PQ index: auto = from 100,000 rows").choices(["auto", "always", "never"]).default("auto"))
    .option("--chunk <n>", "items read and embedded at a time (rows are written 16,384 at a time)", positiveIntArg, 1024)
    .option("--json", "print the result as one JSON line on stdout")
    .option("--quiet", "no progress, only errors")
    .action(async (dir: string, flags: IndexFlags) => {
      const run = await loadRunEncoder(dir);
      const spec = flags.data ?? run.pretrain.data;
      const loaded = await loadData(spec, flags.labels ?? (flags.data === undefined ? run.pretrain.labels : null), {
        textColumn: run.pretrain.textColumn,
        ...(run.text === null ? {} : { text: { tokenizer: runTokenizer(run.run), length: run.text.context } }),
        ...audioLoading(run.run),
      });
      const sources = indexSources(loaded, flags.split);
      if (sources.length === 0) throw new CliError(`--split ${flags.split}: ${spec} has no held-out split; use --split train or all`);
      const dbDir = flags.db ?? defaultDbDir(run.run.dir);
      const manifest = planManifest(run, spec, loaded, sources);
      const store = await openOrCreate(dbDir, manifest);
      // Two processes appending to one table would interleave their ids: the second is refused.
      const lock = new FolderLock(dbDir, "index.lock");
      let lockWarning: string | null;
      try {
        lockWarning = lock.acquire(`index ${dir}`);
      } catch (e) {
        store.close();
        throw new CliError(errorMessage(e), ExitCode.failure);
      }
      if (lockWarning !== null) io.stderr.write(`warning: ${lockWarning}\n`);
      const mode = progressMode(flags, io);
      const progress = new IndexProgressDisplay(mode, io, dbDir);
      let result;
      try {
        result = await indexDatasets(store, run.encoder, sources, { chunk: flags.chunk, ann: flags.ann, onProgress: (p) => progress.update(p) });
      } catch (e) {
        throw new CliError(`${dbDir}: ${errorMessage(e)} (run the same command again to resume)`, ExitCode.failure);
      } finally {
        progress.stop();
        store.close();
        lock.release();
      }
      const summary = { db: dbDir, rows: result.rows, written: result.written, resumed_at: result.resumedAt, dim: manifest.encoder.dim, ann_index: result.annIndex, seconds: progress.seconds() };
      if (flags.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
      else if (mode !== "quiet") {
        const resumed = result.resumedAt > 0 ? ` (resumed at ${result.resumedAt.toLocaleString("en-US")})` : "";
        io.stderr.write(`indexed ${result.rows.toLocaleString("en-US")} items of ${spec} into ${dbDir}${resumed}, ${manifest.encoder.dim} dimensions${result.annIndex ? ", IVF-PQ index" : ", exact search"}, in ${formatSeconds(summary.seconds)}\n`);
      }
      done(ExitCode.ok);
    });
}

/** The splits to index, in id order, with each item's file and text where known. */
export function indexSources(loaded: LoadedData, split: IndexFlags["split"]): IndexSource[] {
  const sources: IndexSource[] = [];
  const documents = loaded.text?.source.kind === "documents" ? loaded.text.source : null;
  const texts = (list: readonly string[] | undefined, n: number) => (list !== undefined && list.length === n ? list : null);
  if (split !== "test") sources.push({ split: "train", dataset: loaded.train, paths: loaded.paths ?? null, texts: texts(documents?.train.texts, loaded.train.length) });
  if (split !== "train" && loaded.test !== null) sources.push({ split: "test", dataset: loaded.test, texts: texts(documents?.test?.texts, loaded.test.length) });
  return sources;
}

function planManifest(run: RunEncoder, spec: string, loaded: LoadedData, sources: readonly IndexSource[]): StoreManifest {
  let firstId = 0;
  const splits = sources.map((s) => {
    const split = { name: s.split, firstId, length: s.dataset.length };
    firstId += s.dataset.length;
    return split;
  });
  return {
    format: "pretext-index",
    version: 1,
    encoder: {
      // Absolute, so a query file can be embedded by the same run from any working directory.
      run: resolve(run.run.dir),
      method: run.pretrain.method,
      name: run.pretrain.encoder,
      weightsSha256: weightsHash(run.run.encoderWeightsPath),
      dim: embeddingDim(run.encoder, run.spec),
      modality: run.spec.modality,
    },
    data: spec,
    classNames: loaded.train.classNames === undefined ? null : [...loaded.train.classNames],
    splits,
    complete: false,
    annIndex: null,
  };
}

export function weightsHash(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** A new store, or the one in `dir` when it holds the same encoder's vectors of the same data (a resumed index). */
async function openOrCreate(dir: string, planned: StoreManifest): Promise<EmbeddingStore> {
  if (!existsSync(join(dir, STORE_MANIFEST))) {
    try {
      return await EmbeddingStore.create(dir, planned);
    } catch (e) {
      throw new CliError(`--db ${errorMessage(e)}`);
    }
  }
  let existing: StoreManifest;
  try {
    existing = readManifest(dir);
  } catch (e) {
    throw new CliError(errorMessage(e), ExitCode.failure);
  }
  if (existing.encoder.weightsSha256 !== planned.encoder.weightsSha256 || existing.encoder.dim !== planned.encoder.dim) {
    throw new CliError(`${dir}: holds vectors of another encoder (${existing.encoder.run}, weights ${existing.encoder.weightsSha256.slice(0, 12)}); vectors of two encoders are never mixed: give another --db`);
  }
  if (existing.data !== planned.data || existing.splits.length !== planned.splits.length || existing.splits.some((s, i) => s.name !== planned.splits[i]?.name)) {
    throw new CliError(`${dir}: indexes ${existing.data} (${existing.splits.map((s) => s.name).join(", ")}), not ${planned.data} (${planned.splits.map((s) => s.name).join(", ")}); give another --db`);
  }
  return EmbeddingStore.open(dir);
}

const LINES_EVERY_MS = 10_000;

/** A bar on a terminal, a line every 10 s in a log, over the rows of the index. */
class IndexProgressDisplay {
  readonly #mode: ProgressMode;
  readonly #io: Io;
  readonly #dir: string;
  readonly #started = performance.now();
  #lastLine = performance.now();
  #bar: SingleBar | null = null;

  constructor(mode: ProgressMode, io: Io, dir: string) {
    this.#mode = mode;
    this.#io = io;
    this.#dir = dir;
  }

  seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  update(p: IndexProgress): void {
    if (this.#mode !== "bar" && this.#mode !== "lines") return;
    const rate = Math.round((p.done - p.resumedAt) / Math.max(this.seconds(), 1e-3));
    if (this.#mode === "bar") {
      if (this.#bar === null) {
        if (p.resumedAt > 0) this.#io.stderr.write(`${this.#dir}: resuming at item ${p.resumedAt.toLocaleString("en-US")} of ${p.total.toLocaleString("en-US")}\n`);
        this.#bar = new SingleBar({ stream: this.#io.stderr, format: "index [{bar}] {value}/{total} | ETA {eta_formatted} | {rate} items/s", barsize: 24, hideCursor: true, etaBuffer: 20, fps: 5 });
        this.#bar.start(p.total, p.done, { rate: "-" });
      }
      this.#bar.update(p.done, { rate: String(rate) });
    } else if (performance.now() - this.#lastLine >= LINES_EVERY_MS || p.done === p.total) {
      this.#lastLine = performance.now();
      this.#io.stderr.write(`index ${p.done}/${p.total} | ${rate} items/s | ${formatSeconds(this.seconds())}\n`);
    }
  }

  stop(): void {
    if (this.#bar === null) return;
    this.#bar.stop();
    this.#bar = null;
  }
}

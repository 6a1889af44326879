import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { AudioFeatures } from "./audio-features.js";
import { LogMelCache } from "./feature-cache.js";
import { type ClipResult, featurizeFile } from "./featurize-clip.js";
import type { FeaturizeReply, FeaturizeRequest, FeaturizeWorkerInit } from "./featurize-worker.js";

export interface FeaturizeFilesOptions {
  readonly features: AudioFeatures;
  /** The cache's root folder (see `LogMelCache`), or null for none. */
  readonly cacheRoot: string | null;
  /** Threads that featurize, the calling one included; default the machine's cores. 1: the calling thread alone. */
  readonly threads?: number;
  /** Called after each batch of files with how many are done. */
  readonly onProgress?: (done: number) => void;
  /** Whether the calling thread featurizes too (default true); false leaves it to the workers, as tests of them need. */
  readonly workOnCallingThread?: boolean;
}

/** Fewer files than this are not worth a worker's start (~0.5 s from the TypeScript sources, where tsx compiles its imports). */
const MIN_FILES_FOR_WORKERS = 128;
/** Files handed out at a time: small enough to balance the load, large enough that messages cost nothing. */
const BATCH = 16;

/**
 * The spectrogram (or the reason there is none) of every file, in order. Decoding, resampling
 * and the FFTs are CPU work, so with `threads` above 1 worker threads share it: the calling
 * thread starts at once and each worker takes batches as soon as it is up, so a slow start (or a
 * busy machine) costs nothing but the worker's own start.
 */
export async function featurizeFiles(files: readonly string[], options: FeaturizeFilesOptions): Promise<ClipResult[]> {
  const { features, cacheRoot, onProgress, workOnCallingThread = true } = options;
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`featurizeFiles: threads must be a positive integer, got ${threads}`);
  const results = new Array<ClipResult>(files.length);
  let next = 0;
  let done = 0;
  /** Batches a failed worker was holding, done again by whoever takes next. */
  const returned: [number, number][] = [];
  const take = (): [number, number] | null => {
    const again = returned.pop();
    if (again !== undefined) return again;
    if (next >= files.length) return null;
    const start = next;
    next = Math.min(files.length, next + BATCH);
    return [start, next];
  };
  const finished = (count: number) => {
    done += count;
    onProgress?.(done);
  };
  const workers = workOnCallingThread ? (files.length >= MIN_FILES_FOR_WORKERS ? threads - 1 : 0) : threads;
  const helping = Array.from({ length: workers }, () => helpInWorker({ features, cacheRoot }, files, take, (range) => returned.push(range), results, finished));
  const cache = cacheRoot === null ? null : new LogMelCache(cacheRoot, features);
  const work = async () => {
    for (let range = take(); range !== null; range = take()) {
      for (let i = range[0]; i < range[1]; i++) results[i] = featurizeFile(files[i] as string, features, cache);
      finished(range[1] - range[0]);
      // between batches, let the workers' messages in (they take their next batch from them)
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  if (workOnCallingThread) await work();
  await Promise.all(helping);
  await work(); // what a worker that failed left undone
  return results;
}

// From the TypeScript sources (tsx, vitest) the worker registers tsx's loader before importing
// its entry (Node 20 ignores `--import` in a worker's execArgv); from dist/ it is plain JS.
const fromSource = import.meta.url.endsWith(".ts");
const workerUrl = new URL(fromSource ? "./featurize-worker.ts" : "./featurize-worker.js", import.meta.url);

function startWorker(init: FeaturizeWorkerInit): Worker {
  if (!fromSource) return new Worker(workerUrl, { workerData: init });
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}

/**
 * One worker taking batches from `take` until none is left; resolves when it has stopped. A
 * worker that fails (it should not: every file's failure is a result) hands its batch back
 * through `giveBack` and stops, and the calling thread does the rest.
 */
function helpInWorker(
  init: FeaturizeWorkerInit,
  paths: readonly string[],
  take: () => [number, number] | null,
  giveBack: (range: [number, number]) => void,
  results: ClipResult[],
  finished: (count: number) => void,
): Promise<void> {
  let worker: Worker;
  try {
    worker = startWorker(init);
  } catch {
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    let stopping = false;
    let holding: [number, number] | null = null;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      if (holding !== null) giveBack(holding);
      void worker.terminate().then(() => resolve());
    };
    const send = () => {
      holding = take();
      if (holding === null) stop();
      else worker.postMessage({ id: holding[0], files: paths.slice(holding[0], holding[1]) } satisfies FeaturizeRequest);
    };
    worker.on("message", (reply: FeaturizeReply) => {
      if (reply.kind === "results") {
        reply.results.forEach((r, k) => {
          results[reply.id + k] = r;
        });
        holding = null;
        finished(reply.results.length);
      }
      send();
    });
    worker.on("error", stop);
    worker.on("exit", stop);
  });
}

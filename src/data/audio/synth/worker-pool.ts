import { Worker } from "node:worker_threads";
import type { UtteranceSpec } from "./plan.js";
import type { MadeUtterance } from "./render.js";
import type { SynthWorkerReply, SynthWorkerRequest } from "./worker.js";

// From the TypeScript sources (tsx, vitest) the worker registers tsx's loader before importing
// its entry (Node 20 ignores `--import` in a worker's execArgv); from dist/ it is plain JS.
const fromSource = import.meta.url.endsWith(".ts");
const workerUrl = new URL(fromSource ? "./worker.ts" : "./worker.js", import.meta.url);

function startWorker(): Worker {
  if (!fromSource) return new Worker(workerUrl);
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** Utterances a worker is sent at once: small, so that the progress moves smoothly. */
const BATCH = 8;

/**
 * Makes `specs` on `threads` worker threads, each with its own engines, and calls `onMade` for
 * each utterance written. Each worker is kept two batches ahead, so it never waits for the main
 * thread; the first failure stops them all and rejects with `<path>: <reason>`.
 */
export function makeInWorkers(specs: readonly UtteranceSpec[], dir: string, threads: number, onMade: (made: MadeUtterance) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let running = 0;
    let failed = false;
    const workers: Worker[] = [];
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(error);
    };
    for (let t = 0; t < threads; t++) {
      const worker = startWorker();
      workers.push(worker);
      running++;
      let inFlight = 0;
      const send = (): void => {
        const jobs = specs.slice(next, next + BATCH);
        if (jobs.length === 0) return;
        next += jobs.length;
        inFlight++;
        worker.postMessage({ kind: "jobs", dir, jobs } satisfies SynthWorkerRequest);
      };
      worker.on("message", (reply: SynthWorkerReply) => {
        if (reply.kind === "error") {
          fail(new Error(reply.message));
          return;
        }
        inFlight--;
        try {
          for (const m of reply.made) onMade(m);
        } catch (e) {
          fail(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        send();
        if (inFlight === 0) worker.postMessage({ kind: "close" } satisfies SynthWorkerRequest);
      });
      worker.on("error", fail);
      worker.on("exit", (code) => {
        running--;
        if (failed) return;
        if (inFlight > 0) fail(new Error(`a synth worker thread exited with code ${code} before finishing its utterances`));
        else if (running === 0) resolve();
      });
      send();
      send();
      if (inFlight === 0) worker.postMessage({ kind: "close" } satisfies SynthWorkerRequest);
    }
  });
}

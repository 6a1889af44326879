import { Worker } from "node:worker_threads";
import type { FuzzReport, Runnable } from "./fuzz-target.js";

export interface WorkerRequest {
  /** The module whose `FUZZ_TARGETS` the worker runs (the test of the watchdog gives broken ones). */
  readonly module: string;
  readonly targets: readonly string[];
  readonly seed: number;
  readonly numRuns: number;
  readonly caseTimeoutMs: number;
}

export type WorkerReply = { readonly type: "case"; readonly target: string; readonly input: string } | { readonly type: "report"; readonly report: FuzzReport };

export interface RunFuzzOptions {
  /** Target names of `module`'s `FUZZ_TARGETS` (default: every parser in targets/index.ts). */
  readonly targets?: readonly string[];
  readonly module?: URL;
  readonly seed: number;
  readonly numRuns: number;
  /** A case still running after this long is a hang: the worker is stopped and the case reported. */
  readonly caseTimeoutMs: number;
  readonly onReport?: (report: FuzzReport) => void;
}

/**
 * Fuzzes the targets in a worker thread watched from this one: a synchronous parser caught in a
 * loop cannot be interrupted from inside, so the watcher terminates the worker when one case
 * outlasts `caseTimeoutMs`, reports that case's input as a hang, and goes on in a new worker.
 */
export async function runFuzz(options: RunFuzzOptions): Promise<FuzzReport[]> {
  const module = options.module ?? new URL("./targets/index.ts", import.meta.url);
  const { FUZZ_TARGETS } = (await import(module.href)) as { FUZZ_TARGETS: readonly Runnable[] };
  const pending = [...(options.targets ?? FUZZ_TARGETS.map((t) => t.name))];
  const reports: FuzzReport[] = [];
  while (pending.length > 0) {
    const request: WorkerRequest = { module: module.href, targets: [...pending], seed: options.seed, numRuns: options.numRuns, caseTimeoutMs: options.caseTimeoutMs };
    const finished = await runWorker(request, (report) => {
      reports.push(report);
      options.onReport?.(report);
      pending.splice(pending.indexOf(report.target), 1);
    });
    if (finished.hang !== null) {
      const hang: FuzzReport = { target: finished.hang.target, seed: options.seed, cases: finished.hang.cases, failure: null, hang: finished.hang.input };
      reports.push(hang);
      options.onReport?.(hang);
      pending.splice(pending.indexOf(finished.hang.target), 1);
    }
  }
  return reports;
}

function runWorker(request: WorkerRequest, onReport: (report: FuzzReport) => void): Promise<{ hang: { target: string; input: string; cases: number } | null }> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(request);
    let current: { target: string; input: string; cases: number } | null = null;
    let timer: NodeJS.Timeout | undefined;
    let hung = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hung = true;
        void worker.terminate();
      }, request.caseTimeoutMs);
    };
    arm();
    worker.on("message", (reply: WorkerReply) => {
      if (reply.type === "case") {
        current = { target: reply.target, input: reply.input, cases: current?.target === reply.target ? current.cases + 1 : 1 };
      } else {
        current = null;
        onReport(reply.report);
      }
      arm();
    });
    worker.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    worker.on("exit", () => {
      clearTimeout(timer);
      if (hung && current !== null) resolve({ hang: current });
      else if (hung) reject(new Error("the fuzz worker stopped answering between cases"));
      else resolve({ hang: null });
    });
  });
}

// From the TypeScript sources the worker registers tsx's loader before importing its entry
// (Node 20 ignores `--import` in a worker's execArgv), as src/data/audio/featurize-pool.ts does.
function startWorker(request: WorkerRequest): Worker {
  const entry = new URL("./fuzz-worker.ts", import.meta.url);
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: request });
}

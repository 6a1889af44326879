import { parentPort, workerData } from "node:worker_threads";
import type { Runnable } from "./fuzz-target.js";
import type { WorkerReply, WorkerRequest } from "./run-fuzz.js";

// Runs fuzz targets one after another, saying before each case what it is, so that the thread
// that watches can name the input of a case that never returns.
const request = workerData as WorkerRequest;
const post = (reply: WorkerReply) => parentPort?.postMessage(reply);
const { FUZZ_TARGETS } = (await import(request.module)) as { FUZZ_TARGETS: readonly Runnable[] };
for (const name of request.targets) {
  const target = FUZZ_TARGETS.find((t) => t.name === name);
  if (target === undefined) throw new Error(`no fuzz target "${name}"`);
  const report = await target.check({ seed: request.seed, numRuns: request.numRuns, caseTimeoutMs: request.caseTimeoutMs, onCase: (input) => post({ type: "case", target: name, input }) });
  post({ type: "report", report });
}

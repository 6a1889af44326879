import { parentPort } from "node:worker_threads";
import type { UtteranceSpec } from "./plan.js";
import { type MadeUtterance, Synthesizers, makeUtterances } from "./render.js";

/** A batch of utterances to make and write under `dir`, or the end of the work. */
export type SynthWorkerRequest = { readonly kind: "jobs"; readonly dir: string; readonly jobs: readonly UtteranceSpec[] } | { readonly kind: "close" };

export type SynthWorkerReply = { readonly kind: "done"; readonly made: readonly MadeUtterance[] } | { readonly kind: "error"; readonly message: string };

const port = parentPort;
if (port === null) throw new Error("synth worker: not started as a worker thread");
// The engines load on first use, with the packages' own resolution (an injected loader cannot cross threads).
const synthesizers = new Synthesizers();

port.on("message", async (request: SynthWorkerRequest) => {
  if (request.kind === "close") {
    port.close();
    return;
  }
  const made: MadeUtterance[] = [];
  try {
    await makeUtterances(request.jobs, synthesizers, request.dir, (m) => made.push(m));
  } catch (e) {
    port.postMessage({ kind: "error", message: e instanceof Error ? e.message : String(e) } satisfies SynthWorkerReply);
    return;
  }
  port.postMessage({ kind: "done", made } satisfies SynthWorkerReply);
});

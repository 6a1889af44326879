/**
 * The playground's SimCLR step in Chromium's wasm (1 and 2 threads) against the same step in Node
 * on onnxruntime-node: `npx tsx bench/playground-speed.ts [--encoder small-cnn|mlp] [--steps N] [--batch N]`.
 * Not part of `npm test` or `npm run bench` (it builds the app and drives a browser). Each run is
 * the playground's own session (same seed, data, method defaults); seconds per step are taken
 * from the wall clock at every step after a warmup (see `secondsPerStep`).
 */
import { parseArgs } from "node:util";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeDigits } from "../playground/src/digits-format.js";
import { digitDataset, makeEncoder, playgroundMethods } from "../playground/src/session.js";
import { DEFAULT_SETTINGS, ENCODERS, type PlaygroundSettings } from "../playground/src/settings.js";
import { launchChromium, runInPage, secondsPerStep } from "../scripts/playground-browser.js";
import { buildPlayground, servePlayground } from "../scripts/playground-server.js";
import { pretrain } from "../src/methods/pretrain.js";
import type { Backend } from "../src/runtime/backend.js";
import { nodeBackend } from "../src/runtime/node-backend.js";
import { webBackend } from "../src/runtime/web-backend.js";

const { values } = parseArgs({ options: { encoder: { type: "string", default: "small-cnn" }, steps: { type: "string", default: "16" }, batch: { type: "string", default: "64" }, warmup: { type: "string", default: "4" } } });
const encoder = ENCODERS.find((e) => e === values.encoder);
if (encoder === undefined) throw new Error(`--encoder takes ${ENCODERS.join(" or ")}, got ${values.encoder}`);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const settings: PlaygroundSettings = { ...DEFAULT_SETTINGS, method: "simclr", encoder, steps, batchSize: Number(values.batch), evalPoints: 2, seed: 0 };

const dir = await buildPlayground();
const { url, server } = await servePlayground(dir, 0);
const browser = await launchChromium();
const rows: { where: string; seconds: number }[] = [];
try {
  for (const threads of [1, 2]) {
    const page = await browser.newPage();
    const run = await runInPage(page, url, { ...settings, threads });
    if (run.threads !== threads) throw new Error(`asked for ${threads} threads, the page ran ${run.threads}`);
    rows.push({ where: `Chromium wasm, ${threads} thread${threads === 1 ? "" : "s"}`, seconds: secondsPerStep(run.elapsed, warmup) });
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}

// The same step in Node: pretrain alone (no probes), on the same digits.
const digits = decodeDigits(await readFile(join(dir, "digits.bin")));
const simclr = playgroundMethods().find((m) => m.name === "simclr");
if (simclr === undefined) throw new Error("simclr is not in the registry");
async function nodeRun(backend: Backend, threads: number): Promise<number> {
  const elapsed: number[] = [];
  const result = await pretrain({
    method: simclr as NonNullable<typeof simclr>,
    encoder: makeEncoder(encoder as NonNullable<typeof encoder>, settings.seed),
    dataset: digitDataset(digits.train),
    batchSize: settings.batchSize,
    epochs: Number.POSITIVE_INFINITY,
    maxSteps: steps,
    seed: settings.seed,
    compile: { backend, threads },
    callbacks: [{ onStep: (e) => void elapsed.push(e.elapsedSeconds) }],
  });
  await result.step.release();
  return secondsPerStep(elapsed, warmup);
}
rows.push({ where: "Node, onnxruntime-node, 2 threads", seconds: await nodeRun(nodeBackend, 2) });
rows.push({ where: "Node, onnxruntime-node, 1 thread", seconds: await nodeRun(nodeBackend, 1) });
rows.push({ where: "Node, onnxruntime-web wasm, 1 thread", seconds: await nodeRun(webBackend, 1) });

const native = rows.find((r) => r.where.endsWith("onnxruntime-node, 2 threads"))?.seconds ?? Number.NaN;
console.log(`SimCLR step, ${encoder}, batch ${settings.batchSize} (two views each), ${steps} steps, warmup ${warmup}, ${new Date().toISOString().slice(0, 10)}`);
console.log("| where | ms/step | images/s | × onnxruntime-node (2 threads) |\n| --- | --- | --- | --- |");
for (const r of rows) console.log(`| ${r.where} | ${(r.seconds * 1000).toFixed(0)} | ${(settings.batchSize / r.seconds).toFixed(0)} | ${(r.seconds / native).toFixed(2)} |`);

import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runInProcess } from "../../cli/run-cli.js";
import type { CaseContext } from "../bad-input.js";

async function pretrain(argv: string[], dir: string): Promise<void> {
  const r = await runInProcess(["pretrain", ...argv, "--out", dir, "--quiet"]);
  if (r.code !== 0 || !existsSync(join(dir, "encoder.safetensors"))) throw new Error(`the good run failed (${r.code}): ${r.stderr}`);
}

/**
 * Finished tiny runs that run-folder cases copy and damage (never in place): an image run (64
 * digits, batches of 32, one epoch: two steps) with an evaluation, and a character language
 * model on a few lines of text. Made once per test file through the CLI in this process.
 */
export async function makeGoodRuns(root: string): Promise<CaseContext> {
  const goodRun = join(root, "image-run");
  await pretrain(["--method", "simclr", "--data", "mnist", "--limit", "64", "--batch-size", "32", "--epochs", "1", "--checkpoint-every", "1"], goodRun);
  const ev = await runInProcess(["eval", goodRun, "--baselines", "none", "--draws", "1", "--labels-per-class", "1", "--probes", "knn", "--limit", "100", "--quiet"]);
  if (ev.code !== 0) throw new Error(`the good run's eval failed (${ev.code}): ${ev.stderr}`);
  const corpus = join(root, "corpus.txt");
  writeFileSync(corpus, "the cat sat on the mat.\nthe dog sat on the log.\n".repeat(40));
  const goodTextRun = join(root, "text-run");
  await pretrain(["--method", "clm", "--data", corpus, "--tokenizer", "char", "--context", "16", "--d-model", "16", "--layers", "1", "--heads", "1", "--batch-size", "8", "--epochs", "1"], goodTextRun);
  return { goodRun, goodTextRun };
}

/**
 * pretext's gradient boosting (`gbdt` of `pretext eval --label-fractions`) on a split written by
 * scripts/table-splits.ts, timed, for a side-by-side with scripts/table-baselines.py's
 * HistGradientBoostingClassifier on the same rows and draws: per fraction, mean and population sd
 * of the test accuracy over the draws and the CPU and wall seconds of fitting and predicting all
 * of them (CPU time says more on a shared machine; the process is single-threaded either way).
 *
 *   npx tsx scripts/table-gbdt.ts /tmp/letter-split.json [--json]
 */
import { readFileSync } from "node:fs";
import { accuracy } from "../src/eval/accuracy.js";
import { predictGradientBoosting, trainGradientBoosting } from "../src/eval/gradient-boosting.js";
import { meanSd, takeLabels, takeRows } from "../src/eval/label-subsets.js";

interface Split {
  readonly name: string;
  readonly features: readonly string[];
  readonly classNames: readonly string[];
  readonly train: { readonly x: number[]; readonly y: number[] };
  readonly test: { readonly x: number[]; readonly y: number[] };
  readonly draws: Record<string, number[][]>;
}

const [file, ...flags] = process.argv.slice(2);
if (file === undefined) throw new Error("usage: table-gbdt.ts <split.json> [--json]");
const split = JSON.parse(readFileSync(file, "utf8")) as Split;
const dim = split.features.length;
const numClasses = split.classNames.length;
const x = Float32Array.from(split.train.x);
const y = Int32Array.from(split.train.y);
const xt = Float32Array.from(split.test.x);
const yt = Int32Array.from(split.test.y);
// Sorted: a JSON object lists the key "1" before "0.01" once parsed (integer-like keys come first).
for (const [fraction, draws] of Object.entries(split.draws).sort((a, b) => Number(a[0]) - Number(b[0]))) {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const scores = draws.map((draw) => {
    const indices = Int32Array.from(draw);
    const model = trainGradientBoosting(takeRows(x, dim, indices), dim, takeLabels(y, indices), numClasses);
    return accuracy(predictGradientBoosting(model, xt), yt);
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const { mean, sd } = meanSd(scores);
  const line = { encoder: "gbdt", label_fraction: Number(fraction), labels: (draws[0] as number[]).length, accuracy: mean, sd: scores.length > 1 ? sd : null, draws: scores.length, seconds, cpu_seconds: cpuSeconds };
  if (flags.includes("--json")) console.log(JSON.stringify(line));
  else console.log(`gbdt ${(100 * line.label_fraction).toFixed(0).padStart(5)}% (${String(line.labels).padStart(5)} rows)  ${(100 * mean).toFixed(1)}%${line.sd === null ? "" : ` ± ${(100 * sd).toFixed(1)}`}  ${cpuSeconds.toFixed(2)} s CPU (${seconds.toFixed(2)} s wall)`);
}

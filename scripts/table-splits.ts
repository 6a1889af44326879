/**
 * Writes a table benchmark's fixed split exactly as `pretext eval --data <name> --label-fractions`
 * sees it, for scripts/table-baselines.py: the encoded training and test rows (the encoding fitted
 * on the training rows), their class ids, and the stratified label draws of every fraction and seed.
 *
 *   npx tsx scripts/table-splits.ts letter /tmp/letter-split.json [--fractions 0.01,0.1,0.25,1] [--draws 5]
 */
import { writeFileSync } from "node:fs";
import { drawFraction } from "../src/cli/table-eval.js";
import { benchmarkSplit } from "../src/data/table/benchmarks.js";
import { rawFeatures } from "../src/eval/embed.js";

const [name, out, ...rest] = process.argv.slice(2);
if (name === undefined || out === undefined) throw new Error("usage: table-splits.ts <letter|credit-g> <out.json> [--fractions 0.01,0.1,0.25,1] [--draws 5]");
const option = (flag: string, fallback: string) => {
  const i = rest.indexOf(flag);
  return i >= 0 && rest[i + 1] !== undefined ? (rest[i + 1] as string) : fallback;
};
const fractions = option("--fractions", "0.01,0.1,0.25,1").split(",").map(Number);
const draws = Number(option("--draws", "5"));
const { train, test } = benchmarkSplit(name);
const numClasses = train.encoding.classNames?.length ?? 0;
const part = (d: typeof train) => ({ x: Array.from(rawFeatures(d).data), y: Array.from(d.labels as Int32Array) });
const drawn = Object.fromEntries(
  fractions.map((f) => [String(f), Array.from({ length: f === 1 ? 1 : draws }, (_, s) => Array.from(drawFraction(train.labels as Int32Array, f, s, numClasses)))]),
);
writeFileSync(out, JSON.stringify({ name, features: train.encoding.features, classNames: train.encoding.classNames, train: part(train), test: part(test), draws: drawn }));
console.error(`${out}: ${train.length} train / ${test.length} test rows, ${train.encoding.features.length} features, ${numClasses} classes`);

/**
 * Fine-tuning recipes for a pretrained table encoder against the same network from scratch, on
 * the label-fraction draws of `pretext eval --label-fractions` (same seeds, same rows): for each
 * recipe (a JSON object of `FinetuneOptions`, applied to both starts alike), the mean ± sd over
 * the draws, and the paired difference pretrained − scratch with its wins and t.
 *
 *   npx tsx scripts/table-finetune-trial.ts /tmp/tr/vime-letter --fractions 0.01,0.1 --draws 5 \
 *     --recipe 'base={}' --recipe 'lpft={"headInit":"linear-probe"}'
 *   (--only pretrained|scratch runs one side; one JSON line per recipe and fraction goes to stdout)
 *
 * --bootstrap B also resamples the test rows B times (seeded) and reports the sd of the mean paired
 * difference over the draws, pretrained − scratch and pretrained − the training rows' majority
 * class, and the share of resamples where it is ≤ 0: how much of a gap another test set of the
 * same size would keep (the paired t above holds the test rows fixed).
 */
import { drawFraction } from "../src/cli/table-eval.js";
import { loadData } from "../src/cli/data.js";
import { makeEncoder } from "../src/cli/encoder.js";
import { loadRunEncoder } from "../src/cli/run-encoder.js";
import { tableLoading } from "../src/cli/table-run.js";
import { type FinetuneOptions, finetune, trainFromScratch } from "../src/eval/finetune.js";
import { meanSd, subsetDataset } from "../src/eval/label-subsets.js";
import { Rng } from "../src/random/rng.js";

const [dir, ...rest] = process.argv.slice(2);
if (dir === undefined) throw new Error("usage: table-finetune-trial.ts <run-dir> [--fractions 0.01,0.1] [--draws 5] [--seed 0] --recipe name=json ...");
const option = (flag: string, fallback: string) => {
  const i = rest.indexOf(flag);
  return i >= 0 && rest[i + 1] !== undefined ? (rest[i + 1] as string) : fallback;
};
const fractions = option("--fractions", "0.01,0.1").split(",").map(Number);
const draws = Number(option("--draws", "5"));
const seed0 = Number(option("--seed", "0"));
const only = option("--only", "both");
const bootstrap = Number(option("--bootstrap", "0"));
const recipes = rest.flatMap((a, i) => (rest[i - 1] === "--recipe" ? [a] : [])).map((r) => {
  const eq = r.indexOf("=");
  return { name: r.slice(0, eq), options: JSON.parse(r.slice(eq + 1)) as FinetuneOptions };
});
if (recipes.length === 0) recipes.push({ name: "base", options: {} });

const { run, pretrain, encoder } = await loadRunEncoder(dir);
const loaded = await loadData(pretrain.data, pretrain.labels, { textColumn: null, ...tableLoading(run) });
const train = loaded.train;
const test = loaded.test;
if (test === null || train.labels === undefined) throw new Error(`${pretrain.data}: a benchmark with a fixed test split is needed`);
const numClasses = Math.max(train.numClasses ?? 0, test.numClasses ?? 0);
const build = (rng: Rng) => makeEncoder(pretrain.encoder, train.spec, rng);
const pct = (v: number) => (100 * v).toFixed(1);

for (const { name, options } of recipes) {
  for (const f of fractions) {
    const pre: number[] = [];
    const scr: number[] = [];
    const preRight: Uint8Array[] = [];
    const scrRight: Uint8Array[] = [];
    const preSteps: number[] = [];
    const scrSteps: number[] = [];
    const t0 = performance.now();
    for (let d = 0; d < draws; d++) {
      const seed = seed0 + d;
      const labelled = subsetDataset(train, drawFraction(train.labels, f, seed, numClasses));
      if (only !== "scratch") {
        const r = await finetune(encoder, labelled, test, { ...options, seed });
        pre.push(r.accuracy);
        preSteps.push(r.steps);
        preRight.push(Uint8Array.from(r.predictions, (p, i) => (p === (test.labels as Int32Array)[i] ? 1 : 0)));
      }
      if (only !== "pretrained") {
        const r = await trainFromScratch(build, labelled, test, { ...options, seed });
        scr.push(r.accuracy);
        scrSteps.push(r.steps);
        scrRight.push(Uint8Array.from(r.predictions, (p, i) => (p === (test.labels as Int32Array)[i] ? 1 : 0)));
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const diff = pre.length === scr.length ? pre.map((p, i) => p - (scr[i] as number)) : [];
    const stats = (xs: number[]) => (xs.length > 0 ? meanSd(xs) : { mean: Number.NaN, sd: Number.NaN });
    const a = stats(pre);
    const b = stats(scr);
    const dd = stats(diff);
    const t = diff.length > 1 && dd.sd > 0 ? (dd.mean / (dd.sd * Math.sqrt(diff.length / (diff.length - 1)))) * Math.sqrt(diff.length) : Number.NaN;
    const wins = diff.filter((x) => x > 0).length;
    console.error(
      `${pretrain.method} ${name} ${100 * f}%: pretrained ${pre.length ? `${pct(a.mean)} ± ${pct(a.sd)}` : "-"}  scratch ${scr.length ? `${pct(b.mean)} ± ${pct(b.sd)}` : "-"}` +
        (diff.length ? `  diff ${pct(dd.mean)} ± ${pct(dd.sd)} wins ${wins}/${diff.length} t ${t.toFixed(2)}` : "") +
        `  steps ${preSteps.join(",")} / ${scrSteps.join(",")}  (${seconds.toFixed(0)} s)`,
    );
    if (bootstrap > 0 && preRight.length > 0 && scrRight.length === preRight.length) console.error(`  ${resampled(preRight, scrRight, bootstrap)}`);
    console.log(JSON.stringify({ method: pretrain.method, recipe: name, options, fraction: f, pretrained: pre, scratch: scr, pretrainedSteps: preSteps, scratchSteps: scrSteps }));
  }
}

/** Test-row bootstrap of the mean over draws of pretrained − scratch and pretrained − majority class. */
function resampled(preRight: readonly Uint8Array[], scrRight: readonly Uint8Array[], rounds: number): string {
  const labels = test.labels as Int32Array;
  const counts = new Int32Array(numClasses);
  for (const y of train.labels as Int32Array) counts[y] = (counts[y] as number) + 1;
  const majority = counts.indexOf(Math.max(...counts));
  const n = labels.length;
  const rng = new Rng(12345);
  const vsScratch: number[] = [];
  const vsMajority: number[] = [];
  for (let b = 0; b < rounds; b++) {
    const rows = Array.from({ length: n }, () => Math.floor(rng.uniform() * n));
    const mean = (right: readonly Uint8Array[]) => right.reduce((t, r) => t + rows.reduce((h, i) => h + (r[i] as number), 0) / n, 0) / right.length;
    const p = mean(preRight);
    vsScratch.push(p - mean(scrRight));
    vsMajority.push(p - rows.filter((i) => labels[i] === majority).length / n);
  }
  const describe = (xs: number[]) => {
    const { mean, sd } = meanSd(xs);
    return `${pct(mean)} ± ${pct(sd)} (≤ 0 in ${((100 * xs.filter((x) => x <= 0).length) / xs.length).toFixed(1)}%)`;
  };
  return `test-row bootstrap ×${rounds}: pretrained − scratch ${describe(vsScratch)}; pretrained − majority class ${describe(vsMajority)}`;
}

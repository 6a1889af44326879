/**
 * Few labels on text: pretrain a text encoder on a corpus's texts without their labels, then probe
 * it with 1 and 10 labels per class (and all labels, and kNN) beside the same encoder untrained and
 * TF-IDF + logistic regression, on the same label draws.
 *
 *   npx tsx examples/text-few-labels.ts --data fortunes --method mlm --budgets 150,300,600 [--seed 0]
 *     [--context N] [--batch-size N] [--layers N] [--dropout P] [--lr X] [--draws 3]
 *
 * `--data` is fortunes (Debian's package) or sotu; the method's recipe (src/methods/recipes.ts) sets
 * the tokenizer, context, batch and transformer, as `pretext pretrain` does. One JSON line per
 * result, then a table.
 */
import type { Dataset } from "../src/data/dataset.js";
import { evaluation, methods, nn, text } from "../src/index.js";
import { Rng } from "../src/random/rng.js";
import { workerBackend } from "../src/runtime/worker-backend.js";

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const dataName = flag("data", "fortunes");
const methodName = flag("method", "mlm");
const budgets = flag("budgets", "150,300,600").split(",").map(Number);
const seed = Number(flag("seed", "0"));
const draws = Number(flag("draws", "3"));

const source = dataName === "sotu" ? text.sotu() : text.fortunes();
if (source.kind !== "documents" || source.test === null) throw new Error(`${dataName}: expected labeled documents with a test split`);
// The method's recipe, with any of its values given on the command line instead.
const base = methods.textRecipe(methodName);
const recipe = {
  ...base,
  context: Number(flag("context", String(base.context))),
  batchSize: Number(flag("batch-size", String(base.batchSize))),
  layers: Number(flag("layers", String(base.layers))),
  dropout: Number(flag("dropout", String(base.dropout))),
};
const learningRate = flag("lr", "");
const method = methods.methods[methodName];
if (method === undefined) throw new Error(`unknown method ${methodName}`);
const tokenizer = text.trainTokenizer(source, { kind: recipe.tokenizer, vocabSize: recipe.vocabSize });
const { train, test } = text.textDatasets(source, { tokenizer, length: recipe.context });
const numClasses = source.train.classNames?.length ?? 0;
const encoder = (s: number) =>
  new nn.TextTransformer(new Rng(s), { vocabSize: tokenizer.vocabSize, dModel: recipe.dModel, layers: recipe.layers, heads: recipe.heads, context: recipe.context, padId: 0, dropout: recipe.dropout });
const protocol = { perClass: [1, 10], draws, seed, linearAll: true };

interface Row {
  readonly encoder: string;
  readonly seconds: number | null;
  readonly l1: number;
  readonly l10: number;
  readonly all: number | null;
  readonly knn: number | null;
}
const rows: Row[] = [];
const add = (row: Row) => {
  rows.push(row);
  console.log(JSON.stringify({ data: dataName, ...row }));
};
const probe = async (name: string, e: nn.TextTransformer, seconds: number | null) => {
  const r = await evaluation.evaluateEncoder(e, { train, test: test as Dataset }, protocol);
  add({ encoder: name, seconds, l1: r.linearPerClass[0]?.accuracy.mean ?? Number.NaN, l10: r.linearPerClass[1]?.accuracy.mean ?? Number.NaN, all: r.linearAll?.accuracy ?? null, knn: r.knn });
};

const tfidf = evaluation.tfidfBaseline(source.train, source.test, numClasses, { perClass: protocol.perClass, draws, seed, includeAll: true });
add({ encoder: "tfidf", seconds: null, l1: tfidf.perClass[0]?.accuracy.mean ?? Number.NaN, l10: tfidf.perClass[1]?.accuracy.mean ?? Number.NaN, all: tfidf.all?.accuracy ?? null, knn: null });
// The untrained encoder: seed + 1, so it is not the pretrained encoders' starting point.
await probe("untrained", encoder(seed + 1), null);
for (const budget of budgets) {
  const e = encoder(seed);
  const r = await methods.pretrain({
    method,
    ...(learningRate === "" ? {} : { methodOptions: { learningRate: Number(learningRate) } }),
    encoder: e,
    dataset: train,
    batchSize: recipe.batchSize,
    epochs: Number.POSITIVE_INFINITY,
    timeBudgetSeconds: budget,
    seed,
    tokenizer,
    compile: { backend: workerBackend },
  });
  await r.step.release();
  await probe(`${methodName} ${budget}s`, e, r.fit.elapsedSeconds);
}

const pct = (x: number | null) => (x === null ? "—" : (100 * x).toFixed(1));
console.log(`\n${dataName}: ${train.length} train / ${test?.length} test texts, ${numClasses} classes, ${draws} label draws`);
console.log("encoder            1/class  10/class  all     kNN");
for (const r of rows) console.log(`${r.encoder.padEnd(18)} ${pct(r.l1).padStart(7)}  ${pct(r.l10).padStart(8)}  ${pct(r.all).padStart(6)}  ${pct(r.knn).padStart(5)}`);

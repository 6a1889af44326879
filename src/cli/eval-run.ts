import { ArrayDataset, type Dataset } from "../data/dataset.js";
import { MNIST_ANCHOR_DRAWS } from "../data/image/mnist-anchor-draws.js";
import { type Modality, describeSpec, sameSpec } from "../data/sample.js";
import type { LabeledTexts } from "../data/text/text-source.js";
import { rawFeatures, releaseEmbeddings } from "../eval/embed.js";
import type { LabelDraws } from "../eval/label-subsets.js";
import { mnistAnchorLabelDraws } from "../eval/mnist-anchor-draws.js";
import { type EvaluationResult, type ProtocolOptions, baselines, evaluateEmbeddings, evaluateEncoder, finetunePerClass } from "../eval/protocol.js";
import { tfidfBaseline } from "../eval/tfidf-baseline.js";
import type { Encoder } from "../methods/method.js";
import { Rng } from "../random/rng.js";
import type { BaselineName, EncoderName, EvalConfig, ProbeName } from "./config.js";
import { BUNDLED_MNIST, type LoadedData, limitDataset, loadData } from "./data.js";
import { writeEmbeddings } from "./embed.js";
import { type TextEncoderSettings, makeEncoder } from "./encoder.js";
import { CliError } from "./errors.js";
import { perplexityLine } from "./eval-perplexity.js";
import { finetuneRecipe } from "./finetune-recipe.js";
import type { RunFolder } from "./run-folder.js";
import { type TextLoading, runTokenizer } from "./text-data.js";
import { writeTextExamples } from "./text-examples.js";
import { writeAudioExamples } from "./audio-examples.js";
import { audioLoading, readRunAudio } from "./audio-run.js";
import { dtwLines, mfccBaseline } from "./audio-baselines.js";
import { TABLE_BASELINES, TABLE_PROBES, fractionLines } from "./table-eval.js";
import { tableLoading } from "./table-run.js";
import { reconstructsFeatures, writeVimeReconstruction } from "./table-reconstruction.js";

/** One `metrics.jsonl` evaluation line (and one `eval --json` line). */
export interface EvalLine {
  readonly type: "eval";
  /** The method's name, or a baseline: "random", "raw_pixels" (or "raw_features" for tables), "tfidf", "supervised". */
  readonly encoder: string;
  readonly probe: string;
  /** A count, or "all" for every train label. */
  readonly labels_per_class: number | "all" | null;
  readonly accuracy: number | null;
  readonly sd: number | null;
  readonly nmi?: number;
  readonly ari?: number;
  /** The perplexity probe's scores on held-out text. */
  readonly nats_per_token?: number;
  readonly perplexity?: number;
  readonly bits_per_byte?: number;
  /** Tables' label-fraction protocol: the share of the training rows labelled, and how many rows that was. */
  readonly label_fraction?: number;
  readonly labels?: number;
  readonly accuracies?: readonly number[];
}

export interface EvaluateRunOptions {
  readonly run: RunFolder;
  readonly methodName: string;
  readonly encoder: Encoder;
  readonly evalConfig: EvalConfig;
  readonly dataSpec: string;
  readonly labels: string | null;
  readonly textColumn?: string | null;
  readonly encoderName: EncoderName;
  /** A text encoder's settings (its vocabulary and context), null otherwise. */
  readonly text: TextEncoderSettings | null;
  /** The weights of the method's heads that go with the encoder (default the run's heads.safetensors). */
  readonly headsPath?: string;
  readonly seed: number;
  /** Use this many evenly spaced labelled train samples (null: all). */
  readonly limit?: number | null;
  readonly log: (line: string) => void;
}

/** The probes to run: the config's, or by the data: perplexity for a text corpus (unlabeled), else the classification probes. */
function probesFor(c: EvalConfig, corpus: boolean): readonly ProbeName[] {
  return c.probes ?? (corpus ? ["perplexity"] : c.labelFractions !== null ? TABLE_PROBES : ["linear", "knn", "kmeans"]);
}

/** The baselines to run: the config's, or by modality. */
function baselinesFor(c: EvalConfig, modality: Modality): readonly BaselineName[] {
  return c.baselines ?? (modality === "text" ? ["random", "tfidf"] : modality === "audio" ? ["random", "mfcc", "dtw"] : ["random", "raw_pixels"]);
}

/**
 * Runs the protocol on a run's encoder and the chosen baselines, writes the results to
 * metrics.jsonl (replacing an earlier evaluation's) and the test embeddings to
 * embeddings.safetensors, and returns the result lines.
 */
export async function evaluateRun(o: EvaluateRunOptions): Promise<EvalLine[]> {
  const c = o.evalConfig;
  const text = o.text;
  const textLoading = text === null ? undefined : { tokenizer: runTokenizer(o.run), length: text.context };
  const loaded = await loadData(o.dataSpec, o.labels, { textColumn: o.textColumn ?? null, ...(textLoading === undefined ? {} : { text: textLoading }), ...audioLoading(o.run), ...tableLoading(o.run) });
  const corpus = loaded.text?.source.kind === "corpus";
  const probes = probesFor(c, corpus);
  const lines: EvalLine[] = [];
  if (probes.includes("perplexity")) {
    if (text === null || loaded.text === null) throw new CliError("--probes perplexity scores a language model; this run is not a text run");
    lines.push(await perplexityLine({ ...o, text, source: loaded.text.source, tokenizer: loaded.text.tokenizer, log: o.log, ...(o.headsPath === undefined ? {} : { headsPath: o.headsPath }) }));
  }
  const classification = probes.filter((p) => p !== "perplexity");
  if (classification.length > 0) lines.push(...(await classificationLines(o, loaded, { ...c, probes: classification }, textLoading)));
  o.run.dropEvalMetrics();
  o.run.appendMetrics(lines);
  return lines;
}

/** The linear probe, kNN and k-means on the encoder and the baselines; test embeddings saved for the report. */
async function classificationLines(o: EvaluateRunOptions, loaded: LoadedData, c: EvalConfig & { probes: readonly ProbeName[] }, textLoading?: TextLoading): Promise<EvalLine[]> {
  const data = await evalData(o.dataSpec, loaded, c, o.limit ?? null, textLoading, o.run);
  const { spec } = data.train;
  if (spec.modality === "table" && reconstructsFeatures(o.methodName)) await writeVimeReconstruction(o.run, o.encoder, o.headsPath ?? o.run.headsPath, data.train, data.test, o.seed);
  if (c.labelFractions !== null) {
    if (spec.modality !== "table") throw new CliError(`--label-fractions is the tables' protocol; this run's data is ${spec.modality} (use --labels-per-class)`);
    const build = (rng: Rng) => makeEncoder(o.encoderName, spec, rng);
    const protocol = { fractions: c.labelFractions, draws: c.draws, seed: c.seed, probes: c.probes, baselines: c.baselines ?? TABLE_BASELINES };
    const lines = await fractionLines(o.methodName, o.encoder, build, o.seed + 1, data, protocol, o.log);
    await writeEmbeddings(o.run.embeddingsPath, o.encoder, data.test, { images: false });
    await releaseEmbeddings(o.encoder);
    return lines;
  }
  const linear = c.probes.includes("linear");
  const smallest = smallestClass(data.trainLabels, data.numClasses, data.train.classNames);
  const tooMany = c.labelsPerClass.filter((k) => k > smallest.count);
  const finetuned = c.probes.includes("finetune");
  const fewLabels = linear || finetuned ? c.labelsPerClass.filter((k) => k > 0 && k <= smallest.count) : [];
  if (finetuned && fewLabels.length === 0) throw new CliError(`--probes finetune fine-tunes on a few labels per class: give --labels-per-class a count, e.g. 10 (now ${c.labelsPerClass.map((k) => (k === 0 ? "all" : k)).join(",")})`);
  const labelDraws = c.labelDraws === "anchor" ? { labelDraws: [anchorDraws(o.dataSpec, c, fewLabels, o.limit ?? null)] } : {};
  const perClass = linear ? fewLabels : [];
  const protocol: ProtocolOptions = { perClass, draws: c.draws, seed: c.seed, linearAll: linear && c.labelsPerClass.includes(0), knnAll: c.probes.includes("knn"), clustering: c.probes.includes("kmeans"), ...labelDraws };
  // After the draws are checked (an impossible request is an error, not a note).
  if ((linear || finetuned) && tooMany.length > 0) o.log(`skipping ${tooMany.join(", ")} labels per class: class ${smallest.name} has only ${smallest.count} labelled examples`);
  const unit = spec.modality === "text" ? "texts" : spec.modality === "table" ? "rows" : spec.modality === "audio" ? "clips" : "images";
  const lines: EvalLine[] = [];
  o.log(`evaluating ${o.methodName} on ${data.train.length} labelled / ${data.test.length} test ${unit}…`);
  lines.push(...resultLines(o.methodName, await evaluateEncoder(o.encoder, data, protocol)));
  if (finetuned) {
    o.log(`fine-tuning ${o.methodName} on ${fewLabels.join(", ")} labels per class (${c.draws} draw${c.draws === 1 ? "" : "s"})…`);
    const tuned = await finetunePerClass(o.encoder, data, { perClass: fewLabels, draws: c.draws, seed: c.seed, ...labelDraws, finetune: finetuneRecipe(spec.modality) });
    for (const p of tuned) lines.push({ type: "eval", encoder: o.methodName, probe: "finetune", labels_per_class: p.perClass, accuracy: p.accuracy.mean, sd: p.accuracy.sd });
  }
  const wanted = baselinesFor(c, spec.modality);
  if (wanted.includes("raw_pixels") && spec.modality === "text") throw new CliError("--baselines raw_pixels: token ids are not features; text's raw baseline is tfidf");
  if (wanted.includes("tfidf") && spec.modality !== "text") throw new CliError("--baselines tfidf is a text baseline; this run's data is " + spec.modality);
  for (const b of ["mfcc", "dtw"] as const) if (wanted.includes(b) && spec.modality !== "audio") throw new CliError(`--baselines ${b} is an audio baseline; this run's data is ${spec.modality}`);
  if (wanted.length > 0) o.log(`baselines: ${wanted.join(", ")}…`);
  const rawName = spec.modality === "table" ? "raw_features" : "raw_pixels";
  const build = (rng: Rng) => makeEncoder(o.encoderName, spec, rng, o.text ?? undefined);
  // The random encoder gets its own seed, so it is not the pretrained encoder's starting point.
  const randomSeed = o.seed + 1;
  if (wanted.includes("supervised")) {
    // `baselines` trains the supervised networks; it evaluates raw features and the random encoder on the way.
    const b = await baselines(data, {
      ...protocol,
      makeEncoder: build,
      encoderSeed: randomSeed,
      rawFeatures: spec.modality !== "text",
      // The anchor's recipe: the fine-tune probe's LP-FT and slow encoder rate would handicap a random start.
      supervised: { perClass: fewLabels, draws: c.draws },
    });
    if (wanted.includes("random")) lines.push(...resultLines("random", b.randomEncoder));
    if (wanted.includes("raw_pixels") && b.rawFeatures !== null) lines.push(...resultLines(rawName, b.rawFeatures));
    for (const s of b.supervised) {
      lines.push({ type: "eval", encoder: "supervised", probe: "finetune", labels_per_class: s.perClass, accuracy: s.accuracy.mean, sd: s.accuracy.sd });
    }
  } else {
    if (wanted.includes("random")) {
      const random = build(new Rng(randomSeed));
      lines.push(...resultLines("random", await evaluateEncoder(random, data, protocol)));
      await releaseEmbeddings(random);
    }
    if (wanted.includes("raw_pixels")) {
      const [train, test] = [rawFeatures(data.train), rawFeatures(data.test)];
      lines.push(...resultLines(rawName, await evaluateEmbeddings(train, test, data.trainLabels, data.testLabels, data.numClasses, protocol)));
    }
  }
  if (wanted.includes("tfidf")) lines.push(...tfidfLines(data.texts, data.numClasses, protocol, c));
  const audio = readRunAudio(o.run);
  if (audio !== null && wanted.includes("mfcc")) lines.push(...resultLines("mfcc", await mfccBaseline(data.train, data.test, data.trainLabels, data.testLabels, data.numClasses, audio.stats, protocol)));
  if (audio !== null && wanted.includes("dtw") && linear) {
    const r = await dtwLines(data.train, data.test, data.trainLabels, data.testLabels, data.numClasses, audio.stats, { ...protocol, draws: c.draws, seed: c.seed });
    for (const p of r.perClass) lines.push({ type: "eval", encoder: "dtw", probe: "1nn", labels_per_class: p.perClass, accuracy: p.accuracy.mean, sd: p.accuracy.sd });
    if (r.all !== null) lines.push({ type: "eval", encoder: "dtw", probe: "1nn", labels_per_class: "all", accuracy: r.all, sd: null });
  }
  await writeEmbeddings(o.run.embeddingsPath, o.encoder, data.test, { images: true });
  if (data.testPaths !== null) await writeAudioExamples(o.run, o.encoder, data.test, data.testPaths, data.test.classNames);
  if (data.texts !== null && loaded.text !== null) await writeTextExamples(o.run, o.methodName, o.encoder, data.test, data.texts.test, loaded.text.tokenizer, o.headsPath ?? o.run.headsPath);
  await releaseEmbeddings(o.encoder);
  return lines;
}

interface EvalData {
  readonly train: Dataset;
  readonly test: Dataset;
  readonly trainLabels: Int32Array;
  readonly testLabels: Int32Array;
  readonly numClasses: number;
  /** For text: the documents behind train and test, for the TF-IDF baseline. */
  readonly texts: { readonly train: LabeledTexts; readonly test: LabeledTexts } | null;
  /** For audio: the test clips' files, in index order, for the report's clips to listen to. */
  readonly testPaths: readonly string[] | null;
}

/** The labelled train pool and the test set of an evaluation. */
async function evalData(spec: string, loaded: LoadedData, c: EvalConfig, limit: number | null, textLoading: TextLoading | undefined, run: RunFolder): Promise<EvalData> {
  if (loaded.text?.source.kind === "corpus") throw new CliError(`${spec} is a running text without labels; the classification probes need labeled documents (or use --probes perplexity)`);
  const train = limitDataset(loaded.train, limit);
  let test: Dataset | null = loaded.test;
  let testTexts = loaded.text?.source.kind === "documents" ? loaded.text.source.test : null;
  let testPaths: readonly string[] | null = null;
  if (c.testData !== null) {
    const given = await loadData(c.testData, c.testLabels, { flag: "--test-data", ...(textLoading === undefined ? {} : { text: textLoading }), ...audioLoading(run), ...tableLoading(run) });
    test = given.train;
    if (given.audio !== undefined) test = alignedFieldClasses(given.train, train.classNames, c.testData);
    testPaths = given.audio?.paths ?? null;
    if (given.text !== null) {
      if (given.text.source.kind !== "documents") throw new CliError(`--test-data ${c.testData} is a running text; give labeled documents (.jsonl, a CSV text column, class folders)`);
      ({ dataset: test, texts: testTexts } = alignedClasses(given.train, given.text.source.train, train.classNames, c.testData));
    }
  }
  if (test === null) throw new CliError(`${spec} has no fixed test split (only the bundled ${BUNDLED_MNIST}, fashion-mnist, fortunes and sotu do); give --test-data <spec> (with --test-labels <file> for an IDX file)`);
  const trainLabels = train.labels;
  const testLabels = test.labels;
  if (trainLabels === undefined) throw new CliError(`${spec} has no labels; give --labels <file> (the probes need labels)`);
  if (testLabels === undefined) throw new CliError(`${c.testData ?? spec} has no labels; give --test-labels <file>`);
  if (!sameSpec(train.spec, test.spec)) {
    throw new CliError(`train samples are ${describeSpec(train.spec)} but test samples are ${describeSpec(test.spec)}; give test data of the same kind and shape`);
  }
  const numClasses = Math.max(train.numClasses ?? 0, test.numClasses ?? 0);
  const source = loaded.text?.source;
  const texts = source?.kind === "documents" && testTexts !== null && limit === null ? { train: source.train, test: testTexts } : null;
  return { train, test, trainLabels: train.labels ?? trainLabels, testLabels: test.labels ?? testLabels, numClasses, texts, testPaths };
}

/**
 * Given test documents with their class ids renumbered to the train set's class names (each file
 * numbers the labels it has, sorted), so the probes compare like with like; a test class the
 * train set lacks is an error naming it.
 */
function alignedClasses(test: Dataset, texts: LabeledTexts, trainNames: readonly string[] | undefined, file: string): { dataset: Dataset; texts: LabeledTexts } {
  const names = texts.classNames;
  if (names === undefined || texts.labels === undefined || trainNames === undefined || !(test instanceof ArrayDataset)) return { dataset: test, texts };
  const ids = names.map((n) => {
    const id = trainNames.indexOf(n);
    if (id < 0) throw new CliError(`--test-data ${file}: class "${n}" is not among the training data's (${trainNames.join(", ")})`);
    return id;
  });
  const labels = Int32Array.from(texts.labels, (y) => ids[y] as number);
  const dataset = new ArrayDataset({ spec: test.spec, fields: { tokens: test.toArray("tokens") }, labels, classNames: trainNames, numClasses: trainNames.length });
  return { dataset, texts: { texts: texts.texts, labels, classNames: trainNames } };
}

/**
 * Given test samples (of any modality held in arrays) with their class ids renumbered to the train
 * set's class names, as `alignedClasses` does for documents: two folders of class subfolders each
 * number the classes they have, so a test folder missing a class would shift every id after it.
 */
function alignedFieldClasses(test: Dataset, trainNames: readonly string[] | undefined, file: string): Dataset {
  const names = test.classNames;
  if (names === undefined || test.labels === undefined || trainNames === undefined || !(test instanceof ArrayDataset)) return test;
  const ids = names.map((n) => {
    const id = trainNames.indexOf(n);
    if (id < 0) throw new CliError(`--test-data ${file}: class "${n}" is not among the training data's (${trainNames.join(", ")})`);
    return id;
  });
  if (ids.every((id, i) => id === i) && names.length === trainNames.length) return test;
  const fields = Object.fromEntries(Object.keys(test.spec.fields).map((f) => [f, test.toArray(f)]));
  return new ArrayDataset({ spec: test.spec, fields, labels: Int32Array.from(test.labels, (y) => ids[y] as number), classNames: trainNames, numClasses: trainNames.length });
}

/** The class with the fewest labelled examples, by name when it has one. */
function smallestClass(labels: Int32Array, numClasses: number, names?: readonly string[]): { name: string; count: number } {
  const counts = new Array<number>(numClasses).fill(0);
  for (const y of labels) counts[y] = (counts[y] ?? 0) + 1;
  let k = 0;
  for (let c = 1; c < numClasses; c++) if ((counts[c] as number) < (counts[k] as number)) k = c;
  return { name: names?.[k] ?? String(k), count: counts[k] ?? 0 };
}

/** TF-IDF + logistic regression on the same label subsets as the probes. */
function tfidfLines(texts: EvalData["texts"], numClasses: number, protocol: ProtocolOptions, c: EvalConfig & { probes: readonly ProbeName[] }): EvalLine[] {
  if (texts === null) throw new CliError("--baselines tfidf needs the documents of a fixed split, in full (drop --limit)");
  if (!c.probes.includes("linear")) return [];
  const r = tfidfBaseline(texts.train, texts.test, numClasses, { perClass: protocol.perClass ?? [], draws: c.draws, seed: c.seed, includeAll: protocol.linearAll === true });
  const out: EvalLine[] = r.perClass.map((p) => ({ type: "eval", encoder: "tfidf", probe: "linear", labels_per_class: p.perClass, accuracy: p.accuracy.mean, sd: p.accuracy.sd }));
  if (r.all !== null) out.push({ type: "eval", encoder: "tfidf", probe: "linear", labels_per_class: "all", accuracy: r.all.accuracy, sd: null });
  return out;
}

/** The PyTorch anchor's 10-per-class draws, when the evaluation runs on the split they were drawn from. */
function anchorDraws(dataSpec: string, c: EvalConfig, perClass: readonly number[], limit: number | null): LabelDraws {
  const from = MNIST_ANCHOR_DRAWS.perClass;
  if (dataSpec !== BUNDLED_MNIST || c.testData !== null) {
    throw new CliError(`--label-draws anchor: the anchor's draws are digits of the bundled ${BUNDLED_MNIST}'s fixed split, but the probes train on ${dataSpec}${c.testData === null ? "" : ` and test on ${c.testData}`}; use --label-draws seeded`);
  }
  if (limit !== null) throw new CliError("--label-draws anchor needs every train digit; drop --limit");
  if (!perClass.includes(from)) throw new CliError(`--label-draws anchor: the anchor drew ${from} labels per class; add ${from} to --labels-per-class (now ${perClass.join(",") || "none"})`);
  return mnistAnchorLabelDraws();
}

/** The eval lines of one result: the probes it ran (the protocol left out those not asked for). */
function resultLines(encoder: string, r: EvaluationResult): EvalLine[] {
  const out: EvalLine[] = [];
  for (const p of r.linearPerClass) out.push({ type: "eval", encoder, probe: "linear", labels_per_class: p.perClass, accuracy: p.accuracy.mean, sd: p.accuracy.sd });
  if (r.linearAll !== null) out.push({ type: "eval", encoder, probe: "linear", labels_per_class: "all", accuracy: r.linearAll.accuracy, sd: null });
  if (r.knn !== null) out.push({ type: "eval", encoder, probe: "knn", labels_per_class: "all", accuracy: r.knn, sd: null });
  if (r.clustering !== null) out.push({ type: "eval", encoder, probe: "kmeans", labels_per_class: null, accuracy: null, sd: null, nmi: r.clustering.nmi, ari: r.clustering.ari });
  return out;
}

import { Command, Option } from "commander";
import type { Dataset } from "../data/dataset.js";
import { describeSpec, sameSpec } from "../data/sample.js";
import { MNIST_ANCHOR_DRAWS } from "../data/image/mnist-anchor-draws.js";
import { rawFeatures, releaseEmbeddings } from "../eval/embed.js";
import type { LabelDraws } from "../eval/label-subsets.js";
import { mnistAnchorLabelDraws } from "../eval/mnist-anchor-draws.js";
import { type EvaluationResult, type ProtocolOptions, baselines, evaluateEmbeddings, evaluateEncoder } from "../eval/protocol.js";
import type { Encoder } from "../methods/method.js";
import { Rng } from "../random/rng.js";
import { countListArg, nameListArg, nonNegativeIntArg, positiveIntArg } from "./args.js";
import { BASELINES, type ConfigObject, type ConfigValue, type EncoderName, type EvalConfig, LABEL_DRAWS, PROBES, readConfigFile, resolveEval } from "./config.js";
import { BUNDLED_MNIST, limitDataset, loadData } from "./data.js";
import { writeEmbeddings } from "./embed.js";
import { makeEncoder } from "./encoder.js";
import { CliError, ExitCode, type ExitCodeValue } from "./errors.js";
import type { Io } from "./progress.js";
import { loadRunEncoder, savedSection } from "./run-encoder.js";
import type { RunFolder } from "./run-folder.js";

/** One `metrics.jsonl` evaluation line (and one `eval --json` line). */
export interface EvalLine {
  readonly type: "eval";
  /** The method's name, or a baseline: "random", "raw_pixels", "supervised". */
  readonly encoder: string;
  readonly probe: string;
  /** A count, or "all" for every train label. */
  readonly labels_per_class: number | "all" | null;
  readonly accuracy: number | null;
  readonly sd: number | null;
  readonly nmi?: number;
  readonly ari?: number;
}

interface EvalFlags {
  readonly data?: string;
  readonly labels?: string;
  readonly testData?: string;
  readonly testLabels?: string;
  readonly labelsPerClass?: number[];
  readonly probes?: string[];
  readonly draws?: number;
  readonly labelDraws?: string;
  readonly baselines?: string[];
  readonly seed?: number;
  readonly config?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly limit?: number;
}

export function evalCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("eval")
    .description("evaluate a run's encoder: linear probe with few labels, kNN, k-means; beside the baselines")
    .argument("<run-dir>", "a run folder written by `pretext pretrain`")
    .option("--data <spec>", "labelled training data for the probes (default: the run's data)")
    .option("--labels <file>", "labels of --data")
    .option("--test-data <spec>", "held-out test data (required unless the data is the bundled mnist)")
    .option("--test-labels <file>", "labels of --test-data")
    .option("--labels-per-class <list>", "label budgets of the linear probe, e.g. 1,10,100 (all = every label)", countListArg)
    .option("--probes <list>", `probes to run: ${PROBES.join(",")}`, nameListArg(PROBES))
    .option("--draws <n>", "random label subsets per budget (default 3)", positiveIntArg)
    .addOption(
      new Option("--label-draws <which>", "the 10-per-class budget's subsets: seeded, or the PyTorch anchor's own 5 (bundled mnist only)").choices(LABEL_DRAWS),
    )
    .option("--baselines <list>", `baselines: ${BASELINES.join(",")} or none (default random,raw_pixels)`, (v: string) => (v === "none" ? [] : nameListArg(BASELINES)(v)))
    .option("--seed <n>", "seeds the label draws (default 0)", nonNegativeIntArg)
    .option("--config <file>", "a .json or .yaml file whose eval section sets these options")
    .option("--json", "print one JSON object per result line")
    .option("--quiet", "print nothing but errors")
    .addOption(new Option("--limit <n>", "use N evenly spaced labelled train images (quick checks)").argParser(positiveIntArg).hideHelp())
    .addHelpText("after", "\nExamples:\n  pretext eval runs/simclr\n  pretext eval runs/simclr --labels-per-class 1,10 --probes linear,knn --json")
    .action(async (dir: string, flags: EvalFlags) => {
      const { run, config, encoder } = await loadRunEncoder(dir);
      const layer: ConfigObject = {};
      const set = (k: string, v: ConfigValue | undefined) => {
        if (v !== undefined) layer[k] = v;
      };
      set("data", flags.data);
      set("labels", flags.labels);
      set("testData", flags.testData);
      set("testLabels", flags.testLabels);
      set("labelsPerClass", flags.labelsPerClass);
      set("probes", flags.probes);
      set("draws", flags.draws);
      set("labelDraws", flags.labelDraws);
      set("baselines", flags.baselines);
      set("seed", flags.seed);
      const file = flags.config === undefined ? savedSection(run, "eval") : (await readConfigFile(flags.config)).eval;
      const evalConfig = resolveEval(file, layer, flags.config ?? run.configPath);
      const lines = await evaluateRun({
        run,
        methodName: config.pretrain.method,
        encoder,
        evalConfig,
        dataSpec: evalConfig.data ?? config.pretrain.data,
        labels: evalConfig.data === null ? config.pretrain.labels : evalConfig.labels,
        encoderName: config.pretrain.encoder,
        seed: config.pretrain.seed,
        limit: flags.limit ?? null,
        log: flags.quiet || flags.json ? () => {} : (s) => io.stderr.write(`${s}\n`),
      });
      if (flags.json) for (const l of lines) io.stdout.write(`${JSON.stringify(l)}\n`);
      else if (!flags.quiet) io.stdout.write(formatEvalTable(lines));
      done(ExitCode.ok);
    });
}

export interface EvaluateRunOptions {
  readonly run: RunFolder;
  readonly methodName: string;
  readonly encoder: Encoder;
  readonly evalConfig: EvalConfig;
  readonly dataSpec: string;
  readonly labels: string | null;
  readonly encoderName: EncoderName;
  readonly seed: number;
  /** Use this many evenly spaced labelled train images (null: all). */
  readonly limit?: number | null;
  readonly log: (line: string) => void;
}

/** The labelled train pool and the test set of an evaluation. */
async function evalData(
  spec: string,
  labels: string | null,
  c: EvalConfig,
  limit: number | null,
): Promise<{ train: Dataset; test: Dataset; trainLabels: Int32Array; testLabels: Int32Array; numClasses: number }> {
  const loaded = await loadData(spec, labels);
  const data = { train: limitDataset(loaded.train, limit), test: loaded.test };
  let test: Dataset | null = data.test;
  if (c.testData !== null) test = (await loadData(c.testData, c.testLabels, "--test-data")).train;
  if (test === null) throw new CliError(`${spec} has no fixed test split (only the bundled ${BUNDLED_MNIST} does); give --test-data <spec> (with --test-labels <file> for an IDX file)`);
  const trainLabels = data.train.labels;
  const testLabels = test.labels;
  if (trainLabels === undefined) throw new CliError(`${spec} has no labels; give --labels <file> (the probes need labels)`);
  if (testLabels === undefined) throw new CliError(`${c.testData ?? spec} has no labels; give --test-labels <file>`);
  if (!sameSpec(data.train.spec, test.spec)) {
    throw new CliError(`train samples are ${describeSpec(data.train.spec)} but test samples are ${describeSpec(test.spec)}; give test data of the same kind and shape`);
  }
  const numClasses = Math.max(data.train.numClasses ?? 0, test.numClasses ?? 0);
  return { train: data.train, test, trainLabels, testLabels, numClasses };
}

/**
 * Runs the protocol on a run's encoder and the chosen baselines, writes the results to
 * metrics.jsonl (replacing an earlier evaluation's) and the test embeddings to
 * embeddings.safetensors, and returns the result lines.
 */
export async function evaluateRun(o: EvaluateRunOptions): Promise<EvalLine[]> {
  const c = o.evalConfig;
  const data = await evalData(o.dataSpec, o.labels, c, o.limit ?? null);
  const linear = c.probes.includes("linear");
  const perClass = linear ? c.labelsPerClass.filter((k) => k > 0) : [];
  const protocol: ProtocolOptions = {
    perClass,
    draws: c.draws,
    seed: c.seed,
    linearAll: linear && c.labelsPerClass.includes(0),
    ...(c.labelDraws === "anchor" ? { labelDraws: [anchorDraws(o.dataSpec, c, perClass, o.limit ?? null)] } : {}),
  };
  const lines: EvalLine[] = [];
  o.log(`evaluating ${o.methodName} on ${data.train.length} labelled / ${data.test.length} test images…`);
  lines.push(...resultLines(o.methodName, await evaluateEncoder(o.encoder, data, protocol), c));
  const wanted = c.baselines;
  if (wanted.length > 0) o.log(`baselines: ${wanted.join(", ")}…`);
  const { spec } = data.train;
  // The random encoder gets its own seed, so it is not the pretrained encoder's starting point.
  const randomSeed = o.seed + 1;
  if (wanted.includes("supervised")) {
    // `baselines` trains the supervised networks; it evaluates raw pixels and the random encoder on the way.
    const b = await baselines(data, {
      ...protocol,
      makeEncoder: (rng: Rng) => makeEncoder(o.encoderName, spec, rng),
      encoderSeed: randomSeed,
      supervised: { perClass: c.labelsPerClass.filter((k) => k > 0), draws: c.draws },
    });
    if (wanted.includes("random")) lines.push(...resultLines("random", b.randomEncoder, c));
    if (wanted.includes("raw_pixels")) lines.push(...resultLines("raw_pixels", b.rawFeatures, c));
    for (const s of b.supervised) {
      lines.push({ type: "eval", encoder: "supervised", probe: "finetune", labels_per_class: s.perClass, accuracy: s.accuracy.mean, sd: s.accuracy.sd });
    }
  } else {
    if (wanted.includes("random")) {
      const random = makeEncoder(o.encoderName, spec, new Rng(randomSeed));
      lines.push(...resultLines("random", await evaluateEncoder(random, data, protocol), c));
      await releaseEmbeddings(random);
    }
    if (wanted.includes("raw_pixels")) {
      const [train, test] = [rawFeatures(data.train), rawFeatures(data.test)];
      lines.push(...resultLines("raw_pixels", await evaluateEmbeddings(train, test, data.trainLabels, data.testLabels, data.numClasses, protocol), c));
    }
  }
  await writeEmbeddings(o.run.embeddingsPath, o.encoder, data.test, { images: true });
  await releaseEmbeddings(o.encoder);
  o.run.dropEvalMetrics();
  o.run.appendMetrics(lines);
  return lines;
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

function resultLines(encoder: string, r: EvaluationResult, c: EvalConfig): EvalLine[] {
  const out: EvalLine[] = [];
  for (const p of r.linearPerClass) out.push({ type: "eval", encoder, probe: "linear", labels_per_class: p.perClass, accuracy: p.accuracy.mean, sd: p.accuracy.sd });
  if (r.linearAll !== null) out.push({ type: "eval", encoder, probe: "linear", labels_per_class: "all", accuracy: r.linearAll.accuracy, sd: null });
  if (c.probes.includes("knn")) out.push({ type: "eval", encoder, probe: "knn", labels_per_class: "all", accuracy: r.knn, sd: null });
  if (c.probes.includes("kmeans")) out.push({ type: "eval", encoder, probe: "kmeans", labels_per_class: null, accuracy: null, sd: null, nmi: r.clustering.nmi, ari: r.clustering.ari });
  return out;
}

/** The results as an aligned table, one row per (encoder, probe, labels). */
export function formatEvalTable(lines: readonly EvalLine[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = lines.map((l) => [
    l.encoder,
    l.probe,
    l.labels_per_class === null ? "-" : String(l.labels_per_class),
    l.probe === "kmeans" ? `NMI ${(l.nmi ?? 0).toFixed(3)}  ARI ${(l.ari ?? 0).toFixed(3)}` : l.accuracy === null ? "-" : l.sd === null ? pct(l.accuracy) : `${pct(l.accuracy)} ± ${(100 * l.sd).toFixed(1)}`,
  ]);
  const header = ["encoder", "probe", "labels/class", "result"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const fmt = (r: readonly string[]) => `${r.map((v, i) => v.padEnd(widths[i] as number)).join("  ").trimEnd()}\n`;
  return fmt(header) + fmt(widths.map((w) => "-".repeat(w))) + rows.map(fmt).join("");
}

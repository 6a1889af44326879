import { Command, Option } from "commander";
import { specModality } from "../data/resolve-data-spec.js";
import type { Method } from "../methods/method.js";
import { recipeDefaults } from "../methods/recipes.js";
import { durationArg, fractionArg, nonNegativeIntArg, positiveIntArg } from "./args.js";
import { type ConfigObject, type ConfigValue, type RunConfig, TOKENIZERS, readConfigFile, resolveEval, resolveMethodOptions, resolvePretrain } from "./config.js";
import { CliError, type ExitCodeValue } from "./errors.js";
import { findMethod } from "./methods.js";
import { pretrainRun } from "./pretrain-run.js";
import { type Io, progressMode } from "./progress.js";
import { RunFolder, defaultRunDir } from "./run-folder.js";
import { savedSection } from "./run-encoder.js";
import { columnListArg, labelColumnFlag } from "./table-run.js";

export interface PretrainFlags {
  readonly method?: string;
  readonly data?: string;
  readonly labels?: string;
  readonly epochs?: number;
  readonly timeBudget?: number;
  readonly batchSize?: number;
  readonly seed?: number;
  readonly config?: string;
  readonly out?: string;
  readonly resume?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly limit?: number;
  readonly checkpointEvery?: number;
  readonly encoder?: string;
  readonly textColumn?: string;
  readonly tokenizer?: string;
  readonly vocabSize?: number;
  readonly context?: number;
  readonly dModel?: number;
  readonly layers?: number;
  readonly heads?: number;
  readonly dropout?: number;
  readonly labelColumn?: string;
  readonly categorical?: string[];
  readonly numeric?: string[];
  readonly ignoreColumns?: string[];
}

export function pretrainCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("pretrain")
    .description("pretrain an encoder with a self-supervised method; writes a run folder")
    .option("--method <name>", "the method (see `pretext methods`)")
    .option("--data <spec>", "training data: mnist (bundled), fashion-mnist (Debian), moby-dick, fortunes, sotu, an IDX images file, a folder (of images, .txt or .wav files, class subfolders for labels), a .txt, .jsonl or .csv file, a manifest of .wav paths")
    .option("--labels <file>", "labels for the data (kept for evaluation; pretraining ignores labels): an IDX labels file, a CSV or JSONL column")
    .option("--label-column <name>", "tables: the label column (kept out of the features; eval reads it)")
    .addOption(new Option("--categorical <columns>", "tables: columns read as categories whatever their values look like").argParser(columnListArg))
    .addOption(new Option("--numeric <columns>", "tables: columns read as numbers").argParser(columnListArg))
    .addOption(new Option("--ignore-columns <columns>", "tables: columns left out (ids, free text)").argParser(columnListArg))
    .option("--epochs <n>", "epochs to train (default: until the time budget when one is given, else 10)", positiveIntArg)
    .option("--time-budget <duration>", "train for this long, e.g. 90s, 5m, 1h (the schedules are planned to end with it)", durationArg)
    .option("--batch-size <n>", "samples per step (default: the method's recipe; 256 for images, 64 for audio clips)", positiveIntArg)
    .option("--seed <n>", "seeds initialization, shuffling and augmentation (default 0)", nonNegativeIntArg)
    .option("--config <file>", "a .json or .yaml file with sections pretrain, method, eval; flags override it")
    .option("--out <run-dir>", "the run folder (default runs/<date>-<method>-<data>)")
    .option("--resume <run-dir>", "continue a stopped run from its last checkpoint")
    .option("--quiet", "print nothing but errors and the run folder")
    .option("--json", "print JSON lines on stdout (one per step, then a summary)")
    .addOption(new Option("--encoder <name>", "encoder: small-cnn, small-cnn-grid (a 3x3 grid of the last map), resnet18, vit (7x7 patches), mlp; transformer, gpt for text; audio-cnn for audio; ft-transformer for tables (default: by data and method)"))
    .addOption(new Option("--text-column <name>", "for a CSV of documents: the column holding the texts"))
    .addOption(new Option("--tokenizer <kind>", "text: bpe (byte-level BPE) or char, trained on the training texts (default: the method's recipe)").choices(TOKENIZERS))
    .addOption(new Option("--vocab-size <n>", "text: the BPE vocabulary, specials and the 256 bytes included (default 4096)").argParser(positiveIntArg))
    .addOption(new Option("--context <n>", "text: the model's context in tokens (default: the method's recipe)").argParser(positiveIntArg))
    .addOption(new Option("--d-model <n>", "text: the transformer's width (default 128)").argParser(positiveIntArg))
    .addOption(new Option("--layers <n>", "text: transformer blocks (default 4)").argParser(positiveIntArg))
    .addOption(new Option("--heads <n>", "text: attention heads (default 4)").argParser(positiveIntArg))
    .addOption(new Option("--dropout <p>", "text: dropout in every block (default: the method's recipe)").argParser(fractionArg))
    .addOption(new Option("--checkpoint-every <steps>", "checkpoint every N steps (default 100)").argParser(positiveIntArg))
    .addOption(new Option("--limit <n>", "train on N evenly spaced images only (quick checks)").argParser(positiveIntArg).hideHelp())
    .addHelpText(
      "after",
      "\nExamples:\n  pretext pretrain --method simclr --data mnist --time-budget 5m\n  pretext pretrain --method clm --data moby-dick --tokenizer char --time-budget 5m\n  pretext pretrain --method mlm --data fortunes --time-budget 10m\n  pretext pretrain --method scarf --data table.csv --label-column y --time-budget 2m\n  pretext pretrain --config simclr.yaml --out runs/simclr\n  pretext pretrain --resume runs/simclr",
    )
    .action(async (flags: PretrainFlags) => done(await runPretrainCommand(flags, io)));
}

/** The flags that set pretrain-section fields, as a config layer. */
function flagLayer(flags: PretrainFlags): ConfigObject {
  const layer: ConfigObject = {};
  const set = (key: string, v: ConfigValue | undefined) => {
    if (v !== undefined) layer[key] = v;
  };
  set("method", flags.method);
  set("data", flags.data);
  set("labels", labelColumnFlag(flags));
  set("epochs", flags.epochs);
  set("timeBudgetSeconds", flags.timeBudget);
  set("batchSize", flags.batchSize);
  set("seed", flags.seed);
  set("limit", flags.limit);
  set("checkpointEverySteps", flags.checkpointEvery);
  set("encoder", flags.encoder);
  set("textColumn", flags.textColumn);
  set("tokenizer", flags.tokenizer);
  set("vocabSize", flags.vocabSize);
  set("context", flags.context);
  set("dModel", flags.dModel);
  set("layers", flags.layers);
  set("heads", flags.heads);
  set("dropout", flags.dropout);
  set("categoricalColumns", flags.categorical);
  set("numericColumns", flags.numeric);
  set("ignoreColumns", flags.ignoreColumns);
  return layer;
}

/** Flags that may change when resuming: how long to train, and how to print. */
const RESUMABLE = new Set(["epochs", "timeBudgetSeconds"]);

/** Builds the resolved config of a new run, or reads a stopped run's for `--resume`. */
export async function resolveRunConfig(flags: PretrainFlags): Promise<{ config: RunConfig; run: RunFolder; method: Method; resume: boolean }> {
  const layer = flagLayer(flags);
  if (flags.resume !== undefined) {
    if (flags.config !== undefined || flags.out !== undefined) throw new CliError("--resume continues a run as its config.json says; drop --config and --out");
    const fixed = Object.keys(layer).filter((k) => !RESUMABLE.has(k));
    if (fixed.length > 0) throw new CliError(`--resume keeps the run's ${fixed.join(", ")}; only --epochs and --time-budget may change`);
    const run = RunFolder.open(flags.resume);
    const section = (name: string) => savedSection(run, name);
    const source = run.configPath;
    const pretrainConfig = resolvePretrain(section("pretrain"), layer, source);
    const method = methodNamed(pretrainConfig.method, flags.method === undefined ? source : null);
    const config: RunConfig = {
      pretrain: pretrainConfig,
      method: resolveMethodOptions(method.name, recipeDefaults(method, modalityOf(pretrainConfig)), section("method"), source),
      eval: resolveEval(section("eval"), {}, source),
    };
    return { config, run, method, resume: true };
  }
  const file = flags.config === undefined ? {} : await readConfigFile(flags.config);
  const source = flags.config ?? "config";
  const pretrainConfig = resolvePretrain(file.pretrain, layer, source);
  const method = methodNamed(pretrainConfig.method, flags.method === undefined ? source : null);
  const config: RunConfig = {
    pretrain: pretrainConfig,
    method: resolveMethodOptions(method.name, recipeDefaults(method, modalityOf(pretrainConfig)), file.method, source),
    eval: resolveEval(file.eval, {}, source),
  };
  const run = new RunFolder(flags.out ?? defaultRunDir(method.name, pretrainConfig.data));
  return { config, run, method, resume: false };
}

/** What the run's data is, by its spec alone (the method's recipe depends on it). */
function modalityOf(p: { readonly data: string; readonly textColumn: string | null }): ReturnType<typeof specModality> {
  return specModality(p.data, p.textColumn === null ? {} : { textColumn: p.textColumn });
}

/** `findMethod`, its error naming the config file when the name came from one (`source`; null: from --method). */
function methodNamed(name: string, source: string | null): Method {
  try {
    return findMethod(name);
  } catch (e) {
    if (e instanceof CliError && source !== null && source !== "config") throw new CliError(`${source}: pretrain.method: ${e.message}`);
    throw e;
  }
}

export async function runPretrainCommand(flags: PretrainFlags, io: Io): Promise<ExitCodeValue> {
  const { config, run, method, resume } = await resolveRunConfig(flags);
  const mode = progressMode(flags, io);
  const outcome = await pretrainRun({ config, run, method, resume, mode, io });
  return outcome.exitCode;
}

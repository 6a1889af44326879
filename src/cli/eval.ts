import { Command, Option } from "commander";
import { countListArg, nameListArg, nonNegativeIntArg, positiveIntArg } from "./args.js";
import { BASELINES, type ConfigObject, type ConfigValue, LABEL_DRAWS, PROBES, readConfigFile, resolveEval } from "./config.js";
import { ExitCode, type ExitCodeValue } from "./errors.js";
import { type EvalLine, evaluateRun } from "./eval-run.js";
import type { Io } from "./progress.js";
import { type RunWeights, loadRunEncoder, savedSection } from "./run-encoder.js";
import { fractionListArg, labelColumnFlag } from "./table-run.js";

export type { EvalLine } from "./eval-run.js";

interface EvalFlags {
  readonly data?: string;
  readonly labels?: string;
  readonly testData?: string;
  readonly testLabels?: string;
  readonly labelsPerClass?: number[];
  readonly labelColumn?: string;
  readonly labelFractions?: number[];
  readonly probes?: string[];
  readonly draws?: number;
  readonly labelDraws?: string;
  readonly baselines?: string[];
  readonly seed?: number;
  readonly config?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly limit?: number;
  readonly weights?: RunWeights;
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
    .option("--label-column <name>", "tables: the label column of --data and --test-data (default: the run's)")
    .option("--label-fractions <list>", "tables: label budgets as shares of the training rows, e.g. 0.01,0.1,1 (probes linear, knn, finetune; baselines random, logreg, knn_raw, gbdt, scratch)", fractionListArg)
    .option("--probes <list>", `probes to run: ${PROBES.join(",")}`, nameListArg(PROBES))
    .option("--draws <n>", "random label subsets per budget (default 3)", positiveIntArg)
    .addOption(
      new Option("--label-draws <which>", "the 10-per-class budget's subsets: seeded, or the PyTorch anchor's own 5 (bundled mnist only)").choices(LABEL_DRAWS),
    )
    .option("--baselines <list>", `baselines: ${BASELINES.join(",")} or none (default random,raw_pixels; text: random,tfidf)`, (v: string) => (v === "none" ? [] : nameListArg(BASELINES)(v)))
    .option("--seed <n>", "seeds the label draws (default 0)", nonNegativeIntArg)
    .option("--config <file>", "a .json or .yaml file whose eval section sets these options")
    .addOption(new Option("--weights <which>", "the run's last weights, or the best validated ones (best/)").choices(["last", "best"]).default("last"))
    .option("--json", "print one JSON object per result line")
    .option("--quiet", "print nothing but errors")
    .addOption(new Option("--limit <n>", "use N evenly spaced labelled train images (quick checks)").argParser(positiveIntArg).hideHelp())
    .addHelpText(
      "after",
      "\nExamples:\n  pretext eval runs/simclr\n  pretext eval runs/simclr --labels-per-class 1,10 --probes linear,knn --json\n  pretext eval runs/clm-moby --probes perplexity --json\n  pretext eval runs/mlm-fortunes --labels-per-class 1,10,all --baselines random,tfidf\n  pretext eval runs/scarf --data train.csv --test-data test.csv --label-column y --label-fractions 0.01,0.1,1 --json",
    )
    .action(async (dir: string, flags: EvalFlags) => {
      const { run, pretrain, encoder, text, headsPath } = await loadRunEncoder(dir, flags.weights);
      const layer: ConfigObject = {};
      const set = (k: string, v: ConfigValue | undefined) => {
        if (v !== undefined) layer[k] = v;
      };
      const labelColumn = labelColumnFlag(flags);
      set("data", flags.data);
      set("labels", labelColumn);
      set("testData", flags.testData);
      // A table's label column is the same in its test file.
      set("testLabels", flags.testLabels ?? flags.labelColumn);
      set("labelFractions", flags.labelFractions);
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
        methodName: pretrain.method,
        encoder,
        evalConfig,
        dataSpec: evalConfig.data ?? pretrain.data,
        labels: evalConfig.data === null ? pretrain.labels : evalConfig.labels,
        textColumn: pretrain.textColumn,
        encoderName: pretrain.encoder,
        text,
        headsPath,
        seed: pretrain.seed,
        limit: flags.limit ?? null,
        log: flags.quiet || flags.json ? () => {} : (s) => io.stderr.write(`${s}\n`),
      });
      if (flags.json) for (const l of lines) io.stdout.write(`${JSON.stringify(l)}\n`);
      else if (!flags.quiet) io.stdout.write(formatEvalTable(lines));
      done(ExitCode.ok);
    });
}

/** The results as an aligned table, one row per (encoder, probe, labels). */
export function formatEvalTable(lines: readonly EvalLine[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = lines.map((l) => [
    l.encoder,
    l.probe,
    l.label_fraction !== undefined ? `${Number((100 * l.label_fraction).toPrecision(3))}% (${l.labels ?? "?"} rows)` : l.labels_per_class === null ? "-" : String(l.labels_per_class),
    l.probe === "kmeans"
      ? `NMI ${(l.nmi ?? 0).toFixed(3)}  ARI ${(l.ari ?? 0).toFixed(3)}`
      : l.probe === "perplexity"
        ? `${(l.nats_per_token ?? 0).toFixed(4)} nats/token  perplexity ${(l.perplexity ?? 0).toFixed(2)}  ${(l.bits_per_byte ?? 0).toFixed(4)} bits/byte`
        : l.accuracy === null ? "-" : l.sd === null ? pct(l.accuracy) : `${pct(l.accuracy)} ± ${(100 * l.sd).toFixed(1)}`,
  ]);
  const header = ["encoder", "probe", lines.some((l) => l.label_fraction !== undefined) ? "labels" : "labels/class", "result"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const fmt = (r: readonly string[]) => `${r.map((v, i) => v.padEnd(widths[i] as number)).join("  ").trimEnd()}\n`;
  return fmt(header) + fmt(widths.map((w) => "-".repeat(w))) + rows.map(fmt).join("");
}

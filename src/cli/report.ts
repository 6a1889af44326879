import { Command } from "commander";
import { writeReport } from "../report/index.js";
import { nonNegativeIntArg } from "./args.js";
import { CliError, ExitCode, type ExitCodeValue, errorMessage } from "./errors.js";
import type { Io } from "./progress.js";
import { runMiningView } from "./report-mining.js";
import { RunFolder } from "./run-folder.js";

export function reportCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("report")
    .description("write <run-dir>/report.html: one self-contained page with the run's charts (opens offline), and a mining section when `pretext index <run-dir>` has run")
    .argument("<run-dir>", "a run folder written by `pretext pretrain` (run `pretext eval` first for accuracy and the map)")
    .option("--seed <n>", "seeds the embedding map and the retrieval queries", nonNegativeIntArg, 0)
    .action(async (dir: string, flags: { seed: number }) => {
      const run = RunFolder.open(dir);
      let path: string;
      try {
        const mining = await runMiningView(run.dir, flags.seed);
        if (mining.warning !== null) io.stderr.write(`${mining.warning}\n`);
        path = await writeReport(run.dir, { seed: flags.seed, mining: mining.view });
      } catch (e) {
        throw new CliError(`could not write the report of ${dir}: ${errorMessage(e)}`, ExitCode.failure);
      }
      io.stdout.write(`${path}\n`);
      done(ExitCode.ok);
    });
}

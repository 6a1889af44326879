import { createRequire } from "node:module";
import { Command, CommanderError } from "commander";
import { demoCommand } from "./demo.js";
import { CliError, ExitCode, type ExitCodeValue, oneLine } from "./errors.js";
import { evalCommand } from "./eval.js";
import { embedCommand } from "./embed.js";
import { exportCommand } from "./export.js";
import { generateCommand } from "./generate.js";
import { indexCommand } from "./index-command.js";
import { miningCommands } from "./mining-commands.js";
import { methodsCommand } from "./methods.js";
import { pretrainCommand } from "./pretrain.js";
import type { Io } from "./progress.js";
import { reportCommand } from "./report.js";
import { searchCommand } from "./search-command.js";
import { synthCommand } from "./synth.js";
import { viewsCommand } from "./views.js";

/** The package version; package.json is two folders up from both src/cli/ and dist/cli/. */
function packageVersion(): string {
  const pkg: unknown = createRequire(import.meta.url)("../../package.json");
  return typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string" ? pkg.version : "unknown";
}

/**
 * The `pretext` program. Commander parses and validates flags; every error, commander's or a
 * command's, is printed as one line `pretext <command>: error: …` and sets the exit code.
 */
export function buildProgram(io: Io, done: (code: ExitCodeValue) => void): Command {
  const program = new Command("pretext")
    .description("self-supervised learning for TypeScript: pretrain encoders on unlabeled images, text and speech, evaluate them with few labels, generate text, export to ONNX")
    .version(packageVersion(), "-v, --version")
    .showSuggestionAfterError(true)
    .addHelpText("after", "\nStart with: pretext demo   (or npm start): SimCLR on bundled MNIST, evaluation and a report in a few minutes.");
  const commands = [
    pretrainCommand(io, done),
    evalCommand(io, done),
    embedCommand(io, done),
    indexCommand(io, done),
    searchCommand(io, done),
    ...miningCommands(io, done),
    exportCommand(io, done),
    generateCommand(io, done),
    reportCommand(io, done),
    viewsCommand(io, done),
    synthCommand(io, done),
    methodsCommand(io, done),
    demoCommand(io, done),
  ];
  for (const c of commands) program.addCommand(c);
  for (const c of [program, ...commands]) {
    c.exitOverride()
      .showSuggestionAfterError(true)
      .configureOutput({
        writeOut: (s) => io.stdout.write(s),
        writeErr: (s) => io.stderr.write(s),
        outputError: (s, write) => write(`${c === program ? "pretext" : `pretext ${c.name()}`}: ${oneLine(s)} (see --help)\n`),
      });
  }
  return program;
}

/** Runs the command line `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let code: ExitCodeValue = ExitCode.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.usage;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version end by "throwing" exit code 0; parse errors were already printed.
      return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const command = argv.find((a) => !a.startsWith("-")) ?? "";
    const prefix = `pretext${command ? ` ${command}` : ""}: error:`;
    if (e instanceof CliError) {
      io.stderr.write(`${prefix} ${oneLine(e.message)}\n`);
      return e.exitCode;
    }
    // Anything else is a bug: one line first, the stack after it for the report.
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(`${prefix} ${oneLine(err.message)}\n${err.stack ?? ""}\n`);
    return ExitCode.failure;
  }
}

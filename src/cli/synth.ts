import { availableParallelism } from "node:os";
import { SingleBar } from "cli-progress";
import { Command, Option } from "commander";
import type { PackageLoader } from "../data/audio/synth/engine.js";
import { SynthSetupError } from "../data/audio/synth/engine.js";
import { type GenerateSummary, generateSynthData } from "../data/audio/synth/generate.js";
import { KEYWORDS_DEFAULTS, type SynthPlan, VOICES_DEFAULTS, keywordsPlan, voicesPlan } from "../data/audio/synth/plan.js";
import { ENGINES, ENGINE_NAMES, LICENCE_NOTE } from "../data/audio/synth/voices.js";
import { KEYWORD_VOCABULARIES, type KeywordVocabulary } from "../data/audio/synth/words.js";
import { nonNegativeIntArg, positiveIntArg } from "./args.js";
import { CliError, ExitCode, type ExitCodeValue, oneLine } from "./errors.js";
import { type Io, type ProgressMode, formatSeconds, progressMode } from "./progress.js";

interface CommonFlags {
  readonly out: string;
  readonly seed: number;
  readonly threads: number;
  readonly force?: boolean;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

interface KeywordsFlags extends CommonFlags {
  readonly pool: number;
  readonly perWord: number;
  readonly testPerWord: number;
  readonly words: KeywordVocabulary;
}

interface VoicesFlags extends CommonFlags {
  readonly trainWords: number;
  readonly testWords: number;
}

/** What the command needs besides its flags; a test injects a loader that fails. */
export interface SynthCommandDeps {
  readonly loader?: PackageLoader;
}

const LICENCES = ENGINE_NAMES.map((e) => `  ${e}: ${ENGINES[e].package}@${ENGINES[e].version}, ${ENGINES[e].licence}`).join("\n");
const HELP_AFTER = `\nEngines (devDependencies of pretext, loaded only by this command):\n${LICENCES}\n${LICENCE_NOTE}\n`;

/**
 * `pretext synth keywords|voices`: speech datasets made offline by three speech synthesizers,
 * seeded and cached (see `src/data/audio/synth/`).
 */
export function synthCommand(io: Io, done: (code: ExitCodeValue) => void, deps: SynthCommandDeps = {}): Command {
  const synth = new Command("synth")
    .description("make speech datasets offline with the speech synthesizers espeak-ng, flite and gnuspeech: a keyword task and a voice task")
    .addHelpText("after", HELP_AFTER);

  const keywords = common(new Command("keywords"))
    .description("spoken keywords: pool/ (unlabeled: 300 words, espeak-ng and gnuspeech), train/<word>/ (espeak-ng), test/<word>/ (flite, the held-out engine) and test-espeak-heldout/<word>/")
    .option("--pool <n>", "unlabeled utterances in pool/", nonNegativeIntArg, KEYWORDS_DEFAULTS.pool)
    .option("--per-word <n>", "labeled espeak-ng utterances per word in train/ (8 accents in turn)", positiveIntArg, KEYWORDS_DEFAULTS.perWord)
    .option("--test-per-word <n>", "utterances per word in test/ (flite's 5 voices in turn) and in test-espeak-heldout/", positiveIntArg, KEYWORDS_DEFAULTS.testPerWord)
    .addOption(new Option("--words <set>", "the keywords: the ten digits, or Speech Commands' ten words").choices(Object.keys(KEYWORD_VOCABULARIES)).default(KEYWORDS_DEFAULTS.words))
    .addHelpText("after", HELP_AFTER)
    .action(async (flags: KeywordsFlags) => {
      const plan = keywordsPlan({ seed: flags.seed, pool: flags.pool, perWord: flags.perWord, testPerWord: flags.testPerWord, words: flags.words });
      await run(plan, flags, io, deps);
      done(ExitCode.ok);
    });

  const voices = common(new Command("voices"))
    .description("voice identification: 30 voices (20 espeak-ng, 5 gnuspeech, 5 flite), train/<voice>/ and test/<voice>/ on disjoint words")
    .option("--train-words <n>", "words each voice says in train/", positiveIntArg, VOICES_DEFAULTS.trainWords)
    .option("--test-words <n>", "other words each voice says in test/", positiveIntArg, VOICES_DEFAULTS.testWords)
    .addHelpText("after", HELP_AFTER)
    .action(async (flags: VoicesFlags) => {
      if (flags.trainWords + flags.testWords > 300) throw new CliError(`--train-words ${flags.trainWords} + --test-words ${flags.testWords}: at most 300 words in all`);
      const plan = voicesPlan({ seed: flags.seed, trainWords: flags.trainWords, testWords: flags.testWords });
      await run(plan, flags, io, deps);
      done(ExitCode.ok);
    });

  for (const c of [keywords, voices]) {
    // program.ts sets this up for the top-level commands only.
    c.exitOverride()
      .showSuggestionAfterError(true)
      .configureOutput({
        writeOut: (s) => io.stdout.write(s),
        writeErr: (s) => io.stderr.write(s),
        outputError: (s, write) => write(`pretext synth ${c.name()}: ${oneLine(s)} (see --help)\n`),
      });
    synth.addCommand(c);
  }
  return synth;
}

function common(c: Command): Command {
  return c
    .requiredOption("--out <dir>", "the folder to write (new, empty, or made by the same command)")
    .option("--seed <n>", "seeds every draw: voices, parameters, noise, levels", nonNegativeIntArg, 0)
    .option("--threads <n>", "worker threads (0: this thread)", nonNegativeIntArg, availableParallelism())
    .option("--force", "write into a folder made with another seed or options (its other files are removed)")
    .option("--quiet", "no progress, only errors")
    .option("--json", "the summary as one JSON line on stdout");
}

async function run(plan: SynthPlan, flags: CommonFlags, io: Io, deps: SynthCommandDeps): Promise<void> {
  const mode = progressMode(flags, io);
  const progress = new SynthProgress(mode, io);
  let summary: GenerateSummary;
  try {
    summary = await generateSynthData(flags.out, plan, {
      force: flags.force ?? false,
      threads: flags.threads,
      ...(deps.loader === undefined ? {} : { loader: deps.loader }),
      onStart: (e) => progress.start(flags.out, e),
      onMade: (e) => progress.made(e.made, e.toMake),
    });
  } catch (e) {
    progress.stop();
    if (e instanceof SynthSetupError) throw new CliError(e.message);
    throw new CliError(e instanceof Error ? e.message : String(e), ExitCode.failure);
  }
  progress.stop();
  if (mode === "json") io.stdout.write(`${JSON.stringify(summaryRecord(plan, summary))}\n`);
  else if (mode !== "quiet") io.stderr.write(`${describeSummary(summary)}\n`);
}

/** The end of a run in one line: files by split, made and cached, wall time, engine speeds per thread. */
export function describeSummary(s: GenerateSummary): string {
  const splits = Object.entries(s.bySplit).map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ");
  const speeds = Object.entries(s.engines).map(([engine, t]) => `${engine} ${Math.round(t.utterances / t.seconds)}/s`);
  const threads = s.threads === 0 ? "on this thread" : `on ${s.threads} thread${s.threads === 1 ? "" : "s"}`;
  const rate = speeds.length === 0 ? "" : `; utterances a second per thread: ${speeds.join(", ")}`;
  return `${s.dir}: ${s.total.toLocaleString("en-US")} utterances (${splits}): ${s.made.toLocaleString("en-US")} made, ${s.cached.toLocaleString("en-US")} cached${s.removed > 0 ? `, ${s.removed} old removed` : ""}, in ${s.seconds.toFixed(1)} s ${threads}${rate}`;
}

function summaryRecord(plan: SynthPlan, s: GenerateSummary): Record<string, unknown> {
  const engines = Object.fromEntries(Object.entries(s.engines).map(([k, t]) => [k, { utterances: t.utterances, utterances_per_s_per_thread: Number((t.utterances / t.seconds).toFixed(1)) }]));
  return { type: "synth", task: plan.task, dir: s.dir, seed: plan.seed, total: s.total, made: s.made, cached: s.cached, removed: s.removed, threads: s.threads, elapsed_s: Number(s.seconds.toFixed(3)), splits: s.bySplit, engines };
}

const LINES_EVERY_MS = 10_000;

/** The progress bar (a terminal) or a line every 10 s (a log), over the utterances still to make. */
class SynthProgress {
  readonly #mode: ProgressMode;
  readonly #io: Io;
  #bar: SingleBar | null = null;
  #started = performance.now();
  #lastLine = performance.now();

  constructor(mode: ProgressMode, io: Io) {
    this.#mode = mode;
    this.#io = io;
  }

  start(dir: string, e: { total: number; cached: number; toMake: number; threads: number }): void {
    this.#started = performance.now();
    this.#lastLine = this.#started;
    if (this.#mode !== "bar" && this.#mode !== "lines") return;
    const where = e.threads === 0 ? "on this thread" : `on ${e.threads} thread${e.threads === 1 ? "" : "s"}`;
    this.#io.stderr.write(`${dir}: making ${e.toMake.toLocaleString("en-US")} of ${e.total.toLocaleString("en-US")} utterances ${where} (${e.cached.toLocaleString("en-US")} cached)\n`);
    if (this.#mode === "bar" && e.toMake > 0) {
      this.#bar = new SingleBar({ stream: this.#io.stderr, format: "synth [{bar}] {value}/{total} | ETA {eta_formatted} | {rate} utterances/s", barsize: 24, hideCursor: true, etaBuffer: 50, fps: 5 });
      this.#bar.start(e.toMake, 0, { rate: "-" });
    }
  }

  made(made: number, toMake: number): void {
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = seconds > 0 ? Math.round(made / seconds) : 0;
    if (this.#bar !== null) this.#bar.update(made, { rate: String(rate) });
    else if (this.#mode === "lines" && performance.now() - this.#lastLine >= LINES_EVERY_MS) {
      this.#lastLine = performance.now();
      this.#io.stderr.write(`synth ${made}/${toMake} | ${rate} utterances/s | ${formatSeconds(seconds)}\n`);
    }
  }

  stop(): void {
    if (this.#bar === null) return;
    this.#bar.stop();
    this.#io.stderr.write("\n");
    this.#bar = null;
  }
}

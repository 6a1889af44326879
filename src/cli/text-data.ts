import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { TokenFile, tokenFileName, tokenWidth, writeTokenFile } from "../data/text/token-file.js";
import type { TokenStream } from "../data/text/token-windows.js";
import { type TextDatasets, textDatasets, trainTokenizer } from "../data/text/text-datasets.js";
import type { TextSource } from "../data/text/text-source.js";
import { readTokenizerFile, writeTokenizerFile } from "../data/text/tokenizer/tokenizer-file.js";
import type { Tokenizer } from "../data/text/tokenizer/tokenizer.js";
import { CliError, ExitCode, errorMessage } from "./errors.js";
import type { RunFolder } from "./run-folder.js";
import type { TextSettings } from "./run-defaults.js";

/** How a command turns a text source into datasets: which tokenizer, and how long a sample is. */
export interface TextLoading {
  /** The tokenizer for a source: trained for a new run, read from the run folder otherwise. */
  readonly tokenizer: (source: TextSource) => Promise<Tokenizer>;
  /** Tokens per sample (a causal LM trains on windows of its context + 1). */
  readonly length: number;
  /** A corpus's held-out windows' stride (default `length`). */
  readonly testStride?: number;
  /** Where a corpus's token files are kept: reused when there, written otherwise; in memory without. */
  readonly tokensDir?: string;
}

/** A text source's datasets under `loading`, with the tokenizer that made them. */
export async function loadTextData(source: TextSource, loading: TextLoading): Promise<TextDatasets & { tokenizer: Tokenizer }> {
  const tokenizer = await loading.tokenizer(source);
  const dir = loading.tokensDir;
  const width = tokenWidth(tokenizer.vocabSize);
  const store =
    dir === undefined
      ? undefined
      : (name: "train" | "test", ids: Iterable<Int32Array>): TokenStream => {
          mkdirSync(dir, { recursive: true });
          const path = join(dir, tokenFileName(name, width));
          writeTokenFile(path, ids, width);
          return new TokenFile(path);
        };
  const existing = (name: "train" | "test"): TokenStream | null => {
    if (dir === undefined) return null;
    const path = join(dir, tokenFileName(name, width));
    return existsSync(path) ? new TokenFile(path) : null;
  };
  const storedTrain = source.kind === "corpus" ? existing("train") : null;
  const stored = storedTrain === null || source.kind !== "corpus" ? null : { train: storedTrain, test: source.test === null ? null : existing("test") };
  try {
    const datasets = textDatasets(source, {
      tokenizer,
      length: loading.length,
      ...(loading.testStride === undefined ? {} : { testStride: loading.testStride }),
      ...(store === undefined ? {} : { store }),
      ...(stored === null ? {} : { streams: stored }),
    });
    return { ...datasets, tokenizer };
  } catch (e) {
    throw new CliError(`${source.name}: ${errorMessage(e)}`, ExitCode.failure);
  }
}

/** A new run's tokenizer: learned from the source's training texts and saved as the run's tokenizer.json. */
export function trainRunTokenizer(run: RunFolder, settings: TextSettings): (source: TextSource) => Promise<Tokenizer> {
  return async (source) => {
    let tokenizer: Tokenizer;
    try {
      tokenizer = trainTokenizer(source, { kind: settings.tokenizer, vocabSize: settings.vocabSize });
    } catch (e) {
      throw new CliError(`--tokenizer ${settings.tokenizer} on ${source.name}: ${errorMessage(e)}`);
    }
    await writeTokenizerFile(run.tokenizerPath, tokenizer);
    return tokenizer;
  };
}

/** A finished or stopped run's tokenizer, read back from its tokenizer.json (for `TextLoading.tokenizer`). */
export function runTokenizer(run: RunFolder): (source: TextSource) => Promise<Tokenizer> {
  return () => readRunTokenizer(run);
}

/** A run's tokenizer.json, or a one-line error naming it. */
export async function readRunTokenizer(run: RunFolder): Promise<Tokenizer> {
  if (!existsSync(run.tokenizerPath)) throw new CliError(`${run.tokenizerPath}: missing; the run folder is damaged or not a text run`, ExitCode.failure);
  try {
    return await readTokenizerFile(run.tokenizerPath);
  } catch (e) {
    throw new CliError(`${run.tokenizerPath}: ${errorMessage(e)}`, ExitCode.failure);
  }
}

import { Command, Option } from "commander";
import type { Tokenizer } from "../data/text/tokenizer/tokenizer.js";
import { KvCacheDecoder } from "../generate/kv-cache-decoder.js";
import { type GenerateTextOptions, generateText } from "../generate/generate.js";
import type { Linear, TextTransformer } from "../nn/index.js";
import { nonNegativeIntArg, positiveIntArg } from "./args.js";
import { CliError, ExitCode, type ExitCodeValue } from "./errors.js";
import { loadLanguageModel } from "./eval-perplexity.js";
import type { Io } from "./progress.js";
import { type RunWeights, loadRunEncoder } from "./run-encoder.js";
import { readRunTokenizer } from "./text-data.js";

interface GenerateFlags {
  readonly prompt: string;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly seed: number;
  readonly stop?: string[];
  readonly weights?: RunWeights;
}

const probability = (value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !(n > 0 && n <= 1)) throw new CliError(`--top-p ${value}: expected a number in (0, 1]`);
  return n;
};
const nonNegative = (value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !(n >= 0) || !Number.isFinite(n)) throw new CliError(`--temperature ${value}: expected a number >= 0 (0 is greedy)`);
  return n;
};

/**
 * Streams text from a language model (a `--method clm` run): the prompt is fed through a
 * key/value cache (one incremental graph, not the whole context per token), then tokens are
 * sampled with temperature, top-k and top-p from a seeded generator, so a fixed seed gives the
 * same text. Stops at `<eos>`, at a `--stop` string (not printed) or after `--max-tokens`.
 */
export function generateCommand(io: Io, done: (code: ExitCodeValue) => void): Command {
  return new Command("generate")
    .description("stream text from a language model run (--method clm), with a key/value cache")
    .argument("<run-dir>", "a run folder written by `pretext pretrain --method clm`")
    .option("--prompt <text>", "the text to continue (default: none, from <eos>)", "")
    .option("--max-tokens <n>", "most tokens to generate", positiveIntArg, 200)
    .option("--temperature <t>", "sampling temperature; 0 is greedy", nonNegative, 0.8)
    .option("--top-k <k>", "sample among the k most likely tokens only", positiveIntArg)
    .option("--top-p <p>", "sample among the most likely tokens whose probability reaches p (nucleus)", probability)
    .option("--seed <n>", "seeds the sampling (a fixed seed gives the same text)", nonNegativeIntArg, 0)
    .option("--stop <text...>", "stop before any of these strings")
    .addOption(new Option("--weights <which>", "the run's last weights, or the best validated ones (best/)").choices(["last", "best"]).default("last"))
    .addHelpText("after", '\nExample:\n  pretext generate runs/clm-moby --prompt "Call me Ishmael." --max-tokens 300 --temperature 0.8 --top-k 40 --seed 1')
    .action(async (dir: string, flags: GenerateFlags) => {
      const { run, encoder, text, headsPath } = await loadRunEncoder(dir, flags.weights);
      if (text === null) throw new CliError(`${dir}: not a text run; generate needs a language model (pretext pretrain --method clm)`);
      const model = await loadLanguageModel(run, encoder, text, headsPath);
      const tokenizer = await readRunTokenizer(run);
      const options: GenerateTextOptions = {
        maxTokens: flags.maxTokens,
        temperature: flags.temperature,
        seed: flags.seed,
        ...(flags.topK === undefined ? {} : { topK: flags.topK }),
        ...(flags.topP === undefined ? {} : { topP: flags.topP }),
        ...(flags.stop === undefined ? {} : { stop: flags.stop }),
      };
      io.stdout.write(flags.prompt);
      await streamText(model, tokenizer, flags.prompt, options, (chunk) => io.stdout.write(chunk));
      io.stdout.write("\n");
      done(ExitCode.ok);
    });
}

/** Generates after `prompt` with a fresh key/value-cache decoder, handing each chunk of text to `write`; returns the whole text. */
export async function streamText(
  model: { readonly transformer: TextTransformer; readonly head: Linear },
  tokenizer: Tokenizer,
  prompt: string,
  options: GenerateTextOptions,
  write: (chunk: string) => void = () => {},
): Promise<string> {
  const decoder = await KvCacheDecoder.compile({ transformer: model.transformer.transformer, head: model.head });
  let out = "";
  try {
    for await (const chunk of generateText(decoder, tokenizer, prompt, options)) {
      out += chunk;
      write(chunk);
    }
  } finally {
    await decoder.release();
  }
  return out;
}

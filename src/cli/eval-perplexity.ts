import { existsSync } from "node:fs";
import { tokenizeCorpus, tokenizeDocuments } from "../data/text/text-datasets.js";
import { ArrayTokenStream, TokenWindowDataset } from "../data/text/token-windows.js";
import type { TextSource } from "../data/text/text-source.js";
import type { Tokenizer } from "../data/text/tokenizer/tokenizer.js";
import { perplexity } from "../eval/perplexity.js";
import type { Encoder } from "../methods/method.js";
import { Linear, ModuleDict, TextTransformer } from "../nn/index.js";
import { Rng } from "../random/rng.js";
import { type TextEncoderSettings, loadModuleWeights } from "./encoder.js";
import { CliError, ExitCode } from "./errors.js";
import type { EvalLine } from "./eval-run.js";
import type { RunFolder } from "./run-folder.js";

/** A causal LM run's encoder and next-token head, loaded from the run folder. */
export async function loadLanguageModel(run: RunFolder, encoder: Encoder, text: TextEncoderSettings, headsPath = run.headsPath): Promise<{ transformer: TextTransformer; head: Linear }> {
  if (!(encoder instanceof TextTransformer) || !encoder.transformer.causal) throw new CliError(`${run.dir}: not a causal language model (pretrain it with --method clm)`);
  if (!existsSync(headsPath)) throw new CliError(`${headsPath}: missing; the run did not finish (resume it) or predates heads.safetensors`, ExitCode.failure);
  const head = new Linear(text.dModel, text.vocabSize, new Rng(0), { bias: false });
  await loadModuleWeights(headsPath, new ModuleDict({ lmHead: head }));
  return { transformer: encoder, head };
}

export interface PerplexityLineOptions {
  readonly run: RunFolder;
  /** The language model's head (default the run's heads.safetensors). */
  readonly headsPath?: string;
  readonly methodName: string;
  readonly encoder: Encoder;
  readonly text: TextEncoderSettings;
  readonly source: TextSource;
  readonly tokenizer: Tokenizer;
  readonly log: (line: string) => void;
}

/**
 * The perplexity probe: the run's language model scored on the source's held-out text (windows of
 * context + 1 tokens at stride context, as the PyTorch anchor; documents each from their start), or
 * the whole text when the source has no held-out split.
 */
export async function perplexityLine(o: PerplexityLineOptions): Promise<EvalLine> {
  const { transformer, head } = await loadLanguageModel(o.run, o.encoder, o.text, o.headsPath);
  // Held-out text when the source has a split; a text given on its own (`--data notes.txt`) is scored whole.
  const window = o.text.context + 1;
  const windows =
    o.source.kind === "corpus"
      ? new TokenWindowDataset(new ArrayTokenStream(tokenizeCorpus(o.source.test ?? o.source.train, o.tokenizer)), { window, stride: o.text.context })
      : tokenizeDocuments(o.source.test ?? o.source.train, o.tokenizer, window).dataset;
  o.log(`scoring ${o.methodName} on ${windows.length} held-out windows of ${o.source.name}…`);
  const r = await perplexity(transformer, head, windows, (id) => o.tokenizer.byteLength(id));
  return {
    type: "eval",
    encoder: o.methodName,
    probe: "perplexity",
    labels_per_class: null,
    accuracy: null,
    sd: null,
    nats_per_token: r.natsPerToken,
    perplexity: r.perplexity,
    bits_per_byte: r.bitsPerByte,
  };
}

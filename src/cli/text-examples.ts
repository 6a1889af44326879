import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Dataset } from "../data/dataset.js";
import { maskTokens } from "../data/text/masking.js";
import type { LabeledTexts } from "../data/text/text-source.js";
import type { Tokenizer } from "../data/text/tokenizer/tokenizer.js";
import { embedDataset } from "../eval/embed.js";
import { l2NormalizeRows } from "../eval/knn.js";
import { Graph } from "../graph/index.js";
import { writeFileAtomic } from "../io/write-atomic.js";
import type { Encoder } from "../methods/method.js";
import { MlmHead } from "../methods/mlm.js";
import { BoundContext, ModuleDict, TextTransformer, bindModule } from "../nn/index.js";
import { gather, reshape, softmax } from "../ops/index.js";
import { Rng } from "../random/rng.js";
import { type HostTensor, Program, hostTensor } from "../runtime/index.js";
import { loadModuleWeights } from "./encoder.js";
import type { RunFolder } from "./run-folder.js";

/** Test texts shown with their nearest neighbours, and masked sentences, in the report. */
const QUERIES = 5;
const NEIGHBOURS = 5;
const MASKED_EXAMPLES = 3;
const TOP_PREDICTIONS = 3;

interface Neighbour {
  readonly text: string;
  readonly label: string | null;
  readonly similarity: number;
}

/**
 * Writes what the report shows of a text run's test set: `texts.json` (the test texts, aligned
 * with embeddings.safetensors), and `text-examples.json`: the nearest neighbours (cosine, in the
 * encoder's embedding) of a few evenly spaced test texts and, for an MLM run, a few test sentences
 * with 15% of their tokens masked and the model's top predictions at each.
 */
export async function writeTextExamples(run: RunFolder, methodName: string, encoder: Encoder, test: Dataset, texts: LabeledTexts, tokenizer: Tokenizer, headsPath: string): Promise<void> {
  await writeFileAtomic(join(run.dir, "texts.json"), `${JSON.stringify(texts.texts)}\n`);
  const label = (i: number) => (texts.labels === undefined ? null : (texts.classNames?.[texts.labels[i] as number] ?? String(texts.labels[i])));
  const emb = await embedDataset(encoder, test);
  const unit = l2NormalizeRows(emb.data, emb.dim);
  const neighbours = Array.from({ length: Math.min(QUERIES, test.length) }, (_, q) => {
    const i = Math.floor((q * test.length) / Math.min(QUERIES, test.length));
    const scored: { j: number; s: number }[] = [];
    for (let j = 0; j < test.length; j++) {
      if (j === i) continue;
      let s = 0;
      for (let d = 0; d < emb.dim; d++) s += (unit[i * emb.dim + d] as number) * (unit[j * emb.dim + d] as number);
      scored.push({ j, s });
    }
    scored.sort((a, b) => b.s - a.s);
    const hits: Neighbour[] = scored.slice(0, NEIGHBOURS).map(({ j, s }) => ({ text: texts.texts[j] as string, label: label(j), similarity: s }));
    return { query: { text: texts.texts[i] as string, label: label(i) }, neighbours: hits };
  });
  const masked = methodName === "mlm" && encoder instanceof TextTransformer && existsSync(headsPath) ? await maskedExamples(headsPath, encoder, test, tokenizer) : [];
  await writeFileAtomic(join(run.dir, "text-examples.json"), `${JSON.stringify({ masked, neighbours })}\n`);
}

/** A few test sequences with BERT-style masks (every chosen token shown as `<mask>`) and the MLM head's top predictions. */
async function maskedExamples(headsPath: string, encoder: TextTransformer, test: Dataset, tokenizer: Tokenizer): Promise<unknown[]> {
  const head = new MlmHead(encoder.outputDim, encoder.vocabSize, new Rng(0));
  await loadModuleWeights(headsPath, new ModuleDict({ head }));
  const length = encoder.context;
  const graph = new Graph();
  const ids = graph.input("ids", [1, length], "int64");
  const positions = graph.input("positions", [length], "int64");
  const bindings = new Map([...bindModule(graph, encoder, { parameters: "constant", state: "constant" }).bindings, ...bindModule(graph, head, { parameters: "constant" }).bindings]);
  const ctx = new BoundContext(false, bindings);
  const hidden = reshape(encoder.tokens(ctx, ids), [length, encoder.outputDim]);
  const probs = softmax(head.call(ctx, gather(hidden, positions, 0), ctx.value(encoder.transformer.tok.weight)), -1); // [T, V]
  const program = await Program.compile(graph, { inputs: [ids, positions], outputs: { probs } });
  const out: unknown[] = [];
  try {
    const rng = new Rng(0);
    for (let e = 0; e < Math.min(MASKED_EXAMPLES, test.length); e++) {
      const tokens = test.get(Math.floor((e * test.length) / MASKED_EXAMPLES)).fields.tokens as BigInt64Array;
      const m = maskTokens(tokens, length, tokenizer, { maskProbability: 0.15, maskTokenFraction: 1, randomTokenFraction: 0, wholeWord: false }, rng);
      const slots = Array.from(m.weights).filter((w) => w > 0).length;
      const pos = new BigInt64Array(length);
      for (let k = 0; k < slots; k++) pos[k] = m.positions[k] as bigint;
      const p = ((await program.run({ ids: hostTensor("int64", [1, length], m.input), positions: hostTensor("int64", [length], pos) })).probs as HostTensor<"float32">).data;
      const real = Array.from(tokens).findIndex((t) => t === BigInt(tokenizer.specials.pad));
      const shown = Array.from(m.input.subarray(0, real < 0 ? length : real), (t) => tokenizer.tokenText(Number(t)));
      const predictions = Array.from({ length: slots }, (_, k) => {
        const row = p.subarray(k * tokenizer.vocabSize, (k + 1) * tokenizer.vocabSize);
        const top = Array.from(row.keys()).sort((a, b) => (row[b] as number) - (row[a] as number)).slice(0, TOP_PREDICTIONS);
        const position = Number(m.positions[k]);
        return { position, original: tokenizer.tokenText(Number(tokens[position])), top: top.map((id) => ({ token: tokenizer.tokenText(id), p: row[id] as number })) };
      });
      out.push({ tokens: shown, predictions });
    }
  } finally {
    await program.release();
  }
  return out;
}

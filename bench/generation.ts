/**
 * `npx tsx bench/generation.ts [--json] [--rounds R] [--repeats K] [--tokens N] [--prompt P] [--threads T] [--no-pytorch]`
 *
 * Tokens per second of greedy generation with a key/value cache: the bench's LM (`anchorLmOptions`:
 * vocab 100, d 128, 4 layers, 4 heads, context 128, random init), batch 1, a 16-token prompt,
 * 256 tokens, through `generateTokens` (prefill of the prompt, then one call per token; at the
 * context limit the window slides: the last 64 tokens re-encoded in one prefill call). PyTorch's
 * figure comes from bench/pytorch/generation.py, the same model and loop with its own caches.
 * Each side's figure is the median over R generations; the two sides take turns K times (ours,
 * then PyTorch's, so both see the same load on a shared machine) and the medians of the K are
 * reported. Prints both, the ratio, and where our time goes (per-call medians).
 * With --json, one line: {"bench", "unit", "ours", "pytorch", "ratio", "decode_ms", "prefill_ms", "pytorch_setting"}.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KvCacheDecoder, type TokenDecoder, generateTokens } from "../src/generate/index.js";
import { TinyGpt, anchorLmOptions } from "../src/nn/index.js";
import { Rng } from "../src/random/rng.js";

interface Args {
  json: boolean;
  rounds: number;
  repeats: number;
  tokens: number;
  prompt: number;
  threads: number;
  pytorch: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, rounds: 10, repeats: 3, tokens: 256, prompt: 16, threads: 1, pytorch: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs an integer >= 0`);
      return v;
    };
    if (a === "--json") args.json = true;
    else if (a === "--rounds") args.rounds = Math.max(1, value());
    else if (a === "--repeats") args.repeats = Math.max(1, value());
    else if (a === "--tokens") args.tokens = Math.max(1, value());
    else if (a === "--prompt") args.prompt = Math.max(1, value());
    else if (a === "--threads") args.threads = value();
    else if (a === "--no-pytorch") args.pytorch = false;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

/** Wraps a decoder to time its calls, split by kind: one token, or a prompt / window. */
function timed(decoder: KvCacheDecoder): { decoder: TokenDecoder; single: number[]; prefill: number[] } {
  const single: number[] = [];
  const prefill: number[] = [];
  const wrapper: TokenDecoder = {
    batch: decoder.batch,
    context: decoder.context,
    vocabSize: decoder.vocabSize,
    get position() {
      return decoder.position;
    },
    reset: () => decoder.reset(),
    async feed(ids, n) {
      const t0 = performance.now();
      const logits = await decoder.feed(ids, n);
      (ids.length === 1 ? single : prefill).push(performance.now() - t0);
      return logits;
    },
  };
  return { decoder: wrapper, single, prefill };
}

interface Ours {
  /** Runs R timed generations after three of warm-up; tokens per second of the median. */
  measure(): Promise<number>;
  /** Per-call medians over R generations with every call timed. */
  calls(): Promise<{ decodeMs: number; prefillMs: number; calls: string }>;
  readonly compileMs: number;
  release(): Promise<void>;
}

async function ours(args: Args): Promise<Ours> {
  const model = new TinyGpt(new Rng(0), anchorLmOptions);
  const t0 = performance.now();
  const compiled = await KvCacheDecoder.compile(model, { compile: { threads: args.threads } });
  const compileMs = performance.now() - t0;
  const prompt = Array.from({ length: args.prompt }, (_, i) => (7 * i + 3) % anchorLmOptions.vocabSize);
  const generate = async (decoder: TokenDecoder) => {
    let n = 0;
    for await (const _ of generateTokens(decoder, prompt, { maxTokens: args.tokens, temperature: 0 })) n++;
    if (n !== args.tokens) throw new Error(`generated ${n} tokens, expected ${args.tokens}`);
  };
  return {
    compileMs,
    async measure() {
      // NOTE: three warm-up generations: the first few hundred calls of a fresh session ran up to
      // 2x slower (85, 69, 59, then 37–43 ms per generation).
      for (let w = 0; w < 3; w++) await generate(compiled);
      const seconds: number[] = [];
      for (let r = 0; r < args.rounds; r++) {
        const start = performance.now();
        await generate(compiled);
        seconds.push((performance.now() - start) / 1000);
      }
      return args.tokens / median(seconds);
    },
    async calls() {
      // Separate rounds, so that timing every call does not slow the figure itself.
      const probe = timed(compiled);
      for (let r = 0; r < args.rounds; r++) await generate(probe.decoder);
      const perRound = (xs: readonly number[]) => xs.length / args.rounds;
      return {
        decodeMs: median(probe.single),
        prefillMs: probe.prefill.length > 0 ? median(probe.prefill) : 0,
        calls: `${perRound(probe.single)} single-token + ${perRound(probe.prefill)} prefill calls per generation`,
      };
    },
    release: () => compiled.release(),
  };
}

function pytorch(args: Args): { value: number; setting: string } | null {
  const script = join(dirname(fileURLToPath(import.meta.url)), "pytorch", "generation.py");
  const p = spawnSync("/usr/bin/python3", [script, "--rounds", String(args.rounds), "--tokens", String(args.tokens), "--prompt", String(args.prompt)], { encoding: "utf8" });
  if (p.status !== 0) {
    process.stderr.write(`pytorch generation failed (is torch installed for /usr/bin/python3?):\n${p.stderr ?? ""}`);
    return null;
  }
  const last = (p.stdout.trim().split("\n").pop() ?? "").trim();
  return JSON.parse(last) as { value: number; setting: string };
}

const args = parseArgs(process.argv.slice(2));
const bench = await ours(args);
const mineRuns: number[] = [];
const theirRuns: { value: number; setting: string }[] = [];
for (let k = 0; k < args.repeats; k++) {
  mineRuns.push(await bench.measure());
  const t = args.pytorch ? pytorch(args) : null;
  if (t) theirRuns.push(t);
  if (!args.json) process.stderr.write(`repeat ${k + 1}: ours ${(mineRuns[k] as number).toFixed(0)}${t ? `, pytorch ${t.value.toFixed(0)}` : ""} tokens/s\n`);
}
const split = await bench.calls();
await bench.release();
const mine = { tokensPerSecond: median(mineRuns), ...split };
const theirs = theirRuns.length > 0 ? { value: median(theirRuns.map((t) => t.value)), setting: [...new Set(theirRuns.map((t) => t.setting))].join("; ") } : null;
const ratio = theirs ? mine.tokensPerSecond / theirs.value : null;
const round = (x: number, digits: number) => Number(x.toFixed(digits));
if (args.json) {
  console.log(
    JSON.stringify({
      bench: "generate",
      unit: "tokens/s",
      ours: round(mine.tokensPerSecond, 1),
      pytorch: theirs ? round(theirs.value, 1) : null,
      ratio: ratio === null ? null : round(ratio, 3),
      decode_ms: round(mine.decodeMs, 3),
      prefill_ms: round(mine.prefillMs, 3),
      pytorch_setting: theirs?.setting ?? null,
    }),
  );
} else {
  console.log(`greedy generation, ${args.tokens} tokens after a ${args.prompt}-token prompt, batch 1, bench LM (context ${anchorLmOptions.context}); median of ${args.repeats} turns of ${args.rounds} generations`);
  console.log(`ours:    ${mine.tokensPerSecond.toFixed(0)} tokens/s (${args.threads === 0 ? "all" : args.threads} thread(s); ${mine.calls}; per call ${mine.decodeMs.toFixed(3)} ms single-token, ${mine.prefillMs.toFixed(3)} ms prefill; compiled in ${bench.compileMs.toFixed(0)} ms)`);
  console.log(`pytorch: ${theirs ? `${theirs.value.toFixed(0)} tokens/s (${theirs.setting})` : "-"}`);
  console.log(`ratio:   ${ratio === null ? "-" : ratio.toFixed(2)}`);
}

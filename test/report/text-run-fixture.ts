import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Rng } from "../../src/random/rng.js";
import { encodeSafetensors } from "../../src/train/safetensors.js";

/**
 * A text run folder written by hand in the formats the report reads (config.json with a `pretrain`
 * section, tokenizer.json, metrics.jsonl with step / validation / sample / eval lines,
 * embeddings.safetensors without images, texts.json, text-examples.json), since the producers of
 * some of these are still being written.
 */

export const CLASSES = ["computers", "linux", "science", "love"] as const;

/** Short made-up texts, eight per class, some with line breaks (fortunes keep theirs). */
const TEXTS: Readonly<Record<(typeof CLASSES)[number], readonly string[]>> = {
  computers: [
    "The computer did exactly what I told it to.\nThat was the problem.",
    "There are two hard things in computing: naming, caching, and counting.",
    "A program that works the first time is a program you have not tested yet.",
    "Every byte you save today is a bug you write tomorrow.",
    "The network is down, said the printer, and went back to sleep.",
    "To err is human; to really foul things up takes a batch job.",
    "My code has no bugs, only undocumented features of surprising depth.",
    "Memory is cheap until you run out of it at three in the morning.",
  ],
  linux: [
    "The kernel compiled on the first try, so I checked the date.",
    "Real users read the manual page, then the source, then the mailing list.",
    "Why reboot when you can spend an afternoon finding the stuck process?",
    "Everything is a file, including, eventually, your weekend.",
    "The shell remembers every command you wish it would forget.",
    "A package manager is a promise that someone else resolved it first.",
    "Root is a state of mind; sudo is a state of regret.",
    "Install it once, configure it forever.",
  ],
  science: [
    "The most exciting phrase in a lab is not eureka but that is odd.",
    "An experiment is a question we ask nature, politely and repeatedly.",
    "Theories are nets: only those who cast them will catch anything.",
    "The second law says the desk was always going to end up like this.",
    "Measure twice, publish once, replicate forever.",
    "Gravity is not just a good idea, it is the law.",
    "Every star you see is a letter that took centuries to arrive.",
    "Error bars are the honest part of any graph.",
  ],
  love: [
    "Love is a letter written in a language you learn as you read it.",
    "The heart keeps time better than any clock, and forgives it less.",
    "We loved with a love that was more than love, and less than sensible.",
    "A kind word in the morning outlasts a bouquet by a week.",
    "You do not fall in love; you walk in, one small step at a time.",
    "Absence makes the heart grow fonder of the postman.",
    "Two people and one umbrella is a short story.",
    "Love looks not with the eyes but with the attention.",
  ],
};

export interface TextRunOptions {
  readonly method: "clm" | "mlm" | "simcse";
  /** Test texts embedded (cycling through the classes), 0 for no embeddings.safetensors. */
  readonly n: number;
  readonly withValidation: boolean;
  readonly withSamples: boolean;
  readonly withExamples: boolean;
  readonly withTexts: boolean;
  /** Extra strings mixed into texts and samples to check escaping. */
  readonly hostile: string;
}

const HOSTILE = `<script>window.__pwned = 1</script></pre><img src=x onerror="window.__pwned = 2"> & "quotes"`;

export const defaultTextRun: TextRunOptions = { method: "mlm", n: 160, withValidation: true, withSamples: false, withExamples: true, withTexts: true, hostile: HOSTILE };

export function testText(i: number): { text: string; label: number } {
  const label = i % CLASSES.length;
  const list = TEXTS[CLASSES[label] ?? "computers"];
  return { text: list[Math.floor(i / CLASSES.length) % list.length] ?? "", label };
}

function metrics(o: TextRunOptions): string {
  const lines: object[] = [{ type: "plan", total_steps: 2000, from: "time-budget", epochs: null, time_budget_s: 300 }];
  const total = 2000;
  for (let step = 0; step < total; step += 5) {
    const warm = Math.min(1, (step + 1) / 100);
    const loss = o.method === "simcse" ? 0.4 + 2.6 * Math.exp(-step / 300) : 1.35 + 3.2 * Math.exp(-step / 260) + 0.04 * Math.sin(step * 0.05);
    lines.push({ type: "step", step, epoch: Math.floor(step / 800), loss, lr: 6e-4 * warm * 0.5 * (1 + Math.cos((Math.PI * step) / total)), samples_per_s: 180 + (step % 11), elapsed_s: step * 0.15 });
    if (o.withValidation && step % 250 === 0) {
      const nats = 1.5 + 3.0 * Math.exp(-step / 300);
      lines.push({ type: "validation", step, nats_per_token: nats, perplexity: Math.exp(nats), bits_per_byte: (nats / Math.LN2) * 0.62 });
    }
  }
  if (o.withSamples) {
    const drafts = [
      ["Call me Ishmael.", "Call me Ishmael.th e wa se o thn tw ahe hed s t"],
      ["Call me Ishmael.", " Some years ago the ship was a whale and the sea\nwas the sea of the whale, and I"],
      ["Call me Ishmael.", " Some years ago—never mind how long precisely—having little money in my purse,\nI thought I would sail about a little and see the watery part of the world."],
    ];
    // Logged out of order on purpose: the report shows them by step.
    [1800, 0, 600].forEach((step, i) => {
      const [prompt, text] = drafts[[2, 0, 1][i] ?? 0] ?? ["", ""];
      lines.push({ type: "sample", step, prompt, text });
      lines.push({ type: "sample", step, prompt: "The whale", text: step === 1800 ? `The whale ${o.hostile} rose from the deep.` : " the the the whale whale" });
    });
  }
  if (o.method === "clm") {
    lines.push({ type: "eval", encoder: "clm", probe: "perplexity", labels_per_class: null, accuracy: null, sd: null, nats_per_token: 1.6, perplexity: 4.953, bits_per_byte: 2.3 });
  } else {
    const curves: Record<string, number[]> = { [o.method]: [0.41, 0.62, 0.74, 0.81], tfidf: [0.33, 0.55, 0.7, 0.78], random: [0.27, 0.31, 0.36, 0.4] };
    for (const [encoder, accs] of Object.entries(curves)) {
      [1, 10, 100, "all"].forEach((lpc, i) => lines.push({ type: "eval", probe: "linear", labels_per_class: lpc, accuracy: accs[i], sd: lpc === "all" ? 0 : 0.05 / (i + 1), encoder }));
    }
    lines.push({ type: "eval", probe: "knn", labels_per_class: "all", accuracy: 0.72, encoder: o.method });
    lines.push({ type: "eval", probe: "kmeans", labels_per_class: null, accuracy: null, nmi: 0.31, ari: 0.22, encoder: o.method });
  }
  return lines.map((l) => JSON.stringify(l)).join("\n") + "\n";
}

const tok = (s: string): string[] => s.split(/(?= )/);

function examples(o: TextRunOptions): object {
  const masked = [
    {
      tokens: tok("The whale rose slowly from the deep and the ship fell silent."),
      predictions: [
        { position: 1, original: " whale", top: [{ token: " whale", p: 0.46 }, { token: " ship", p: 0.21 }, { token: " sun", p: 0.07 }, { token: " captain", p: 0.04 }, { token: "s", p: 0.02 }] },
        { position: 9, original: " ship", top: [{ token: " sea", p: 0.31 }, { token: " ship", p: 0.29 }, { token: " crew", p: 0.12 }] },
      ],
    },
    {
      tokens: tok(`Real users read the manual page, then the source. ${o.hostile}`),
      predictions: [{ position: 4, original: " manual", top: [{ token: " source", p: 0.18 }, { token: " first", p: 0.11 }, { token: "\n", p: 0.05 }] }],
    },
  ];
  const neighbours = [0, 1, 2, 3].map((q) => {
    const query = testText(q);
    return {
      query: { text: query.text, label: CLASSES[query.label] },
      neighbours: [4, 8, 5, 13, 6].map((j, r) => {
        const t = testText(q + j);
        return { text: r === 4 ? `${t.text} ${o.hostile}` : t.text, label: CLASSES[t.label], similarity: 0.93 - 0.07 * r };
      }),
    };
  });
  return { masked: o.method === "mlm" ? masked : [], neighbours };
}

/** Writes the run folder `dir` and returns it. */
export async function writeTextRun(dir: string, options: Partial<TextRunOptions> = {}): Promise<string> {
  const o = { ...defaultTextRun, ...options };
  await mkdir(dir, { recursive: true });
  const data = o.method === "clm" ? "moby-dick" : "fortunes";
  const pretrain = { method: o.method, data, encoder: o.method === "clm" ? "gpt" : "transformer", epochs: null, timeBudgetSeconds: 300, batchSize: 64, seed: 0, tokenizer: "bpe", vocabSize: 4096, context: 128, dModel: 128, layers: 4, heads: 4, dropout: 0.1 };
  await writeFile(join(dir, "config.json"), JSON.stringify({ pretrain, method: { maskProbability: 0.15 }, eval: { probes: null, baselines: null, seed: 0 } }, null, 2));
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify({ version: "1.0", model: { type: "BPE", vocab: {}, merges: [] } }));
  await writeFile(join(dir, "metrics.jsonl"), metrics(o));
  if (o.n > 0) {
    const rng = new Rng(5);
    const d = 24;
    const centres = CLASSES.map(() => Float32Array.from({ length: d }, () => rng.normal()));
    const embeddings = new Float32Array(o.n * d);
    const labels = new BigInt64Array(o.n);
    const texts: string[] = [];
    for (let i = 0; i < o.n; i++) {
      const t = testText(i);
      labels[i] = BigInt(t.label);
      texts.push(i === 7 ? `${t.text} ${o.hostile}` : t.text);
      for (let j = 0; j < d; j++) embeddings[i * d + j] = (centres[t.label]?.[j] ?? 0) + 0.9 * rng.normal();
    }
    const tensors = new Map([
      ["embeddings", { shape: [o.n, d], data: embeddings }],
      ["labels", { shape: [o.n], data: labels }],
    ]);
    await writeFile(join(dir, "embeddings.safetensors"), encodeSafetensors(tensors, { format: "pretext-embeddings", class_names: JSON.stringify(CLASSES) }));
    if (o.withTexts) await writeFile(join(dir, "texts.json"), JSON.stringify(texts));
  }
  if (o.withExamples) await writeFile(join(dir, "text-examples.json"), JSON.stringify(examples(o), null, 1));
  return dir;
}

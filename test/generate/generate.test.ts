import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GenerationEnd, KvCacheDecoder, type TextTokenizer, type TokenDecoder, argmax, generateText, generateTokens } from "../../src/generate/index.js";
import { type Tokenizer, trainByteLevelBpe } from "../../src/data/text/tokenizer/index.js";
import { fullRecompute, randomIds, randomLm, smallLm } from "./reference.js";

const { vocabSize: V, context: C } = smallLm;
const lm = randomLm(5);
let decoder: KvCacheDecoder;
let reference: Awaited<ReturnType<typeof fullRecompute>>;

beforeAll(async () => {
  [decoder, reference] = await Promise.all([KvCacheDecoder.compile(lm, { prefillLength: 4 }), fullRecompute(lm, 1)]);
});
afterAll(() => Promise.all([decoder.release(), reference.release()]));

/** Drains a generator: its values and its return value. */
async function drain<T>(gen: AsyncGenerator<T, GenerationEnd, undefined>): Promise<{ values: T[]; end: GenerationEnd }> {
  const values: T[] = [];
  for (;;) {
    const step = await gen.next();
    if (step.done) return { values, end: step.value };
    values.push(step.value);
  }
}

/**
 * Greedy decoding by full recomputation: the sequence the model sees is cropped to its last
 * `keep` tokens whenever it would pass the context, as contextLimit "slide" does.
 */
async function greedyByRecompute(prompt: readonly number[], n: number, keep: number): Promise<number[]> {
  let window = prompt.length > C ? prompt.slice(-keep) : [...prompt];
  const out: number[] = [];
  while (out.length < n) {
    if (window.length > C) window = window.slice(-keep);
    const logits = await reference.run([window]);
    const next = argmax(logits.subarray((window.length - 1) * V, window.length * V));
    out.push(next);
    window.push(next);
  }
  return out;
}

describe("generateTokens", () => {
  it("greedy equals the argmax of full recomputation step by step, within the context", async () => {
    const prompt = randomIds(5, V, 1);
    const { values, end } = await drain(generateTokens(decoder, prompt, { maxTokens: C - 5 + 1, temperature: 0 }));
    expect(values).toEqual(await greedyByRecompute(prompt, C - 5 + 1, 6));
    expect(end).toEqual({ reason: "maxTokens", tokens: 8 });
  });

  it("contextLimit 'slide' re-encodes the last slideKeep tokens; greedy still equals recomputation on that window", async () => {
    const prompt = randomIds(3, V, 2);
    for (const keep of [6, 1, C - 1]) {
      const { values } = await drain(generateTokens(decoder, prompt, { maxTokens: 30, temperature: 0, slideKeep: keep }));
      expect(values).toEqual(await greedyByRecompute(prompt, 30, keep));
    }
    // a prompt longer than the context starts from its last slideKeep tokens
    const long = randomIds(C + 5, V, 3);
    const { values } = await drain(generateTokens(decoder, long, { maxTokens: 10, temperature: 0 }));
    expect(values).toEqual(await greedyByRecompute(long, 10, C / 2));
  });

  it("contextLimit 'stop' ends with reason 'context' once the token that filled the cache is out", async () => {
    const prompt = randomIds(3, V, 4);
    const { values, end } = await drain(generateTokens(decoder, prompt, { maxTokens: 100, temperature: 0, contextLimit: "stop" }));
    // the cache holds the prompt and the tokens fed after it, C in all; the last token is never fed
    expect(values).toHaveLength(C - 3 + 1);
    expect(end).toEqual({ reason: "context", tokens: C - 3 + 1 });
    await expect(generateTokens(decoder, randomIds(C + 1, V, 5), { maxTokens: 1, contextLimit: "stop" }).next()).rejects.toThrow(/more than the context/);
  });

  it("stops at a stop id without yielding it", async () => {
    const prompt = randomIds(4, V, 6);
    const greedy = await greedyByRecompute(prompt, 6, 6);
    const stopId = greedy[3] as number;
    const first = greedy.indexOf(stopId);
    const { values, end } = await drain(generateTokens(decoder, prompt, { maxTokens: 6, temperature: 0, stopIds: [stopId, V + 7] }));
    expect(values).toEqual(greedy.slice(0, first));
    expect(end).toEqual({ reason: "stopId", tokens: first, stopId });
  });

  it("sampling is reproducible for a fixed seed and differs for another", async () => {
    const prompt = randomIds(2, V, 7);
    const run = async (seed: number) => (await drain(generateTokens(decoder, prompt, { maxTokens: 40, temperature: 1.5, topK: 8, topP: 0.95, seed }))).values;
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
  });

  it("a generation started on a decoder ends the one before; a decoder feeds one call at a time", async () => {
    const first = generateTokens(decoder, [1, 2], { maxTokens: 5 });
    await first.next();
    const second = generateTokens(decoder, [3], { maxTokens: 2, temperature: 0 });
    await second.next();
    await expect(first.next()).rejects.toThrow(/another generation started/);
    expect((await drain(second)).end).toEqual({ reason: "maxTokens", tokens: 2 });
    decoder.reset();
    const running = decoder.feed([1]);
    await expect(decoder.feed([2])).rejects.toThrow(/still running/);
    expect(() => decoder.reset()).toThrow(/still running/);
    await running;
    expect(decoder.position).toBe(1);
  });

  it("rejects bad options", async () => {
    await expect(generateTokens(decoder, [], { maxTokens: 1 }).next()).rejects.toThrow(/prompt is empty/);
    await expect(generateTokens(decoder, [1], { maxTokens: 1, slideKeep: C }).next()).rejects.toThrow(/slideKeep/);
    await expect(generateTokens(decoder, [1], { maxTokens: -1 }).next()).rejects.toThrow(/maxTokens/);
  });
});

/**
 * A stand-in decoder whose logits pick the next id of a script (then <eos> = 0), and a byte-level
 * tokenizer whose stream decoder holds back incomplete UTF-8 characters.
 */
function scripted(text: string): { decoder: TokenDecoder; tokenizer: TextTokenizer } {
  const bytes = new TextEncoder().encode(text);
  const vocab = 257; // id 0 is <eos>, id b + 1 the byte b
  let position = 0;
  let produced = 0;
  const decoder: TokenDecoder = {
    batch: 1,
    context: 1024,
    vocabSize: vocab,
    get position() {
      return position;
    },
    reset() {
      position = 0;
    },
    async feed(ids: ArrayLike<number>) {
      position += ids.length;
      const logits = new Float32Array(ids.length * vocab);
      const next = produced < bytes.length ? (bytes[produced] as number) + 1 : 0;
      produced++;
      logits[(ids.length - 1) * vocab + next] = 10;
      return logits;
    },
  };
  const tokenizer: TextTokenizer = {
    encode: (s) => Int32Array.from(new TextEncoder().encode(s), (b) => b + 1),
    streamDecoder() {
      const utf8 = new TextDecoder("utf-8");
      return { push: (id) => utf8.decode(Uint8Array.of(id - 1), { stream: true }), flush: () => utf8.decode() };
    },
    specials: { eos: 0 },
  };
  return { decoder, tokenizer };
}

async function textOf(text: string, stop: string[], maxTokens = 200) {
  const { decoder, tokenizer } = scripted(text);
  const { values, end } = await drain(generateText(decoder, tokenizer, "prompt", { maxTokens, temperature: 0, stop }));
  return { chunks: values, text: values.join(""), end };
}

describe("generateText", () => {
  it("streams the decoded text and stops at <eos>", async () => {
    const { chunks, text, end } = await textOf("naïve café", []);
    expect(text).toBe("naïve café");
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.every((c) => c.length > 0)).toBe(true);
    expect(end).toEqual({ reason: "stopId", tokens: 12, stopId: 0 });
  });

  it("stops before a stop string, holding back what may begin one", async () => {
    const { chunks, text, end } = await textOf("one<a<b two\n\nthree", ["\n\n", "<b t"]);
    expect(text).toBe("one<a");
    expect(end).toMatchObject({ reason: "stopString", stop: "<b t" });
    expect(chunks).not.toContain("<b");
    const paragraphs = await textOf("one <a two\n\nthree", ["\n\n", "<b"]);
    expect(paragraphs.text).toBe("one <a two");
    expect(paragraphs.end).toMatchObject({ reason: "stopString", stop: "\n\n" });
  });

  it("a text that only began a stop string is emitted at the end", async () => {
    const { text, end } = await textOf("ends with <EN", ["<END>"]);
    expect(text).toBe("ends with <EN");
    expect(end.reason).toBe("stopId");
    const cut = await textOf("abcdef", ["xyz"], 3);
    expect(cut.text).toBe("abc");
    expect(cut.end).toEqual({ reason: "maxTokens", tokens: 3 });
  });

  it("with the project's byte-level BPE: the stream decodes to the tokens' text", async () => {
    const bpe: Tokenizer = trainByteLevelBpe("the cat sat on the mat; the dog ate — naïvely — the cat's food", { vocabSize: 280 });
    const tokenizer: TextTokenizer = bpe;
    const model = randomLm(8, { ...smallLm, vocabSize: bpe.vocabSize });
    const bpeDecoder = await KvCacheDecoder.compile(model, { prefillLength: 4 });
    try {
      const options = { maxTokens: 30, seed: 4, temperature: 1, stopIds: [] };
      const ids = (await drain(generateTokens(bpeDecoder, tokenizer.encode("the cat"), options))).values;
      const { values, end } = await drain(generateText(bpeDecoder, tokenizer, "the cat", options));
      expect(values.join("")).toBe(bpe.decode(ids));
      expect(end).toEqual({ reason: "maxTokens", tokens: 30 });
    } finally {
      await bpeDecoder.release();
    }
  });

  it("on the real decoder: same text for the same seed, an empty prompt starts from <eos>", async () => {
    const tokenizer: TextTokenizer = {
      encode: (s) => Int32Array.from(s, (ch) => 1 + ((ch.codePointAt(0) as number) % (V - 1))),
      streamDecoder: () => ({ push: (id) => String.fromCharCode(96 + id), flush: () => "" }),
      specials: { eos: 0 },
    };
    const run = async (prompt: string) => (await drain(generateText(decoder, tokenizer, prompt, { maxTokens: 20, seed: 3, stop: ["zz"] }))).values.join("");
    expect(await run("abc")).toBe(await run("abc"));
    const fromEmpty = await drain(generateText(decoder, tokenizer, "", { maxTokens: 20, seed: 3, stopIds: [] }));
    expect(fromEmpty.values.join("")).toHaveLength(20);
  });
});
